# The ledger's two commands: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup seed lint format bench faults clean

run: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/pytest

# `make faults`: PostgreSQL restarted under load, on a cluster of the test's own
# (tests/test_faults.py; `make test` runs it too). Prints what it measured.
faults: setup
	$(BIN)/pytest -m faults -rP tests/test_faults.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11 (or newer).")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# `make bench`: the ledger at 10k, 100k and 1M line items against the local PostgreSQL, beside
# Datasette and COPY; writes bench/results.md (bench/README.md). BENCH_SIZES=10000,100000 for a
# quick run. Datasette gets its own venv so that it never becomes a dependency of the project.
BENCH_VENV := bench/.venv

bench: setup $(BENCH_VENV)/.installed
	$(BIN)/python bench/run.py

$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet "datasette>=0.65,<0.66"
	@touch $@

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache .ruff_cache *.egg-info
