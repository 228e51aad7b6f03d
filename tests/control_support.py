"""Running the print control as users do — a separate process — and reading what it says."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=60):
    """Wait for something another process does; fail with `what` if it never happens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for: {what}")


class Served:
    """The app on a real threaded HTTP server on a fixed port, which can be stopped and
    started again (the control sees the same address go away and come back)."""

    def __init__(self, app, port=None):
        self.app = app
        self.port = port or free_port()
        self.server = None
        self.thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=30)
            self.server = None


class ControlProcess:
    """`python -m coo.printcontrol ...` with its own HOME and TMPDIR; stderr collected by line."""

    def __init__(self, tmp: Path, *args, env=None, cmd=None, cwd=None, stdin_text=None):
        (tmp / "control-tmp").mkdir(exist_ok=True)
        (tmp / "home").mkdir(exist_ok=True)
        self.config = tmp / "control.json"
        env = dict(os.environ, **{"TMPDIR": str(tmp / "control-tmp"), "HOME": str(tmp / "home"),
                                  "PYTHONUNBUFFERED": "1", **(env or {})})
        cmd = cmd or [sys.executable, "-m", "coo.printcontrol", "--config", str(self.config), *args]
        self.proc = subprocess.Popen(cmd, cwd=cwd or ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                     text=True)
        if stdin_text is not None:
            self.proc.stdin.write(stdin_text)
            self.proc.stdin.close()
        self.lines = []
        self._readers = [threading.Thread(target=self._read, args=(stream,), daemon=True)
                         for stream in (self.proc.stderr, self.proc.stdout)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream):
        with stream:
            for line in stream:
                self.lines.append(line.rstrip("\n"))

    def wait_line(self, *words, timeout=60):
        """The first line (from now on or before) that has every word."""
        return wait_for(f"a line with {words} (so far: {self.lines[-5:]})",
                        lambda: next((l for l in self.lines if all(w in l for w in words)), None), timeout)

    def count(self, *words):
        return sum(1 for l in self.lines if all(w in l for w in words))

    @property
    def running(self):
        return self.proc.poll() is None

    def stop(self):
        if self.running:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)
        return self.proc.returncode

    def text(self):
        return "\n".join(self.lines)


def write_config(path: Path, server: str, token: str, printed: Path, **extra):
    path.write_text(json.dumps({"server": server, "token": token, "enterprise": "浙江华东进出口有限公司",
                                "backend": "directory", "directory": str(printed), **extra},
                               ensure_ascii=False), encoding="utf-8")
