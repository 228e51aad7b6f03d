"""Run every bench/bench_*.py (or those named): `python -m bench [--smoke] [name ...]`.

Each benchmark runs in a process of its own (one cannot leave state, environment or a bound
database behind for the next), its output streamed through. The run fails (exit 1) when any
benchmark raises, exits non-zero, or prints no `BENCH name=... value=...` line, and the others
still run, so one broken benchmark never hides another's lines. `--smoke` (what `make
bench-smoke` runs) sets BENCH_SMOKE=1: tiny sizes and durations from `bench.support.setting`,
proving every benchmark still works, not how fast it is.

Benchmarks are discovered: any module `bench_*.py` of the package is run, so a new one is
covered by `make bench` and `make bench-smoke` without being listed anywhere.
`--package NAME` runs another package's `bench_*` modules (the runner's own tests use it).
"""
import argparse
import importlib
import os
import pkgutil
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_LINE = re.compile(r"^BENCH name=\S+ value=\S+ unit=\S+$")
SMOKE_TIMEOUT_S = 600      # a smoke benchmark that takes longer is hanging


def discover(package: str) -> list[str]:
    module = importlib.import_module(package)
    return sorted(m.name for m in pkgutil.iter_modules(module.__path__) if m.name.startswith("bench_"))


def run_one(package: str, name: str, timeout: float | None) -> tuple[bool, str]:
    """Run one benchmark in a child process, echoing its output; (passed, why not)."""
    code = f"import importlib; importlib.import_module({f'{package}.{name}'!r}).main()"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines = 0
    # A hanging benchmark is killed (a watchdog: a silent hang prints nothing to wake us).
    killed = threading.Event()

    def kill():
        killed.set()
        proc.kill()
    watchdog = threading.Timer(timeout, kill) if timeout else None
    if watchdog:
        watchdog.start()
    try:
        for out in proc.stdout:
            sys.stdout.write(out)
            sys.stdout.flush()
            if BENCH_LINE.match(out.strip()):
                lines += 1
        rc = proc.wait()
    finally:
        if watchdog:
            watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if killed.is_set():
        return False, f"still running after {timeout:.0f}s"
    if rc != 0:
        return False, f"exited with status {rc}"
    if lines == 0:
        return False, "printed no BENCH line"
    return True, ""


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: every bench_*.py)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and durations (BENCH_SMOKE=1)")
    parser.add_argument("--package", default="bench")
    args = parser.parse_args(argv)
    if args.smoke:
        os.environ["BENCH_SMOKE"] = "1"
    smoke = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
    known = discover(args.package)
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in args.names] or known
    unknown = [n for n in wanted if n not in known]
    if unknown:
        print(f"# no such benchmark: {', '.join(unknown)} (have: {', '.join(known)})", flush=True)
        return 2
    failed = []
    started_all = time.perf_counter()
    redis_proc = _own_redis()
    try:
        for name in wanted:
            started = time.perf_counter()
            print(f"# {name}{' (smoke)' if smoke else ''}", flush=True)
            ok, why = run_one(args.package, name, SMOKE_TIMEOUT_S if smoke else None)
            if not ok:
                failed.append(name)
                print(f"# {name} FAILED: {why}", flush=True)
            print(f"# {name} took {time.perf_counter() - started:.1f}s", flush=True)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    print(f"# {len(wanted) - len(failed)} of {len(wanted)} benchmarks passed in "
          f"{time.perf_counter() - started_all:.0f}s" + (f"; failed: {', '.join(failed)}" if failed else ""),
          flush=True)
    return 1 if failed else 0


def _own_redis():
    """A throwaway redis-server for the benchmarks' apps (logins are throttled in Redis, and a
    login without Redis is refused to strangers), unless REDIS_URL names one. Benchmarks that
    measure Redis-backed work start their own."""
    if os.environ.get("REDIS_URL"):
        return None
    import shutil
    import socket
    import tempfile
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", tempfile.gettempdir()], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    return proc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
