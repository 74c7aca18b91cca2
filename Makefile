# Gatehouse. Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint types check pytest pytest-sqlite pytest-postgres bench install messages serve clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Gatehouse needs Python 3.11 ($(PYTHON))"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

.env: | install
	$(PY) -m gatehouse.lib.envfile .env

# Install, migrate the embedded SQLite database, seed the Huangpu demo, print the logins, serve.
demo: install .env
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed --scale demo --if-empty
	$(PY) manage.py demo_logins
	$(PY) manage.py demo_serve --port $(PORT)

serve: install .env
	$(PY) manage.py demo_serve --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: install
	$(VENV)/bin/mypy gatehouse tests bench

check: install
	$(PY) manage.py check --settings=gatehouse.settings_test
	$(PY) manage.py makemigrations --check --dry-run --settings=gatehouse.settings_test

# The whole suite on SQLite, then again on PostgreSQL when DATABASE_URL names one.
pytest-sqlite: install
	env -u DATABASE_URL $(VENV)/bin/pytest -n 2 -q

pytest-postgres: install
	@if [ -n "$$DATABASE_URL" ]; then \
		$(VENV)/bin/pytest -n 2 -q -m "not browser"; \
	else echo "PostgreSQL pass skipped: set DATABASE_URL (e.g. postgres://root@127.0.0.1:5432/test) to run it"; fi

test: lint types check pytest-sqlite pytest-postgres

bench: install .env
	$(PY) -m bench

# Extract each app's strings into its own locale/, fill from TABLE (optional), compile .mo files.
messages: install
	@for app in gatehouse/*/; do [ -d "$$app/locale" ] || continue; \
		(cd $$app && PYTHONPATH=$(CURDIR) ../../$(VENV)/bin/django-admin makemessages -l zh_Hans \
			--settings=gatehouse.settings_test --no-obsolete >/dev/null) || exit 1; done
	$(PY) tools/po_fill.py $(TABLE)

clean:
	rm -rf $(VENV) var .env
