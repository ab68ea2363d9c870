# Everyday commands. `make run` serves the app with demo data; `make test` runs the suite.
# Every target works with the embedded PostgreSQL (no DATABASE_URL) and with DATABASE_URL set.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
# Touched after a successful install: deps are reinstalled only when pyproject.toml or
# constraints.txt is newer than it.
STAMP  := $(VENV)/.civreg-deps.stamp

HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k approve -x"`.
PYTEST_ARGS ?=
# Two workers (the machine has two cores); a test file stays on one worker, so module fixtures run once.
PYTEST_PARALLEL ?= -n 2 --dist loadfile

# The interpreter that creates .venv: the first working python3.11 on PATH or under pyenv.
PYTHON311 ?= $(shell for p in python3.11 $(HOME)/.pyenv/versions/3.11*/bin/python3.11 \
                 /root/.pyenv/versions/3.11*/bin/python3.11; do \
                 "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
                 && { command -v "$$p"; break; }; done)

# Development mode unless the caller says otherwise: without DEBUG the settings demand a
# SECRET_KEY (see .env.example). Tests override this below.
export DEBUG ?= 1

# Targets run one after another even under `make -j`: setup's system packages come before the
# virtualenv, which needs python3.11-venv. (pytest parallelises the tests itself.)
.NOTPARALLEL:

.PHONY: help system-packages setup deps run test lint bench bench-quick db-stop constraints

help:
	@echo "make run          set up, then serve http://$(HOST):$(PORT) (gunicorn pages + uvicorn WebSockets, DEBUG=1) with the workers"
	@echo "make test         set up, then run the test suite (PYTEST_ARGS=... to pass options)"
	@echo "make setup        Debian packages (scripts/debian-packages.txt), virtualenv, dependencies,"
	@echo "                  migrations, units, demo data, translations"
	@echo "make lint         ruff check, ruff format --check, mypy, import layers, makemigrations --check"
	@echo "make bench        benchmark with 1,000,000 records (bench-quick: 50,000)"
	@echo "make db-stop      stop the embedded PostgreSQL (var/pgdata)"
	@echo "make constraints  rewrite constraints.txt from the virtualenv (the lock)"

# --- Environment ------------------------------------------------------------------------

$(PY):
	@test -n "$(PYTHON311)" || { echo "python3.11 not found (PATH or ~/.pyenv/versions/3.11*)" >&2; exit 1; }
	$(PYTHON311) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP) install --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

deps: $(STAMP)

# The Debian packages of scripts/debian-packages.txt: installed when missing and running as
# root, otherwise a stop with the `sudo apt-get install ...` line to run.
system-packages:
	@bash scripts/system-packages.sh

# system-packages first: the virtualenv needs python3.11-venv.
setup: system-packages deps
	$(MANAGE) migrate --noinput
	$(MANAGE) load_units
	$(MANAGE) seed_demo
	$(MANAGE) compilemessages --ignore=.venv --ignore=var --ignore=node_modules

# --- Serving ----------------------------------------------------------------------------

# The web tier (scripts/serve.sh all) and the background workers side by side; Ctrl-C stops all (scripts/run-dev.sh).
run: DEBUG = 1
run: setup
	HOST=$(HOST) PORT=$(PORT) scripts/run-dev.sh

# --- Checks -----------------------------------------------------------------------------

# Fails when pytest fails, including when it collects no test (exit 5). CIVREG_TESTING selects the test settings
# (fast hasher, in-memory email/cache/channel layer, jobs run inline) even before pytest loads.
test: setup
	@echo "DEBUG=0 CIVREG_TESTING=1 $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)"; rc=0; \
	DEBUG=0 CIVREG_TESTING=1 $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc = 5 ]; then echo "make test: pytest collected no test (exit 5), counted as a failure" >&2; fi; \
	exit $$rc

# Runs every check, then fails if any failed.
lint: deps
	@rc=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || rc=1; \
	echo "ruff format --check ."; $(VENV)/bin/ruff format --check . || rc=1; \
	echo "mypy ."; $(VENV)/bin/mypy . || rc=1; \
	echo "lint-imports (layers, DESIGN.md §9)"; $(VENV)/bin/lint-imports --no-cache || rc=1; \
	echo "makemigrations --check"; $(MANAGE) makemigrations --check --dry-run || rc=1; \
	exit $$rc

bench: setup
	$(PY) -m bench --records 1000000 --output bench/results/latest.json

bench-quick: setup
	$(PY) -m bench --quick --output bench/results/quick.json

# --- Maintenance ------------------------------------------------------------------------

# Stops the server by the pid in DATA_DIR/pgdata/postmaster.pid (DATA_DIR from the
# environment or .env, default var). Harmless when none runs or DATABASE_URL is used.
db-stop: | $(PY)
	@$(PY) -c 'import os, pathlib, environ; \
	env_file = pathlib.Path(".env"); \
	env_file.exists() and environ.Env.read_env(env_file, overwrite=False); \
	from config.embedded_db import stop; \
	pgdata = (pathlib.Path(os.environ.get("DATA_DIR") or "var") / "pgdata").resolve(); \
	print(("stopped the embedded PostgreSQL in " if stop(pgdata) else "no embedded PostgreSQL running in ") + str(pgdata))'

constraints: deps
	{ sed -n '/^#/p' constraints.txt; \
	  $(PIP) freeze --disable-pip-version-check --exclude-editable | grep -viE '^(pip|setuptools|wheel|civreg)(==| @)'; \
	} > constraints.txt.new && mv constraints.txt.new constraints.txt
	@touch $(STAMP)
