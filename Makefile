PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv install run test check fmt clean

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
	$(BIN)/flightlog serve --host 127.0.0.1 --port 8080

test: install
	$(BIN)/python -m pytest -q

check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy events projections service
	$(BIN)/python -m pytest -q

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var *.egg-info
