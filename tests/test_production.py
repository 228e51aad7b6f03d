"""COO_CONFIG=production: it starts under gunicorn (the Procfile's own web line) with real
settings, sends Secure cookies and HSTS, trusts exactly TRUSTED_PROXIES hops, and refuses to
start, naming every offending setting, on the repository's development defaults, a missing
secret, an http or loopback PUBLIC_BASE_URL, or the simulator gateway without an opt-in."""
import os
import re
import secrets
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://coo.example.cn"
# What the test run exported to os.environ (test settings) must not leak into production.
INHERITED = ("PATH", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(tmp_path, redis_url, **changes):
    """A production deployment's environment: real secrets, an https address, the HTTP
    customs gateway, a SQLite file and the test Redis. `changes` with value None unset one."""
    env = {k: os.environ[k] for k in INHERITED if k in os.environ}
    env.update({
        "COO_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "CUSTOMS_SHARED_KEY": secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": PUBLIC,
        "CUSTOMS_GATEWAY": "http",
        "CUSTOMS_HTTP_BASE_URL": "https://gateway.customs.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coo.sqlite3'}",
        # The test server, another database: other tests' jobs are not this deployment's.
        "REDIS_URL": urllib.parse.urlsplit(redis_url)._replace(path="/2").geturl(),
        "COO_INSTANCE_PATH": str(tmp_path / "instance"),
        "COO_STORAGE_PATH": str(tmp_path / "storage"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        # gunicorn 27 puts its control socket under $HOME: one of its own per test
        "HOME": str(tmp_path),
    })
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def procfile(name):
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} line in the Procfile")


class Answer:
    def __init__(self, response):
        with response:
            self.status, self.headers, self.text = response.status, response.headers, response.read().decode()


def _fetch(url, data=None, headers=None):
    """One request, read whole and closed: (status, headers, text)."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        return Answer(urllib.request.urlopen(request, timeout=10))
    except urllib.error.HTTPError as error:
        return Answer(error)


def _wait_until_served(url, proc, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn ended ({proc.returncode}):\n{log.read_text()}")
        try:
            return _fetch(url)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer within {timeout}s:\n{log.read_text()}")


def _migrate(env):
    """`flask --app wsgi coo migrate`, as an operator runs it before a release starts."""
    migrate = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "coo", "migrate"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr


@pytest.fixture
def gunicorn_production(tmp_path, redis_url):
    """The Procfile's `web:` line, as written, in the production configuration (one worker,
    one trusted proxy hop) on a free port; the database migrated first with the CLI."""
    port = _free_port()
    env = production_env(tmp_path, redis_url, COO_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1",
                         WEB_THREADS="2", TRUSTED_PROXIES="1")
    _migrate(env)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", "-c", "exec " + procfile("web")], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_served(base + "/login", proc, log)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _cookies(response):
    return [v for k, v in response.headers.items() if k.lower() == "set-cookie"]


def test_production_serves_login_under_gunicorn_with_a_secure_session_cookie(gunicorn_production):
    base, env = gunicorn_production
    response = _fetch(base + "/login")
    assert response.status == 200
    assert "<h1>原产地证书自助打印" in response.text
    session_cookie = [c for c in _cookies(response) if c.startswith("session=")]
    assert session_cookie, _cookies(response)
    attributes = [a.strip().lower() for a in session_cookie[0].split(";")]
    assert "secure" in attributes and "httponly" in attributes and "samesite=lax" in attributes
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_production_trusts_exactly_the_configured_proxy_hops(gunicorn_production):
    """TRUSTED_PROXIES=1: the audit's 来源地址 is the address the one proxy saw, not what the
    client wrote before it in X-Forwarded-For; X-Forwarded-Proto makes the request https."""
    base, env = gunicorn_production
    page = _fetch(base + "/login")
    cookie = [c for c in _cookies(page) if c.startswith("session=")][0].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    body = urllib.parse.urlencode({"username": "nobody", "password": "wrong", "csrf_token": token}).encode()
    answer = _fetch(base + "/login/password", data=body, headers={
        "Cookie": cookie, "X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https",
        # https requests have their Referer checked (Flask-WTF): the page the form was on.
        "Referer": base.replace("http://", "https://") + "/login",
        "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 422, answer.text
    database = env["DATABASE_URL"].split("sqlite:///", 1)[1]
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT remote_addr FROM audit_event WHERE action = 'login_failed'").fetchall()
    assert rows == [("203.0.113.9",)]


def test_the_procfile_worker_runs_jobs_in_the_production_configuration(tmp_path, redis_url):
    """The Procfile's `worker:` line builds the app in production too, registers in Redis and
    runs a job against the production database."""
    from redis import Redis
    from rq import Queue, Worker
    env = production_env(tmp_path, redis_url)
    _migrate(env)
    name = f"prod-{secrets.token_hex(4)}"
    command = procfile("worker").replace("rq worker", f"rq worker --name {shlex.quote(name)}", 1)
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", "-c", "exec " + command], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    database = env["DATABASE_URL"].split("sqlite:///", 1)[1]

    def pinged():
        with sqlite3.connect(database) as conn:
            return conn.execute("SELECT count(*) FROM audit_event WHERE action = 'worker_ping' "
                                "AND target = ?", (name,)).fetchone()[0]
    try:
        connection = Redis.from_url(env["REDIS_URL"])
        deadline = time.monotonic() + 60
        while name not in {w.name for w in Worker.all(connection=connection)}:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        default = Queue("default", connection=connection)
        default.enqueue("jobs.maintenance.ping", name, job_id=f"ping-{name}")
        while not pinged():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        default.delete(delete_jobs=True)
        connection.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- refusals ---------------------------------------------------------------------------------

def _boot(env):
    """`import wsgi` as gunicorn does: (exit code, what it printed)."""
    result = subprocess.run([sys.executable, "-c", "import wsgi"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


REFUSALS = {
    "secret-key-missing": ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    "secret-key-default": ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY is the development default"),
    "secret-key-short": ({"SECRET_KEY": "hunter2"}, "SECRET_KEY is shorter than 16 characters"),
    "customs-key-missing": ({"CUSTOMS_SHARED_KEY": None}, "CUSTOMS_SHARED_KEY is not set"),
    "customs-key-default": ({"CUSTOMS_SHARED_KEY": "dev-customs-key"},
                            "CUSTOMS_SHARED_KEY is the development default"),
    "base-url-missing": ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is not set"),
    "base-url-http": ({"PUBLIC_BASE_URL": "http://coo.example.cn"}, "PUBLIC_BASE_URL must be an https:// address"),
    "base-url-loopback": ({"PUBLIC_BASE_URL": "https://127.0.0.1:8443"}, "PUBLIC_BASE_URL points at loopback"),
    "base-url-localhost": ({"PUBLIC_BASE_URL": "https://localhost"}, "PUBLIC_BASE_URL points at loopback"),
    "base-url-ipv6-loopback": ({"PUBLIC_BASE_URL": "https://[::1]/"}, "PUBLIC_BASE_URL points at loopback"),
    "simulator-without-opt-in": ({"CUSTOMS_GATEWAY": "simulator"}, "CUSTOMS_GATEWAY is the simulator"),
    "gateway-unset-is-simulator": ({"CUSTOMS_GATEWAY": None}, "CUSTOMS_GATEWAY is the simulator"),
    "http-gateway-without-https-address": ({"CUSTOMS_HTTP_BASE_URL": "http://gateway.customs.example"},
                                           "CUSTOMS_HTTP_BASE_URL must be the gateway's https:// address"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_production_refuses_to_start_and_names_the_setting(tmp_path, redis_url, case):
    changes, words = REFUSALS[case]
    code, output = _boot(production_env(tmp_path, redis_url, **changes))
    assert code == 3, output
    assert "COO_CONFIG=production refuses to start" in output and words in output, output
    assert "Traceback" not in output     # the list of what to fix, not a stack
    named = {name for name in ("SECRET_KEY", "CUSTOMS_SHARED_KEY", "PUBLIC_BASE_URL", "CUSTOMS_GATEWAY",
                               "CUSTOMS_HTTP_BASE_URL") if f"- {name} " in output}
    assert len(named) == 1, output       # only the offending one


def test_one_refusal_names_every_offending_setting(tmp_path, redis_url):
    code, output = _boot(production_env(tmp_path, redis_url, SECRET_KEY=None, CUSTOMS_SHARED_KEY="dev-customs-key",
                                        PUBLIC_BASE_URL="http://127.0.0.1:8000", CUSTOMS_GATEWAY="simulator"))
    assert code == 3
    lines = [line for line in output.splitlines() if line.startswith("  - ")]
    assert [line.split()[1] for line in lines] == ["SECRET_KEY", "CUSTOMS_SHARED_KEY", "PUBLIC_BASE_URL",
                                                   "CUSTOMS_GATEWAY"], output


def test_the_simulator_runs_in_production_only_when_explicitly_allowed(tmp_path, redis_url):
    code, output = _boot(production_env(tmp_path, redis_url, CUSTOMS_GATEWAY="simulator",
                                        ALLOW_SIMULATOR_IN_PRODUCTION="1"))
    assert code == 0, output


def test_real_settings_boot(tmp_path, redis_url):
    code, output = _boot(production_env(tmp_path, redis_url))
    assert code == 0, output


# --- absolute URLs come from PUBLIC_BASE_URL only ----------------------------------------------

def test_the_print_control_download_carries_public_base_url_not_the_host_header(app, client, operator):
    import io
    import json
    import zipfile
    # (the test client keeps the session cookie for "localhost": the browser of a forged Host)
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    response = client.get("/printing/control/coo-printcontrol.pyz", headers={"Host": "evil.example"})
    assert response.status_code == 200
    defaults = json.loads(zipfile.ZipFile(io.BytesIO(response.get_data())).read("coo/printcontrol/defaults.json"))
    assert defaults == {"server": app.config["PUBLIC_BASE_URL"].rstrip("/")}
    assert "evil.example" not in response.get_data().decode("latin-1")


def test_the_qr_address_comes_from_public_base_url(app):
    from coo.security import verification_url
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        url = verification_url("E231026902330075")
    assert url.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/verify?no=E231026902330075&code=")


def test_production_warns_of_keys_each_host_would_make_for_itself():
    """Started without shared keys, every host would sign QR seals and originals with its own
    demo key: production says so for each missing setting, and not once they are set."""
    from types import SimpleNamespace
    from config import production_warnings
    bare = SimpleNamespace(VERIFY_KEY_PATH="", SIGNING_KEY_PATH="", SIGNING_CERT_PATH="", TSA_URL="")
    warned = "\n".join(production_warnings(bare))
    for name in ("COO_VERIFY_KEY", "COO_SIGNING_KEY", "COO_SIGNING_CERT", "COO_TSA_URL"):
        assert name in warned
    configured = SimpleNamespace(VERIFY_KEY_PATH="/k/verify.pem", SIGNING_KEY_PATH="/k/sign.pem",
                                 SIGNING_CERT_PATH="/k/sign.crt", TSA_URL="https://tsa.example.cn/")
    assert production_warnings(configured) == []
