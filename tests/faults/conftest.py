"""Fault harness (real processes, bounded in time): an `rq worker` subprocess that can be killed
with -9, a Redis that can be flushed or restarted on the same port, a customs simulator that
fails half its calls, and a database locked for a moment."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("customs", "default", "layouts", "exports", "layouts_bulk")
# Read at collection, before the app fixture exports the throwaway server's URL as REDIS_URL.
EXTERNAL_REDIS = bool(os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL"))


def wait_for(predicate, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _children_of(parent_pid):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent_pid:
                found.append(int(entry.name))
    return found


class WorkerProcess:
    """`rq worker` exactly as the Procfile starts it (under `jobs.supervise`; a burst worker
    runs bare), with extra environment (e.g. the simulator's failure rate). Its output goes to
    `log_path`, for the reader of a failed test."""

    def __init__(self, env, log_path, **extra_env):
        self.env = dict(os.environ, **env, **{k: str(v) for k, v in extra_env.items()})
        self.log_path = log_path
        self.proc = None

    def start(self, burst=False, scheduler=True):
        options = ["--burst"] if burst else (["--with-scheduler"] if scheduler else [])
        bindir = Path(sys.executable).parent
        cmd = [str(bindir / "rq"), "worker", "--worker-class", "jobs.worker.CooWorker",
               "--url", self.env["REDIS_URL"], *options, *QUEUES]
        if not burst:
            cmd = [sys.executable, "-m", "jobs.supervise", *cmd]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def rq_pid(self):
        """The `rq worker` process itself (the supervisor's child, or the process we started)."""
        if self.proc.args[1:3] != ["-m", "jobs.supervise"]:
            return self.proc.pid
        found = []

        def started():
            found[:] = _children_of(self.proc.pid)    # one look: the child may be between lives
            return found
        wait_for(started, what="the supervised worker to start")
        return found[0]

    def children(self):
        """Pids of the worker's work horses (RQ puts each horse in a session of its own)."""
        return _children_of(self.rq_pid())

    def kill9(self):
        """kill -9 the worker and its work horse at once: no cleanup, no goodbye to Redis."""
        self._kill([self.proc.pid, *self.children(), self.rq_pid()])   # the supervisor first
        self.proc.wait(timeout=10)

    @staticmethod
    def _kill(pids):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()


@pytest.fixture
def workers(app, test_env, tmp_path):
    """Start workers with `workers(**env)`; all are stopped at the end of the test. Their
    output is in the test's tmp_path (worker-N.log)."""
    from coo.models import database
    started = []

    def start(burst=False, scheduler=True, **extra_env):
        database.close()   # the test's own connection must not be shared with anything forked
        log_path = tmp_path / f"worker-{len(started) + 1}.log"
        worker = WorkerProcess(test_env, log_path, **extra_env).start(burst=burst, scheduler=scheduler)
        started.append(worker)
        database.connect(reuse_if_open=True)
        return worker

    yield start
    for worker in started:
        worker.stop()


class RedisControl:
    def __init__(self, url):
        self.url = url
        self.replacements = []

    def client(self):
        return Redis.from_url(self.url, socket_connect_timeout=1)

    def flush(self):
        self.client().flushall()

    def restart(self, down_for=1.0):
        """Stop the server (no save: its data is gone, as after a crash) and start a new one on
        the same port after `down_for` seconds."""
        port = urlparse(self.url).port
        try:
            self.client().shutdown(nosave=True)
        except Exception:   # the server closes the connection as it dies
            pass
        wait_for(lambda: not self._answers(), timeout=10, what="redis to stop")
        time.sleep(down_for)
        workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"coo-fault-redis-{port}"
        workdir.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.replacements.append(proc)
        wait_for(self._answers, timeout=10, what="redis to start")

    def _answers(self):
        try:
            return self.client().ping()
        except Exception:
            return False


@pytest.fixture(scope="session")
def redis_control(redis_url):
    if EXTERNAL_REDIS:
        pytest.skip("Redis is an external server here (REDIS_URL set): the fault tests restart only their own")
    control = RedisControl(redis_url)
    yield control
    for proc in control.replacements:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def lock_database(database_url):
    """`lock_database(seconds)`: another connection holds an exclusive lock for a moment
    (SQLite: BEGIN EXCLUSIVE on the file; PostgreSQL: LOCK TABLE audit_event, certificate)."""
    threads = []

    def lock(seconds, tables=("audit_event", "certificate")):
        ready = threading.Event()

        def hold():
            if database_url.startswith("sqlite"):
                import sqlite3
                conn = sqlite3.connect(database_url.split("sqlite:///", 1)[1], isolation_level=None)
                conn.execute("BEGIN EXCLUSIVE")
            else:
                import psycopg2
                conn = psycopg2.connect(database_url)
                conn.cursor().execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            ready.set()
            time.sleep(seconds)
            conn.commit() if not database_url.startswith("sqlite") else conn.execute("COMMIT")
            conn.close()

        thread = threading.Thread(target=hold, daemon=True)
        thread.start()
        threads.append(thread)
        assert ready.wait(10), "could not lock the database"
        return thread

    yield lock
    for thread in threads:
        thread.join(timeout=30)
