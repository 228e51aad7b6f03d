# coo — two commands for a new user: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_POSTGRES_URL ?=

.PHONY: run test test-fast bench bench-smoke system-packages system-packages-test system-packages-bench clean

run: $(VENV)/.run-installed system-packages
	$(BIN)/python -m coo.devserver

test: $(VENV)/.test-installed system-packages-test
	$(BIN)/python -m pytest
	@if [ -n "$(TEST_POSTGRES_URL)" ]; then \
	  echo "== again on PostgreSQL =="; \
	  COO_TEST_BACKEND=postgres TEST_POSTGRES_URL="$(TEST_POSTGRES_URL)" $(BIN)/python -m pytest -m "not browser"; \
	fi

test-fast: $(VENV)/.test-installed system-packages-test
	$(BIN)/python -m pytest -m "not browser and not slow"

bench: $(VENV)/.test-installed system-packages-bench
	$(BIN)/python -m bench

# Every benchmark with tiny sizes and durations (BENCH_SMOKE=1): fails when one raises or prints
# no BENCH line. Proves they work, not how fast (no timing is checked). Needs PostgreSQL. Without
# wrk (no apt here) the req/s benchmarks use their Python load loop, so CI never depends on it.
bench-smoke: $(VENV)/.test-installed system-packages-test
	-@.ci/system-packages bench
	$(BIN)/python -m bench --smoke

system-packages:
	@.ci/system-packages run

system-packages-test:
	@.ci/system-packages test

system-packages-bench:
	@.ci/system-packages bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@ $(VENV)/.run-installed

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache
