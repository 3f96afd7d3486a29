# Developer and CI entry points. GNU make; every target works on a fresh clone and can be re-run.
#
#   make run               set up, migrate, seed demo users, serve on http://127.0.0.1:8000
#   make test              set up (with dev tools and Chromium), run the whole pytest suite
#   make lint              ruff
#   make typecheck         mypy (strict, django-stubs)
#   make migrations-check  fail when a model change has no migration
#   make deploy-check      Django's deployment checks in production mode, with throwaway secrets
#   make clean             remove the virtualenv, local data, compiled catalogues and caches

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Stamps record that the virtualenv holds the current pyproject.toml's dependencies.
STAMP_BASE := $(VENV)/.installed-base
STAMP_DEV := $(VENV)/.installed-dev

# Debian packages: gettext builds the catalogues; pango, harfbuzz and fonts let WeasyPrint render PDFs;
# the tests drive Debian's Chromium (Playwright never downloads a browser here) and read PDFs back
# with poppler-utils.
RUNTIME_DEBS := gettext fonts-dejavu-core libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
TEST_DEBS := $(RUNTIME_DEBS) chromium poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test lint typecheck migrations-check deploy-check clean messages runtime-debs test-debs

help:
	@sed -n '3,10p' Makefile | sed 's/^# *//'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_BASE): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_BASE)

# Installs only what is missing; `apt-get update` first, since a fresh machine may have no package lists.
define ensure_debs
	@missing=""; \
	for pkg in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
endef

runtime-debs:
	$(call ensure_debs,$(RUNTIME_DEBS))

test-debs:
	$(call ensure_debs,$(TEST_DEBS))
	@command -v chromium >/dev/null || { echo "chromium is installed but not on PATH" >&2; exit 1; }

# The .mo files are build products (gitignored); .venv holds other packages' catalogues, not ours.
messages: runtime-debs | $(STAMP_BASE)
	$(MANAGE) compilemessages --ignore=$(VENV) --verbosity=0

run: runtime-debs $(STAMP_BASE) messages
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:8000

# DATABASE_URL and PYTEST_ADDOPTS come from the environment as they are. The suite runs on every core
# (pytest-xdist; TEST_WORKERS=0 runs it in one process); a test file stays on one worker, so a
# module's browser is started once.
TEST_WORKERS ?= auto
test: test-debs $(STAMP_DEV) messages
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .

# Strict mypy with django-stubs over the apps (pyproject.toml, [tool.mypy]).
typecheck: $(STAMP_DEV)
	$(VENV)/bin/mypy

migrations-check: $(STAMP_BASE)
	$(MANAGE) makemigrations --check --dry-run

# Production mode with throwaway secrets made up on the spot and never written anywhere.
deploy-check: $(STAMP_BASE)
	@key() { $(PY) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'; }; \
	APP_ENV=production DEBUG=0 ALLOWED_HOSTS=example.org \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	FIELD_ENCRYPTION_KEYS="k1:$$(key)" BLIND_INDEX_KEY="$$(key)" \
	$(MANAGE) check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .hypothesis test-artifacts *.egg-info build
	find . -name '__pycache__' -type d -prune -exec rm -rf {} +
	find locale -name '*.mo' -delete 2>/dev/null || true
