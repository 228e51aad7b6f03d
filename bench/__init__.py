"""Benchmarks (`make bench`): each module `bench/bench_*.py` defines `main()` and prints lines
`BENCH name=<id> value=<number> unit=<unit>`, measured as ratios against the bare library in the
same run where the issue asks for it. Never timed assertions in the test suite."""
