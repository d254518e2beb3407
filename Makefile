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
# The suite runs in one process per core (pytest-xdist): each its own test database
# (<name>_gw0, _gw1) and its own Redis database (config/settings.py). TEST_WORKERS=0 runs it
# in this process, e.g. to step through a test.
TEST_WORKERS ?= 2
TEST_ENV := DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) SECRET_KEY=test-only-not-secret \
	DEBUG=0 STATIC_MANIFEST=0

.PHONY: demo test lint venv venv-dev lock chromium services clean backup restore var-keys load bench

# Installs take exactly the locked versions, each file checked against its hash (the same
# lock the image uses); the project itself only adds its (empty) package on top.
LOCK := requirements/lock.txt
LOCK_DEV := requirements/lock-dev.txt

$(VENV)/.installed: $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "需要 Python 3.11 或更高版本 (Python >= 3.11 is required)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed $(LOCK_DEV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK_DEV)
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

# After changing the dependencies in pyproject.toml: `make lock`, then commit both locks.
# Pins already in the locks are kept; `make lock UPGRADE=1` moves everything to the newest
# versions the ranges allow. The dev lock is held to the runtime's versions, so the tests
# run what production runs.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet \
	--generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	$(if $(UPGRADE),--upgrade)
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) --output-file $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint $(LOCK) --output-file $(LOCK_DEV) pyproject.toml

# Keys made once per checkout in var/ (never committed), for the demo and the load run.
var-keys:
	@mkdir -p var/celery/queue var/celery/processed var/celery/control
	@test -s var/secret_key || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	@test -s var/staff_id_key || $(PY) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())' > var/staff_id_key
	@test -s var/staff_id_hash_key || $(PY) -c 'import secrets; print(secrets.token_hex(32))' > var/staff_id_hash_key

demo: venv var-keys
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

# Debian's Chromium for the browser tests (never a browser download), Debian's
# docker-compose, with which the suite checks docker-compose.yml (no engine is needed), and
# the Noto CJK fonts the PDF summary embeds (the image has them too).
TEST_PACKAGES := $(if $(wildcard $(CHROMIUM)),,chromium) \
	$(if $(wildcard /usr/share/fonts/opentype/noto/NotoSansCJK*),,fonts-noto-cjk fontconfig) \
	$(if $(shell command -v docker-compose || docker compose version 2>/dev/null),,docker-compose)
chromium:
	@if [ -n "$(strip $(TEST_PACKAGES))" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PACKAGES)) >/dev/null || exit 1; \
		else \
			echo "Missing: run 'sudo apt-get install $(TEST_PACKAGES)' (the tests need them)"; exit 1; \
		fi; \
	fi

services: venv-dev
	@$(TEST_ENV) $(PY) tools/check_services.py

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# The migration check runs outside pytest: DEBUG=1 lets it derive throw-away staff-ID keys.
test: venv-dev chromium services
	$(TEST_ENV) DEBUG=1 DATABASE_URL=$(dir $(DATABASE_URL))postgres $(PY) manage.py makemigrations --check --dry-run -v0
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/lint-imports --no-cache
	$(TEST_ENV) $(VENV)/bin/pytest -n $(TEST_WORKERS)

# Deadline day under load ([production]): 200 county officers inspecting with photos while
# city and province staff browse, served by gunicorn, Locust on 127.0.0.1 for a bounded time.
# Runs in its own database (LOAD_DATABASE_URL), made here if missing.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/anquan_load
LOAD_ENV = DEBUG=0 DATABASE_URL=$(LOAD_DATABASE_URL) REDIS_URL=$(REDIS_URL) STATIC_MANIFEST=0 \
	ALLOWED_HOSTS=127.0.0.1 SECRET_KEY=$$(cat var/secret_key) \
	STAFF_ID_KEYS=$$(cat var/staff_id_key) STAFF_ID_HASH_KEY=$$(cat var/staff_id_hash_key)
load: venv var-keys
	$(PY) -m pip install --quiet -e ".[load]"
	@psql "$(dir $(LOAD_DATABASE_URL))postgres" -tAc "select 1 from pg_database where datname='$(notdir $(LOAD_DATABASE_URL))'" | grep -q 1 || \
		psql "$(dir $(LOAD_DATABASE_URL))postgres" -c 'create database "$(notdir $(LOAD_DATABASE_URL))"'
	$(LOAD_ENV) $(PY) manage.py migrate --noinput -v0
	$(LOAD_ENV) $(PY) manage.py load_test $(LOAD_ARGS)

# Benchmarks (README, Performance): a national-scale data set in its own database, made
# once (about 20 minutes, ~13 GB) and reused, then one table of medians beside their floors.
#   make bench [BENCH_INSTITUTIONS=120000] [BENCH_ARGS="--requests 5"]
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/anquan_bench
BENCH_INSTITUTIONS ?= 120000
BENCH_ENV = DEBUG=0 DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(REDIS_URL) STATIC_MANIFEST=0 \
	ALLOWED_HOSTS=127.0.0.1 SECRET_KEY=$$(cat var/secret_key) LOG_LEVEL=WARNING \
	STAFF_ID_KEYS=$$(cat var/staff_id_key) STAFF_ID_HASH_KEY=$$(cat var/staff_id_hash_key)
bench: venv var-keys
	@psql "$(dir $(BENCH_DATABASE_URL))postgres" -tAc "select 1 from pg_database where datname='$(notdir $(BENCH_DATABASE_URL))'" | grep -q 1 || \
		psql "$(dir $(BENCH_DATABASE_URL))postgres" -c 'create database "$(notdir $(BENCH_DATABASE_URL))"'
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) $(PY) manage.py generate_scale_data --institutions $(BENCH_INSTITUTIONS) --reuse
	$(BENCH_ENV) $(PY) manage.py bench $(BENCH_ARGS)

# Backups (README, 部署 / Deployment) of the database and MEDIA_ROOT that the environment
# names (DATABASE_URL, MEDIA_ROOT, as the running service has them):
#   make backup [BACKUP_DIR=/backups/anquan-2023-12-01]
#   make restore BACKUP=<backup folder> DB=<new database name> [MEDIA=<folder>] [FORCE=1]
backup: venv
	$(PY) manage.py backup $(if $(BACKUP_DIR),--output $(BACKUP_DIR))

restore: venv
	@test -n "$(BACKUP)" -a -n "$(DB)" || \
		{ echo "用法 (usage): make restore BACKUP=<备份文件夹> DB=<新数据库名> [MEDIA=<文件夹>] [FORCE=1]"; exit 1; }
	$(PY) manage.py restore "$(BACKUP)" --database "$(DB)" $(if $(MEDIA),--media-root "$(MEDIA)") $(if $(FORCE),--force)

clean:
	rm -rf var staticfiles
