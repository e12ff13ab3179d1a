PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv install run test check fmt clean bench

venv: $(BIN)/python

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[embedded,dev]'
	touch $@

run: install
	$(BIN)/flightlog seed
	$(BIN)/flightlog serve

test: install
	$(BIN)/python -m pytest -q

check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy events projections service
	$(BIN)/python -m pytest -q

# The benchmark (not part of `make test`): installs wrk (Debian, when root) and
# py-spy, then writes bench/RESULTS.md. BENCH_SMOKE=1 runs the tiny plan.
bench: $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null && apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
		echo "bench: wrk unavailable; reads use the aiohttp load generator" >&2
	$(BIN)/python -m bench

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/pip install --quiet -e '.[embedded,dev,bench]'
	touch $@

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var *.egg-info
