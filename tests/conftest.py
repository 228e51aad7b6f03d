"""Fixtures: a real Redis (a throwaway redis-server unless REDIS_URL/TEST_REDIS_URL is set),
a real database (a temporary SQLite file, or a fresh PostgreSQL database when
COO_TEST_BACKEND=postgres), the app, the client, one login helper per actor, and a real RQ
worker that runs what was enqueued.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    client.close()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if os.environ.get("COO_TEST_BACKEND") == "postgres":
        import psycopg2
        from playhouse.db_url import parse
        base = os.environ["TEST_POSTGRES_URL"]
        params = parse(base)
        name = f"coo_test_{uuid.uuid4().hex[:10]}"
        admin = psycopg2.connect(dbname=params["database"], user=params.get("user"),
                                 host=params.get("host"), port=params.get("port"),
                                 password=params.get("password"))
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        url = base.rsplit("/", 1)[0] + "/" + name
        yield url
        from coo.models import database
        if database.obj is not None and not database.is_closed():
            database.close()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'coo-test.sqlite3'}"


@pytest.fixture(scope="session")
def tsa(tmp_path_factory):
    """A real RFC 3161 time-stamping authority in its own process (coo/proof/tsa.py), as
    `make run` starts one: (its URL, the folder holding the root a validator trusts)."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("tsa")
    proc = subprocess.Popen([sys.executable, "-m", "coo.proof.tsa", "--port", str(port), "--dir", str(folder)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", folder
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def test_env(redis_url, database_url, tmp_path_factory, tsa):
    """What a worker subprocess needs to act on the same database, Redis and storage."""
    storage = tmp_path_factory.mktemp("storage")
    return {"COO_TSA_URL": tsa[0],
        "COO_CONFIG": "test", "TEST_DATABASE_URL": database_url, "TEST_REDIS_URL": redis_url,
        "REDIS_URL": redis_url, "COO_STORAGE_PATH": str(storage),
        "COO_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
    }


@pytest.fixture(scope="session")
def _app(test_env):
    from coo import create_app, db
    from coo.models import database
    os.environ.update(test_env)
    app = create_app("test", DATABASE_URL=test_env["TEST_DATABASE_URL"],
                     REDIS_URL=test_env["REDIS_URL"], STORAGE_PATH=test_env["COO_STORAGE_PATH"],
                     RQ_DASHBOARD_REDIS_URL=test_env["REDIS_URL"], TSA_URL=test_env["COO_TSA_URL"])
    with app.app_context():
        db.migrate()
        database.close()
    import jobs
    jobs._app = app
    return app


KEEP_TABLES = {"certificate_type", "schema_migration"}


def _wipe(database):
    tables = [t for t in database.get_tables() if t not in KEEP_TABLES]
    if not tables:
        return
    from coo.db import is_postgres
    if is_postgres():
        database.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    else:
        database.execute_sql("PRAGMA foreign_keys = OFF")
        for t in tables:
            database.execute_sql(f'DELETE FROM "{t}"')
        database.execute_sql("DELETE FROM sqlite_sequence") if "sqlite_sequence" in [
            r[0] for r in database.execute_sql("SELECT name FROM sqlite_master").fetchall()] else None
        database.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture
def app(_app):
    """A clean database and Redis for each test."""
    from coo.models import database
    from coo import queue
    database.connect(reuse_if_open=True)
    _wipe(database)
    with _app.app_context():
        queue.redis().flushdb()
    # No context stays pushed: each client request must get its own `g`, as in production.
    yield _app
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path="/login"):
    """The CSRF token of the session, read from a page like a browser would."""
    import re
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


class Actions:
    """Log in as one of the demo actors, the way a user does (forms, CSRF token)."""

    def __init__(self, client):
        self.client = client

    def token(self, path="/login"):
        return csrf_token(self.client, path)

    def login_card(self, number, pin):
        return self.client.post("/login/card", data={"card_number": number, "pin": pin,
                                                     "csrf_token": self.token()})

    def login_password(self, username, password):
        return self.client.post("/login/password", data={"username": username, "password": password,
                                                         "csrf_token": self.token()})

    def post(self, path, data=None, htmx=False, token_from="/home", **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from))
        headers = kw.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(path, data=data, headers=headers, **kw)

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def actions(client):
    return Actions(client)


@pytest.fixture
def demo(app):
    """The demo data set (small: 40 certificates)."""
    from coo.services import demo as demo_data
    with app.app_context():     # the demo's seals are stored under STORAGE_PATH
        demo_data.seed(n_certificates=40)
    return demo_data


@pytest.fixture
def legal_person(demo, actions):
    """浙江华东进出口有限公司's legal person, logged in with the 法人卡."""
    assert actions.login_card("8800000000001", demo.DEMO_PIN).status_code == 303
    return actions


@pytest.fixture
def operator(demo, actions):
    """浙江华东进出口有限公司's operator, logged in with username and password."""
    assert actions.login_password("hd_op", demo.DEMO_PASSWORD).status_code == 303
    return actions


@pytest.fixture
def agent(demo, actions):
    """上海通达报关代理有限公司 (agent of 华东), logged in with username and password."""
    assert actions.login_password("td_agent", demo.DEMO_PASSWORD).status_code == 303
    return actions


@pytest.fixture
def ops(demo, actions):
    assert actions.login_password("ops", demo.OPS_PASSWORD).status_code == 303
    return actions


class WorkerRunner:
    """Runs a real RQ worker over the real Redis until the queues are empty."""

    def __init__(self, app, env):
        self.app = app
        self.env = env

    def burst(self, queues=("default", "layouts", "customs", "exports"), with_scheduler=False):
        """In-process rq Worker (it forks a work horse per job, as in production)."""
        from rq import Worker
        from coo import queue
        from coo.models import database
        database.close()   # a forked horse must not inherit the test's connection
        with self.app.app_context():
            worker = Worker([queue.queue(q) for q in queues], connection=queue.redis())
            worker.work(burst=True, with_scheduler=with_scheduler)
        database.connect(reuse_if_open=True)

    def subprocess_burst(self, queues=("default", "layouts", "customs", "exports"), timeout=120):
        """A separate `rq worker --burst` process, exactly as the Procfile starts one."""
        cmd = [str(Path(sys.executable).parent / "rq"), "worker", "--burst",
               "--worker-class", "jobs.worker.CooWorker", "--url", self.env["REDIS_URL"], *queues]
        env = dict(os.environ, **self.env)
        from coo.models import database
        database.close()
        result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        database.connect(reuse_if_open=True)
        return result


@pytest.fixture
def worker(app, test_env):
    return WorkerRunner(app, test_env)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def unauthorised_demo(demo):
    """The demo before any 印章签名授权: no seals, signatures or authorisations (tests of the
    rules that depend on when an exporter's authorisation succeeded start here)."""
    from customs_helpers import forget_demo_authorisations
    forget_demo_authorisations()
    return demo
