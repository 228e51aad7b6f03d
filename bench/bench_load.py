"""Bounded load on loopback: 50 concurrent users browsing, querying, exporting and printing for
60 s against gunicorn (2 workers) on PostgreSQL, with a private Redis and an RQ worker.

A small thread-per-user client (urllib + a cookie jar per user) rather than locust: nothing to
install, no gevent monkey-patching next to psycopg2, and the same real HTTP over loopback.
Each user logs in through the login form (CSRF token and all), then loops over the routes of its
mix; routes of areas not deployed yet (404) are left out and named.

Prints p50/p95 per route, then
  BENCH name=load_error_rate value=<errors/requests> unit=ratio
  BENCH name=load_p95_ms value=<p95 over all requests> unit=ms
Settings: LOAD_USERS (50), LOAD_SECONDS (60), BENCH_POSTGRES_URL
(postgresql://postgres@127.0.0.1:5432/postgres: a scratch database is created next to it, from the
server's maintenance database `postgres`, and dropped; the database the URL names is never used).
"""
import http.cookiejar
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# (route label, path) — what each kind of user does; the first that 404s drops out of the mix.
BROWSE = [("home", "/home"), ("changelog", "/changelog"), ("account", "/account/")]
QUERY = [("certificates", "/certificates/"), ("certificates_query", "/certificates/?invoice=INV&print=pending"),
         ("downloads", "/downloads/"), ("exceptions", "/exceptions/")]
# 导出 posts the query form (a small one: answered at once with the .xlsx).
EXPORT = [("export", "/certificates/export", {"type": "E"})]
PRINT = [("printing", "/printing/control"), ("printing_status", "/printing/control/status")]
USERS = [("hd_op", "Demo@2026"), ("yy_op", "Demo@2026"), ("td_agent", "Demo@2026"), ("hd_admin", "Demo@2026")]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Stack:
    """Scratch PostgreSQL database, private Redis, gunicorn (2 workers), one RQ worker."""

    def __init__(self):
        self.procs = []
        self.tmp = Path(tempfile.mkdtemp(prefix="coo-bench-"))
        base = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        self.admin_url = base
        self.db_name = f"coo_bench_{uuid.uuid4().hex[:8]}"
        self.db_url = base.rsplit("/", 1)[0] + "/" + self.db_name
        self.redis_port, self.web_port = _free_port(), _free_port()
        self.env = dict(os.environ, COO_CONFIG="development", DATABASE_URL=self.db_url,
                        REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0", SECRET_KEY=uuid.uuid4().hex,
                        COO_STORAGE_PATH=str(self.tmp / "storage"), COO_INSTANCE_PATH=str(self.tmp / "instance"),
                        SIMULATOR_RECEIPT_DELAY_S="0", SIMULATOR_ARCHIVE_DELAY_S="0",
                        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    def _admin(self, sql):
        import psycopg2
        from playhouse.db_url import parse
        params = parse(self.admin_url)
        conn = psycopg2.connect(dbname="postgres", user=params.get("user"), host=params.get("host"),
                                port=params.get("port"), password=params.get("password"))
        conn.autocommit = True
        conn.cursor().execute(sql)
        conn.close()

    def start(self):
        self._admin(f'CREATE DATABASE "{self.db_name}"')
        self.procs.append(subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.redis_port), "--bind",
             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        _wait_port(self.redis_port)
        flask = [str(BIN / "flask"), "--app", "wsgi", "coo"]
        subprocess.run(flask + ["migrate"], env=self.env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run(flask + ["seed-demo"], env=self.env, cwd=ROOT, check=True, capture_output=True)
        self.procs.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.web_port}", "wsgi:app"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.procs.append(subprocess.Popen(
            [str(BIN / "rq"), "worker", "--worker-class", "jobs.worker.CooWorker", "--url", self.env["REDIS_URL"],
             "default", "layouts", "customs", "exports"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_port(self.web_port)
        return f"http://127.0.0.1:{self.web_port}"

    def stop(self):
        # All at once, then one shared grace period (one by one, each waiting its turn, took
        # longer than the smoke run's whole load).
        for proc in reversed(self.procs):
            proc.terminate()
        deadline = time.monotonic() + 20
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        try:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


class User:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                payload, status = response.read(), response.status
        except urllib.error.HTTPError as err:
            payload, status = err.read(), err.code
        except OSError:
            payload, status = b"", 599
        return status, payload, (time.perf_counter() - started) * 1000

    def login(self, username, password):
        status, page, _ = self.request("/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        status, _, ms = self.request("/login/password", {"username": username, "password": password,
                                                          "csrf_token": token})
        # The logged-in session's CSRF token, for the forms a user posts.
        _, page, _ = self.request("/certificates/")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        self.token = found.group(1).decode() if found else ""
        return status, ms

    def visit(self, route):
        """GET a (label, path) route, or POST a (label, path, form) one with the CSRF token."""
        if len(route) == 3:
            return self.request(route[1], dict(route[2], csrf_token=self.token))
        return self.request(route[1])


def _mix(base):
    """The routes deployed on this build, and those left out (404: area not deployed yet)."""
    probe = User(base)
    probe.login(*USERS[0])
    mix, missing = [], []
    for route in BROWSE + QUERY + EXPORT + PRINT:
        status, _, _ = probe.visit(route)
        (missing if status == 404 else mix).append(route)
    return mix, missing


def run_load(base, users=50, seconds=60):
    mix, missing = _mix(base)
    samples = {}   # label -> list of (ms, ok)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def record(label, status, ms):
        with lock:
            samples.setdefault(label, []).append((ms, status < 400 or status in (302, 303)))

    def user_loop(n):
        rng = random.Random(n)
        user = User(base)
        status, ms = user.login(*USERS[n % len(USERS)])
        record("login", status, ms)
        while time.monotonic() < stop_at:
            route = rng.choice(mix)
            status, _, ms = user.visit(route)
            record(route[0], status, ms)

    threads = [threading.Thread(target=user_loop, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    return samples, missing


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


def main():
    from bench.support import setting
    users = setting("LOAD_USERS", 50, 3)
    seconds = setting("LOAD_SECONDS", 60, 2)
    stack = Stack()
    try:
        base = stack.start()
        samples, missing = run_load(base, users, seconds)
    finally:
        stack.stop()
    total = sum(len(v) for v in samples.values())
    errors = sum(1 for v in samples.values() for _, ok in v if not ok)
    every = [ms for v in samples.values() for ms, _ in v]
    print(f"# load: {users} users, {seconds} s, gunicorn 2 workers, PostgreSQL; {total} requests, "
          f"{total / seconds:.0f} req/s")
    if missing:
        print("# not deployed in this build (404), left out: " + ", ".join(route[0] for route in missing))
    for label in sorted(samples):
        values = [ms for ms, _ in samples[label]]
        bad = sum(1 for _, ok in samples[label] if not ok)
        print(f"# {label:20s} n={len(values):6d} errors={bad:4d} p50={statistics.median(values):7.1f} ms "
              f"p95={_pct(values, 0.95):7.1f} ms")
    print(f"BENCH name=load_error_rate value={errors / total if total else 1:.4f} unit=ratio")
    print(f"BENCH name=load_p95_ms value={_pct(every, 0.95):.1f} unit=ms")


if __name__ == "__main__":
    main()
