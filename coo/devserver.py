"""`make run`: the embedded defaults, then the Procfile under honcho until Ctrl-C.

- SQLite under instance/ (DATABASE_URL unset), migrated; demo data loaded once;
- a local Redis on a private port (REDIS_URL unset), started here and stopped on exit;
- web (gunicorn on 127.0.0.1:8000), worker and scheduler from the Procfile.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_REDIS_PORT = int(os.environ.get("COO_LOCAL_REDIS_PORT", 6390))
# The demo's RFC 3161 time-stamping authority (signed originals are PAdES B-T): coo/proof/tsa.py.
LOCAL_TSA_PORT = int(os.environ.get("COO_LOCAL_TSA_PORT", 6391))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def start_local_redis(port: int, workdir: Path):
    """A private redis-server for this run, or None when one already answers on the port."""
    if port_open(port):
        return None
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        sys.exit("redis-server not found: install it (apt-get install redis-server) or set REDIS_URL")
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(50):
        if port_open(port):
            return proc
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"redis-server did not start on port {port}")


def _stop(signum, frame):
    raise KeyboardInterrupt


def main():
    # SIGTERM (e.g. from a supervisor or `timeout`) stops everything like Ctrl-C does.
    signal.signal(signal.SIGTERM, _stop)
    env = dict(os.environ)
    env.setdefault("COO_CONFIG", "development")
    redis_proc = None
    if "REDIS_URL" not in env:
        redis_proc = start_local_redis(LOCAL_REDIS_PORT, ROOT / "instance" / "redis")
        env["REDIS_URL"] = f"redis://127.0.0.1:{LOCAL_REDIS_PORT}/0"
    tsa_proc = None
    if "COO_TSA_URL" not in env:
        tsa_proc = subprocess.Popen([sys.executable, "-m", "coo.proof.tsa", "--port", str(LOCAL_TSA_PORT),
                                     "--dir", str(ROOT / "instance" / "tsa")], cwd=ROOT)
        env["COO_TSA_URL"] = f"http://127.0.0.1:{LOCAL_TSA_PORT}/"
    bindir = Path(sys.executable).parent
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    flask = [str(bindir / "flask"), "--app", "wsgi", "coo"]
    try:
        subprocess.run(flask + ["migrate"], env=env, cwd=ROOT, check=True)
        subprocess.run(flask + ["seed-demo"], env=env, cwd=ROOT, check=True)
        print("coo: http://127.0.0.1:8000  (Ctrl-C stops web, worker, scheduler and the local Redis)")
        honcho = subprocess.Popen([str(bindir / "honcho"), "start", "-f", "Procfile"], env=env, cwd=ROOT)
        try:
            honcho.wait()
        except KeyboardInterrupt:
            honcho.send_signal(signal.SIGINT)
            honcho.wait()
    finally:
        if tsa_proc is not None:
            tsa_proc.terminate()
            tsa_proc.wait(timeout=10)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


if __name__ == "__main__":
    main()
