"""`python -m bench` (and so `make bench-smoke`): every bench_*.py is discovered and run, and the
run fails when a benchmark raises, exits non-zero or prints no BENCH line — while the others
still run. The benchmarks themselves are run by `make bench-smoke` (.ci/run), not here."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
from bench.support import line, setting
def main():
    line("fake_rows", setting("FAKE_N", 1000, 3), "rows")
"""
SILENT = """
def main():
    print("# measured nothing")
"""
RAISES = """
def main():
    print("BENCH name=half_done value=1 unit=x", flush=True)
    raise RuntimeError("NOT NULL constraint failed: certificate.some_new_column")
"""


def _package(tmp_path, **modules):
    pkg = tmp_path / "fakebench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("def main():\n    raise AssertionError('not a benchmark')\n")
    for name, source in modules.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path


def _run(tmp_path, *args, **env):
    full_env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", **env)
    full_env.pop("BENCH_SMOKE", None)
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "bench", "--package", "fakebench", *args], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=120)


def test_every_bench_module_runs_and_a_good_run_passes(tmp_path):
    _package(tmp_path, bench_a=GOOD, bench_b=GOOD.replace("fake_rows", "other_rows"))
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "BENCH name=fake_rows value=1000 unit=rows" in result.stdout
    assert "BENCH name=other_rows value=1000 unit=rows" in result.stdout
    assert "2 of 2 benchmarks passed" in result.stdout
    assert "not a benchmark" not in result.stdout      # only bench_* modules are benchmarks


def test_smoke_mode_gives_the_benchmarks_their_small_sizes(tmp_path):
    _package(tmp_path, bench_a=GOOD)
    result = _run(tmp_path, "--smoke")
    assert result.returncode == 0, result.stdout
    assert "BENCH name=fake_rows value=3 unit=rows" in result.stdout
    # An explicit setting still wins over smoke mode.
    result = _run(tmp_path, "--smoke", FAKE_N="7")
    assert "BENCH name=fake_rows value=7 unit=rows" in result.stdout


def test_a_benchmark_that_raises_fails_the_run_and_the_others_still_run(tmp_path):
    _package(tmp_path, bench_a=RAISES, bench_b=GOOD)
    result = _run(tmp_path, "--smoke")
    assert result.returncode == 1
    assert "certificate.some_new_column" in result.stdout
    assert "# bench_a FAILED: exited with status 1" in result.stdout
    assert "BENCH name=fake_rows value=3 unit=rows" in result.stdout
    assert "1 of 2 benchmarks passed" in result.stdout and "failed: bench_a" in result.stdout


def test_a_benchmark_that_prints_no_bench_line_fails_the_run(tmp_path):
    _package(tmp_path, bench_a=GOOD, bench_quiet=SILENT)
    result = _run(tmp_path)
    assert result.returncode == 1
    assert "# bench_quiet FAILED: printed no BENCH line" in result.stdout


def test_an_unknown_benchmark_name_is_refused(tmp_path):
    _package(tmp_path, bench_a=GOOD)
    result = _run(tmp_path, "nosuch")
    assert result.returncode == 2
    assert "no such benchmark: bench_nosuch" in result.stdout
