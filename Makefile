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

.PHONY: help install run test lint format check bench docker-config superuser

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed ## create the venv and install the project with its dev tools

.env:
	echo "SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	echo "METRICS_TOKEN=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >> .env

run: install .env ## serve the whole product on http://127.0.0.1:$(PORT) (embedded: nothing to set up)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py serve --port $(PORT)

superuser: install .env ## create an admin account for /admin/
	$(PY) manage.py createsuperuser

test: install ## run the whole test suite against the local PostgreSQL, RabbitMQ and Redis
	$(TEST_ENV) $(PY) -m pytest $(ARGS)

lint: install ## ruff, migrations, OpenAPI schema and Django checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=1 $(PY) manage.py check

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## benchmarks against the local services, each beside its baseline
	$(TEST_ENV) $(PY) -m bench $(ARGS)

docker-config: ## validate docker-compose.yml (docker compose, or the standalone docker-compose)
	export SECRET_KEY=$${SECRET_KEY:-only-to-validate-the-file} METRICS_TOKEN=$${METRICS_TOKEN:-only-to-validate-the-file}; \
	if docker compose version >/dev/null 2>&1; then docker compose config --quiet; else docker-compose config --quiet; fi
