# Workhorse: `make` lists the commands.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# The tests use the machine's PostgreSQL, RabbitMQ and Redis unless told otherwise.
TEST_ENV := DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/workhorse} \
	RABBITMQ_URL=$${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/%2F} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-0123456789abcdef0123456789}

# Lock files, written by `make lock` from pyproject.toml: exact versions with their hashes.
LOCK := requirements.txt
DEV_LOCK := requirements-dev.txt
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

.PHONY: help install run test lint format check bench docker-config superuser lock

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The runtime set alone: what `make run` needs. The project itself goes in without its
# dependencies (the lock has them all); `pip check` catches a lock older than pyproject.toml.
$(VENV)/.runtime: pyproject.toml $(LOCK)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "The lock is out of date: run make lock"; exit 1; }
	touch $@

# The dev set on top: tests, linters, type checker, benchmarks' clients, lock tools.
$(VENV)/.installed: $(VENV)/.runtime $(DEV_LOCK)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(PY) -m pip check
	touch $@

install: $(VENV)/.installed ## create the venv and install the project with its dev tools

.env:
	echo "SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	echo "METRICS_TOKEN=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >> .env

run: $(VENV)/.runtime .env ## serve the whole product on http://127.0.0.1:$(PORT) (PORT=8001 make run for another port)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py serve --port $(PORT)

# Without a terminal (a script, CI, a container) the account comes from the environment.
superuser: $(VENV)/.runtime .env ## create an admin account for /admin/ (or set DJANGO_SUPERUSER_EMAIL and _PASSWORD)
	$(PY) manage.py migrate --noinput -v0
	@if [[ -n "$$DJANGO_SUPERUSER_EMAIL" && -n "$$DJANGO_SUPERUSER_PASSWORD" ]]; then \
		$(PY) manage.py createsuperuser --noinput; \
	elif [[ -t 0 ]]; then \
		$(PY) manage.py createsuperuser; \
	else \
		echo "make superuser: no terminal to ask on. Set DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD," >&2; \
		echo "  e.g. DJANGO_SUPERUSER_EMAIL=admin@example.com DJANGO_SUPERUSER_PASSWORD='...' make superuser" >&2; \
		exit 1; \
	fi

test: install ## run the whole test suite against the local PostgreSQL, RabbitMQ and Redis
	$(TEST_ENV) $(PY) -m pytest $(ARGS)

lint: install ## ruff, mypy, migrations, OpenAPI schema and Django checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=1 $(PY) manage.py check

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Not after `install`: that refuses a lock older than pyproject.toml, which is why one runs this.
lock: ## rewrite the lock files from pyproject.toml (after changing a dependency)
	test -x $(PY) || python3 -m venv $(VENV)
	test -x $(VENV)/bin/pip-compile || $(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint $(LOCK) -o $(DEV_LOCK) pyproject.toml

bench: install ## benchmarks against the local services, each beside its baseline
	$(TEST_ENV) $(PY) -m bench $(ARGS)

docker-config: ## validate docker-compose.yml (docker compose, or the standalone docker-compose)
	@export SECRET_KEY=$${SECRET_KEY:-only-to-validate-the-file} METRICS_TOKEN=$${METRICS_TOKEN:-only-to-validate-the-file}; \
	if docker compose version >/dev/null 2>&1; then docker compose config --quiet; \
	elif command -v docker-compose >/dev/null; then docker-compose config --quiet; \
	else \
		echo "make docker-config needs Docker Compose, and neither the docker compose plugin nor the" >&2; \
		echo "standalone docker-compose command is installed. Install Docker Desktop, or Docker Engine" >&2; \
		echo "with its compose plugin (the docker-compose-plugin package from Docker's repository)," >&2; \
		echo "or the standalone command (Debian and Ubuntu: apt-get install docker-compose)." >&2; \
		exit 1; \
	fi
