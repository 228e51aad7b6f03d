"""The print control's long-poll, served as in production: the Procfile's own processes
(gunicorn), the shipped wait (20 s), the test's database and Redis.

- an idle poll answers 204 after the whole wait, twice in a row (redis-py 8's 5 s socket
  timeout once made every one of them a 500 after 5 s);
- a waiting poll holds no database connection: with a pool of ONE connection, a dozen polls
  wait while a heartbeat is answered, and a job queued by the 证书打印 page in another process
  wakes one of them through Redis.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from coo.models import PrintJob
from coo.printcontrol.cli import DEFAULT_WAIT_S
from coo.printcontrol.client import Client

from control_support import free_port, wait_for
from printing_support import paired_control, printable

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(rf"^{name}:\s*(.+)$", line)
        if match:
            return match.group(1)
    raise AssertionError(f"no {name}: in the Procfile")


class ProcfileProcess:
    """One Procfile line run by a shell, as honcho does, with the test's environment."""

    def __init__(self, name, test_env, **env):
        self.port = free_port()
        bind = {"web": "COO_BIND", "printcontrol": "COO_PRINTCONTROL_BIND"}[name]
        environ = dict(os.environ, **test_env, **env, **{bind: f"127.0.0.1:{self.port}"})
        environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
        self.log = tempfile.TemporaryFile(mode="w+")          # never a pipe nobody reads
        self.proc = subprocess.Popen(["bash", "-c", "exec " + procfile_command(name)], cwd=ROOT, env=environ,
                                     stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(f"{name} to listen", self._answers, timeout=60)

    def _answers(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError(self.log.read()[-3000:])
        try:
            urllib.request.urlopen(self.url + "/healthz", timeout=5).close()
        except urllib.error.HTTPError:
            pass             # 503 (no worker registered) still means it listens
        except OSError:
            return False
        return True

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


@pytest.fixture
def procfile(test_env):
    started = []

    def start(name, **env):
        process = ProcfileProcess(name, test_env, **env)
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop()


def poll(url, token, wait=DEFAULT_WAIT_S):
    request = urllib.request.Request(f"{url}/api/printcontrol/v1/jobs/next?wait={int(wait)}",
                                      headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=wait + 30) as response:
        return response.status, response.read()


def test_an_idle_poll_with_the_shipped_wait_answers_204_twice_in_a_row(app, demo, procfile):
    _, token = paired_control()
    servers = [procfile("printcontrol"), procfile("web")]
    answers = {}

    def twice(server):
        answers[server.url] = [poll(server.url, token), poll(server.url, token)]
    threads = [threading.Thread(target=twice, args=(s,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * DEFAULT_WAIT_S + 60)
    for server in servers:
        assert answers[server.url] == [(204, b""), (204, b"")], server.url


def test_waiting_polls_hold_no_database_connection_and_a_job_wakes_one(app, operator, procfile):
    cert, = printable(app)
    _, token = paired_control()
    server = procfile("printcontrol", DATABASE_POOL_SIZE="1")
    results = []

    def wait_for_a_job():
        results.append(poll(server.url, token))
    polls = [threading.Thread(target=wait_for_a_job) for _ in range(12)]
    for thread in polls:
        thread.start()
    threading.Event().wait(2)      # let the server accept them (a late one only makes this easier)

    # The pool's only connection is free: a heartbeat is answered while all twelve wait.
    heartbeat = Client(server.url, token).heartbeat(["PDF"])
    assert heartbeat["outdated"] is False
    assert not results and all(t.is_alive() for t in polls)

    # 打印正本 on the 证书打印 page (this process) wakes one poll in the other process.
    response = operator.post("/printing/jobs", {"ids": [str(cert.id)], "kind": "original"}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    job = PrintJob.get()
    for thread in polls:
        thread.join(timeout=DEFAULT_WAIT_S + 60)
    got_job = [body for status, body in results if status == 200]
    assert len(results) == 12 and len(got_job) == 1
    assert cert.number in got_job[0].decode() and f'"id":{job.id}' in got_job[0].decode().replace(" ", "")
    assert [status for status, _ in results].count(204) == 11

