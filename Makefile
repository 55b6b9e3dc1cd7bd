# The ledger's two commands: `make run` and `make test`; production's: `make serve` (and
# `make backup` / `make restore`). Everything else is a step they take.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test serve backup restore setup messages locale seed lint format bench bench-entry load faults clean

run: setup messages
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup messages
	$(BIN)/pytest

# `make serve`: production (README, "Serving in production"). DEBUG off, so settings refuse
# to start without DJANGO_SECRET_KEY; the database is DATABASE_URL's. Migrations and static
# files first, then gunicorn with ledger/gunicorn.conf.py in place of make's shell.
serve: export DJANGO_DEBUG = 0
serve: setup messages
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve: DJANGO_SECRET_KEY is not set. Production needs a long random secret, e.g. export DJANGO_SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" >&2; exit 1; }
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	exec $(BIN)/gunicorn --config ledger/gunicorn.conf.py ledger.wsgi

# `make backup FILE=…` / `make restore FILE=…` (README, "Backup and restore"): the database
# in DATABASE_URL, with the settings' usual environment (a SECRET_KEY, or DJANGO_DEBUG=1).
backup: setup
	@test -n "$(FILE)" || { echo "make backup: name the file, e.g. make backup FILE=ledger-$$(date +%F).zip" >&2; exit 1; }
	$(BIN)/python manage.py backup "$(FILE)"

restore: setup
	@test -n "$(FILE)" || { echo "make restore: name the backup, e.g. make restore FILE=ledger-2024-06-01.zip" >&2; exit 1; }
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py restore "$(FILE)"

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

# The interface's translations (README, "Languages"), compiled from locale/<language>/
# LC_MESSAGES/django.po whenever the .po changes: by Babel, so that no machine needs GNU
# gettext. Fuzzy entries are left out, as msgfmt leaves them out.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
messages: $(CATALOGUES)

locale/%.mo: locale/%.po $(STAMP)
	$(BIN)/pybabel --quiet compile --domain django --input-file $< --output-file $@

# After changing the interface's text: gather its messages into every .po (this step needs
# GNU gettext: apt-get install gettext), then translate what is new (tests list it). The
# admin's copies of Django's own templates keep Django's translations.
DJANGO_ADMIN_COPIES := $(addprefix --ignore=templates/admin/aid/,search_form.html pagination.html actions.html)
locale: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages --all --add-location=file \
		--ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles $(DJANGO_ADMIN_COPIES)

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

# `make bench-entry`: the agreement's admin page at 50 line items, rendered and saved
# (bench/entry.py); DATABASE_URL=postgres://... for PostgreSQL.
bench-entry: setup
	$(BIN)/python bench/entry.py

# `make load`: 10, 50 and 200 concurrent readers (Locust, in bench/.venv) against gunicorn on
# PostgreSQL, with the seed data and a million synthetic line items, beside Datasette; writes
# its part of bench/results.md (bench/load.py). LOAD_ITEMS=0 for the seed data only.
load: setup $(BENCH_VENV)/.installed $(BENCH_VENV)/.installed-locust
	$(BIN)/python bench/load.py

$(BENCH_VENV)/.installed-locust: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m pip install --quiet "locust>=2.20,<3"
	@touch $@

$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet "datasette>=0.65,<0.66"
	@touch $@

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache .ruff_cache *.egg-info
