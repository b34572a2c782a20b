# CareCore: the two commands are `make run` and `make test`; the rest are helpers.
#
# Works on a machine that has only Python 3.11: the first target that needs it creates .venv
# and installs the pinned dependencies from pyproject.toml. They are reinstalled only when
# pyproject.toml changes (stamp files inside .venv).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUNTIME := $(VENV)/.installed-runtime
STAMP_DEV := $(VENV)/.installed-dev
# The browser tests read it from the environment too (tests/browser/conftest.py).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
# Extra arguments for the test run, e.g. `make test PYTEST_ARGS="-k lockout -x"`.
PYTEST_ARGS ?=
# Two workers on two cores; `make test PYTEST_WORKERS=0` runs everything in one process.
PYTEST_WORKERS ?= 2

# `make run` and the helpers that serve or change data use the local settings unless told
# otherwise; the test targets always use carecore.settings.test (pyproject.toml).
RUN_SETTINGS ?= carecore.settings.local

.PHONY: help venv install install-dev run migrate seed worker beat test test-fast lint \
	typecheck check-postgres check-redis check-chromium clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# --- Python snippets the recipes run (kept here so the Makefile is self-contained) ----------

# What `make run` serves from: the database and the task mode, read from the loaded settings.
define RUN_INFO_PY
import django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
engine = db["ENGINE"].rsplit(".", 1)[-1]
if engine == "sqlite3":
    print(f"Database: SQLite, {db['NAME']}")
else:
    print(f"Database: {engine}, {db['NAME']} on {db.get('HOST') or 'the local socket'}")
if settings.CELERY_TASK_ALWAYS_EAGER:
    print("Tasks:    eager, in the web process (CELERY_BROKER_URL is not set)")
else:
    print("Tasks:    Celery worker with beat in the background, log in var/celery.log")
print()
print("Open http://127.0.0.1:8000 and sign in with one of the accounts above.")
print("Press Ctrl+C to stop.")
endef
export RUN_INFO_PY

define CHECK_POSTGRES_PY
import os, sys
import environ, psycopg2
url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/carecore"
cfg = environ.Env.db_url_config(url)
if "postgresql" not in cfg["ENGINE"]:
    sys.exit(f"make test needs PostgreSQL; DATABASE_URL points at {cfg['ENGINE']}.")
params = {"dbname": "postgres", "user": cfg.get("USER") or None, "password": cfg.get("PASSWORD") or None,
          "host": cfg.get("HOST") or None, "port": cfg.get("PORT") or None, "connect_timeout": 5}
try:
    psycopg2.connect(**{k: v for k, v in params.items() if v is not None}).close()
except psycopg2.OperationalError as exc:
    where = f"{cfg.get('HOST') or 'local socket'}:{cfg.get('PORT') or 5432}"
    sys.exit(f"PostgreSQL is not reachable at {where} as {cfg.get('USER') or 'the current user'}:\n"
             f"  {str(exc).strip()}\n"
             "Start it (pg_ctlcluster <version> main start) or point DATABASE_URL at one.")
endef
export CHECK_POSTGRES_PY

define CHECK_REDIS_PY
import os, sys
import redis
url = os.environ.get("CARECORE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/9"
try:
    redis.Redis.from_url(url, socket_connect_timeout=5).ping()
except redis.RedisError as exc:
    sys.exit(f"Redis is not reachable at {url} (the broker test needs it): {exc}\n"
             "Start it (redis-server --daemonize yes) or set CARECORE_TEST_REDIS_URL.")
endef
export CHECK_REDIS_PY

# --- Virtualenv and dependencies --------------------------------------------------------------

$(PY):
	@py="$$(command -v python3.11 || true)"
	if [ -z "$$py" ] && command -v python3 >/dev/null \
	   && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
	  py="$$(command -v python3)"
	fi
	if [ -z "$$py" ]; then
	  echo "CareCore needs Python 3.11 (python3.11, or a python3 that is 3.11) on PATH." >&2
	  exit 1
	fi
	echo "Creating $(VENV) with $$py"
	"$$py" -m venv $(VENV)

# The dependency list is read straight from pyproject.toml: the project is not an installable
# package (no build step, no editable install), only its pinned requirements are.
READ_DEPS = $(PY) -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + (p["optional-dependencies"]["dev"] if sys.argv[1] == "dev" else [])))'

$(STAMP_RUNTIME): pyproject.toml | $(PY)
	@echo "Installing the runtime dependencies into $(VENV)"
	$(READ_DEPS) runtime > $(VENV)/requirements-runtime.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-runtime.txt
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	@echo "Installing the runtime and development dependencies into $(VENV)"
	$(READ_DEPS) dev > $(VENV)/requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-dev.txt
	touch $@ $(STAMP_RUNTIME)

