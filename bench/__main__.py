"""Run every bench/bench_*.py (or those named on the command line): `python -m bench [name ...]`."""
import importlib
import pkgutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv):
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")]
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or sorted(names)
    failed = 0
    for name in wanted:
        started = time.perf_counter()
        print(f"# {name}", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one broken bench must not hide the others' lines
            failed += 1
            print(f"# {name} failed: {exc!r}", flush=True)
        print(f"# {name} took {time.perf_counter() - started:.1f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
