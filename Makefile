# Tiers: `make run` to try it, `make test` to run the tests, `make check` before a commit.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test check format messages bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements/main.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements/main.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

run: $(VENV)/.installed
	@mkdir -p var
	$(BIN)/tiers serve $(HOST):$(PORT)

# The whole suite on SQLite; with CI=true also on PostgreSQL and with the browser tests.
test: $(VENV)/.installed-dev
	$(BIN)/python scripts/test.py

check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(VENV)/.installed-dev
	cd src/tiers && ../../$(BIN)/tiers makemessages -l fr -l en --no-obsolete --ignore='static/vendor/*' --ignore='*/migrations/*'
	cd src/tiers && ../../$(BIN)/tiers compilemessages

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bookings_run.py --wait-idle 180 --retries 2 --load-on postgres,sqlite
	$(BIN)/python bench/events_run.py --wait-idle 180 --retries 2 --load-on postgres,sqlite

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