venv: $(PY)  ## Create .venv.

install: $(STAMP_RUNTIME)  ## Install the runtime dependencies into .venv.

install-dev: $(STAMP_DEV)  ## Install the runtime and development dependencies into .venv.

# --- Serving ----------------------------------------------------------------------------------

run: $(STAMP_RUNTIME)  ## Migrate, load demo data, serve http://127.0.0.1:8000.
	@export DJANGO_SETTINGS_MODULE=$(RUN_SETTINGS) PYTHONPATH="$(CURDIR)"
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
	# seed_demo is idempotent: it creates the demo accounts that are missing and prints them.
	$(PY) manage.py seed_demo
	echo
	$(PY) -c "$$RUN_INFO_PY"
	worker=""
	if [ -n "$${CELERY_BROKER_URL:-}" ]; then
	  # With a broker, queued tasks need a worker, and the audit sealer needs beat.
	  $(VENV)/bin/celery -A carecore worker -B -P solo -l info \
	    -s var/celerybeat-schedule > var/celery.log 2>&1 &
	  worker=$$!
	  trap 'kill $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT
	fi
	$(PY) manage.py runserver 127.0.0.1:8000

migrate: $(STAMP_RUNTIME)  ## Apply migrations (local settings unless DJANGO_SETTINGS_MODULE is set).
	@DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-$(RUN_SETTINGS)} $(PY) manage.py migrate --no-input

seed: $(STAMP_RUNTIME)  ## Load the demo users (refused under production settings).
	@DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-$(RUN_SETTINGS)} $(PY) manage.py seed_demo

worker: $(STAMP_RUNTIME)  ## Run a Celery worker (needs CELERY_BROKER_URL).
	@test -n "$${CELERY_BROKER_URL:-}" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)." >&2; exit 1; }
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-$(RUN_SETTINGS)} PYTHONPATH="$(CURDIR)" \
	  $(VENV)/bin/celery -A carecore worker -l info

beat: $(STAMP_RUNTIME)  ## Run Celery beat, the static schedule in settings (needs CELERY_BROKER_URL).
	@test -n "$${CELERY_BROKER_URL:-}" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)." >&2; exit 1; }
	mkdir -p var
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-$(RUN_SETTINGS)} PYTHONPATH="$(CURDIR)" \
	  $(VENV)/bin/celery -A carecore beat -l info -s var/celerybeat-schedule

# --- Checks and tests -------------------------------------------------------------------------

check-postgres: $(STAMP_DEV)
	@$(PY) -c "$$CHECK_POSTGRES_PY"

check-redis: $(STAMP_DEV)
	@$(PY) -c "$$CHECK_REDIS_PY"

check-chromium:
	@test -x "$(CHROMIUM)" || { echo "The browser tests need Chromium at $(CHROMIUM)." \
	  "Install it with: apt-get update && apt-get install -y chromium  (or run .ci/run)." >&2; exit 1; }

lint: $(STAMP_DEV)  ## Run ruff.
	@$(VENV)/bin/ruff check .

typecheck: $(STAMP_DEV)  ## Run mypy on the domain code.
	@$(VENV)/bin/mypy

# pytest exits 5 when it collected nothing; that is "no tests", reported but not an error.
define pytest
rc=0; $(VENV)/bin/pytest $(1) || rc=$$?
if [ $$rc -eq 5 ]; then echo "pytest: no tests collected."; elif [ $$rc -ne 0 ]; then exit $$rc; fi
endef

test: $(STAMP_DEV) check-postgres check-redis check-chromium  ## Lint and type-check, then the whole suite on PostgreSQL.
	@echo "== ruff"
	# A lint failure fails the run, but only after the tests: one run reports both.
	lint_rc=0; $(VENV)/bin/ruff check . || lint_rc=$$?
	echo "== mypy (domain layer)"
	$(VENV)/bin/mypy || lint_rc=$$?
	echo "== pytest (PostgreSQL; SQLite smoke, Celery worker and browser tests included)"
	workers=""
	if [ "$(PYTEST_WORKERS)" != "0" ]; then workers="-n $(PYTEST_WORKERS) --dist loadgroup"; fi
	$(call pytest,$$workers --create-db $(PYTEST_ARGS))
	if [ $$lint_rc -ne 0 ]; then echo "make test: ruff or mypy reported problems (see above)." >&2; exit $$lint_rc; fi

test-fast: $(STAMP_DEV)  ## The suite without the browser, broker and smoke tests.
	@$(call pytest,-m "not browser and not broker and not smoke" $(PYTEST_ARGS))

clean:  ## Remove caches, the demo database and local media (keeps .venv).
	@rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis test-results staticfiles
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find var -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
