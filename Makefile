# 安全守护 — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium

# The demo needs nothing but Python: SQLite file, no Redis (Celery uses a folder as broker).
# It runs with DEBUG off, as production does (Chinese error pages, no debug output); its
# secret key is made once per checkout in var/ (never committed).
DEMO_ENV = DEBUG=0 DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 REDIS_URL= STATIC_MANIFEST=0 \
	ALLOWED_HOSTS=127.0.0.1,localhost SECRET_KEY=$$(cat var/secret_key) \
	STAFF_ID_KEYS=$$(cat var/staff_id_key) STAFF_ID_HASH_KEY=$$(cat var/staff_id_hash_key)

# Tests use the real PostgreSQL and Redis of this machine (or what these variables say).
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/anquan
REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_ENV := DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) SECRET_KEY=test-only-not-secret \
	DEBUG=0 STATIC_MANIFEST=0

.PHONY: demo test lint venv venv-dev chromium services clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "需要 Python 3.11 或更高版本 (Python >= 3.11 is required)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

demo: venv
	@mkdir -p var/celery/queue var/celery/processed var/celery/control
	@test -s var/secret_key || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	@test -s var/staff_id_key || $(PY) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())' > var/staff_id_key
	@test -s var/staff_id_hash_key || $(PY) -c 'import secrets; print(secrets.token_hex(32))' > var/staff_id_hash_key
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEMO_ENV) $(PY) manage.py load_regions --province 140000
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v0
	@echo
	@echo "安全守护演示已启动：http://127.0.0.1:8000  （按 Ctrl-C 停止）"
	@echo
	@trap 'kill 0' EXIT INT TERM; \
	$(DEMO_ENV) $(VENV)/bin/celery -A config worker --pool=solo --loglevel=WARNING & \
	$(DEMO_ENV) $(VENV)/bin/celery -A config beat --loglevel=WARNING --pidfile= & \
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000 --noreload

# Debian's Chromium for the browser tests; never a browser download.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null || exit 1; \
		else \
			echo "Chromium is missing: run 'sudo apt-get install chromium' (browser tests need $(CHROMIUM))"; exit 1; \
		fi; \
	fi

services: venv-dev
	@$(TEST_ENV) $(PY) tools/check_services.py

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The migration check runs outside pytest: DEBUG=1 lets it derive throw-away staff-ID keys.
test: venv-dev chromium services
	$(TEST_ENV) DEBUG=1 DATABASE_URL=$(dir $(DATABASE_URL))postgres $(PY) manage.py makemigrations --check --dry-run -v0
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .
	$(TEST_ENV) $(VENV)/bin/pytest

clean:
	rm -rf var staticfiles
