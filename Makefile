# Two commands for a fresh machine: `make run` and `make test`. DATABASE_URL is honoured throughout.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test e2e lint format messages worker clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo_logins
	$(PY) manage.py db_worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn linli.wsgi --bind 127.0.0.1:8000 --workers 2 --threads 4 --access-logfile -

test: install
	$(PY) -m pytest -q

e2e: install
	$(PY) -m pytest -q e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	cd linli && ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete && ../$(PY) ../manage.py compilemessages

worker: install
	$(PY) manage.py db_worker

clean:
	rm -rf $(VENV) var/test-*
