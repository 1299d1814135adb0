"""The one settings module: every value comes from the environment.

With nothing set, the product runs embedded on one machine (SQLite, an in-process
Dramatiq broker, local-memory cache, console email). Each URL below switches one part
to the real service. A `.env` file at the project root is read if present; real
environment variables win over it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from core.amqp import amqp_url_with_defaults

SRC_DIR = Path(__file__).resolve().parent.parent
ROOT_DIR = SRC_DIR.parent
VAR_DIR = ROOT_DIR / "var"


class Env(environ.Env):
    """django-environ, but a value that does not parse names its variable."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError as exc:
            raise ImproperlyConfigured(f"Environment variable {var} has a bad value: {exc}") from exc


env = Env()
environ.Env.read_env(env.str("ENV_FILE", default=str(ROOT_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env), or set DEBUG=1 "
            "for a development key."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_dramatiq",
    "core",
    "tasks_api",
    "jobs",
    "images",
    "codecheck",
    "ops",
    "actors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.outage.DatabaseOutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"
ASGI_APPLICATION = "core.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The embedded default runs web and worker threads in one process: WAL and
    # immediate transactions keep SQLite from answering "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a deadline on the connect and the health check (see core.postgresql).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # A database that accepts connections but never answers fails a request after this
    # long (a 503, core.outage), instead of holding it for ever.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
# Web threads (core.asgi) and worker threads keep their connection this many seconds,
# pinged before each request's or message's first use (CONN_HEALTH_CHECKS): a new one costs
# more PostgreSQL CPU than a whole API call. 0 connects afresh every time.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=600))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # No manifest: templates render in tests and dev without a collectstatic run.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Object storage: with S3_BUCKET, images and renditions live in that S3-compatible bucket and
# nothing is written under MEDIA_ROOT, so web and worker processes need no shared disk.
S3_BUCKET = env.str("S3_BUCKET", default="")
# 0: downloads stream through the web process. More: the download answers 302 to a presigned
# URL of the object, valid this many seconds (the client must reach S3_ENDPOINT_URL then).
S3_PRESIGNED_SECONDS = env.int("S3_PRESIGNED_SECONDS", default=0)
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "core.storage.BucketStorage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            # Unset: AWS itself. MinIO, Ceph, R2 and the rest: their URL.
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            # Unset: boto3's own chain (instance or pod roles, ~/.aws).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            # http://host/bucket/key: what MinIO and most S3-compatible stores answer.
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",  # presigned URLs too (botocore would sign them v2)
            "querystring_expire": S3_PRESIGNED_SECONDS or 3600,
            "default_acl": None,  # private objects: only the bucket policy grants access
            # Reading an original spills to a temporary file (not MEDIA_ROOT) past this size.
            "max_memory_size": env.int("S3_MAX_MEMORY_BYTES", default=8 * 1024 * 1024),
        },
    }

# --- Cache ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="workhorse"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Email ------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="core.mail.ConsoleEmailBackend")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Workhorse <noreply@localhost>")

# --- Background work: Dramatiq over RabbitMQ (or in-process) ----------------
RABBITMQ_URL = env.str("RABBITMQ_URL", default="")
# Bounds on every wait for RabbitMQ, so that no send hangs for ever: opening the socket and
# the whole handshake (connect), a broker that blocks publishers on a memory or disk alarm
# (blocked), and a peer that stops answering mid-publish. Pika has no timeout on a confirm
# itself: the heartbeat ends that wait, closing a connection that received nothing for
# heartbeat + 5 s (checked every heartbeat + 5 s). Dramatiq then tries a fresh connection,
# up to 6 times in all, before `send` raises.
RABBITMQ_CONNECTION_PARAMS = {
    "socket_timeout": env.float("RABBITMQ_CONNECT_TIMEOUT", default=5.0),
    "stack_timeout": env.float("RABBITMQ_CONNECT_TIMEOUT", default=5.0),
    "blocked_connection_timeout": env.float("RABBITMQ_BLOCKED_TIMEOUT", default=10.0),
    "heartbeat": env.int("RABBITMQ_HEARTBEAT", default=10),
}
# What a caller of core.dispatch.send_actor (a request, the relay) waits for a message's
# confirm, whatever the bounds above still allow the send itself.
RABBITMQ_SEND_TIMEOUT = env.float("RABBITMQ_SEND_TIMEOUT", default=2.0)
DRAMATIQ_MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Pipelines",
    "dramatiq.middleware.Retries",
    "dramatiq.middleware.CurrentMessage",
    "periodiq.PeriodiqMiddleware",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "tasks_api.middleware.TaskRuntime",
    # After DbConnectionsMiddleware: it writes to the database (see its docstring).
    "ops.middleware.PeriodicRunsMiddleware",
]
if RABBITMQ_URL:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.rabbitmq.RabbitmqBroker",
        "OPTIONS": {
            "url": amqp_url_with_defaults(RABBITMQ_URL, RABBITMQ_CONNECTION_PARAMS),
            "confirm_delivery": True,
        },
        "MIDDLEWARE": DRAMATIQ_MIDDLEWARE,
    }
else:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": DRAMATIQ_MIDDLEWARE,
    }
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
# Worker threads used by `manage.py serve` for the in-process worker.
EMBEDDED_WORKER_THREADS = env.int("EMBEDDED_WORKER_THREADS", default=4)
# Connections and requests one web server process serves at once; past it, uvicorn answers
# 503 at once, so a burst of uploads cannot take the process's memory without bound. The
# Procfile and the Dockerfile pass the same variable, with the same default, to uvicorn.
WEB_LIMIT_CONCURRENCY = env.int("WEB_LIMIT_CONCURRENCY", default=64)
# Threads of one web server process that run the sync views (core.asgi); each keeps a
# database connection.
WEB_THREADS = env.int("WEB_THREADS", default=8)

# How long `/readyz` keeps its answer before it probes the services again.
READYZ_CACHE_SECONDS = env.float("READYZ_CACHE_SECONDS", default=5.0)

TASK_RETENTION_DAYS = env.int("TASK_RETENTION_DAYS", default=30)
TASK_PRUNE_CRON = env.str("TASK_PRUNE_CRON", default="17 3 * * *")
TOKEN_FLUSH_CRON = env.str("TOKEN_FLUSH_CRON", default="23 3 * * *")
# The job runtime (tasks_api): a running task's claim is a lease its worker's heartbeat
# renews; a lease that ran out means the worker died, and the task is taken over. A task
# whose deliveries killed their worker this many times fails instead of running again.
TASK_LEASE_SECONDS = env.float("TASK_LEASE_SECONDS", default=15.0)
TASK_HEARTBEAT_SECONDS = env.float("TASK_HEARTBEAT_SECONDS", default=3.0)
# Off only to measure what the heartbeat costs (`make bench ARGS=ops`): without it no lease
# is renewed (a task running past TASK_LEASE_SECONDS is taken over as if its worker had
# died), no dead worker's task is taken over from this process, /api/ops/workers/ lists
# nothing and cancelling a running task does not stop it.
TASK_HEARTBEAT_ENABLED = env.bool("TASK_HEARTBEAT_ENABLED", default=True)
TASK_MAX_DELIVERIES = env.int("TASK_MAX_DELIVERIES", default=5)
# The relay sends tasks that have no message yet (the broker was away at commit, a process
# died before sending) once they are this old, checking every TASK_RELAY_INTERVAL_SECONDS.
TASK_RELAY_GRACE_SECONDS = env.float("TASK_RELAY_GRACE_SECONDS", default=2.0)
TASK_RELAY_INTERVAL_SECONDS = env.float("TASK_RELAY_INTERVAL_SECONDS", default=1.0)
# Longest a single sleep message runs before it hands over to a fresh message, so no
# delivery stays unacknowledged near RabbitMQ's 30-minute consumer_timeout.
SLEEP_SLICE_SECONDS = env.int("SLEEP_SLICE_SECONDS", default=300)
# The sequential lane: how long a holder's lease lasts without renewal (a killed worker's
# task runs again after it), and how often a waiting task's message asks again.
SEQUENTIAL_LEASE_SECONDS = env.int("SEQUENTIAL_LEASE_SECONDS", default=10)
SEQUENTIAL_POLL_SECONDS = env.float("SEQUENTIAL_POLL_SECONDS", default=2.0)
SEQUENTIAL_WAKE_CRON = env.str("SEQUENTIAL_WAKE_CRON", default="* * * * *")

# GET /api/tasks/{id}/events/ reads the task's row this often while the stream is open.
TASK_EVENTS_POLL_SECONDS = env.float("TASK_EVENTS_POLL_SECONDS", default=0.5)
# GET /api/ops/events/ reads the dashboard's summary (a few aggregate queries) this often.
OPS_EVENTS_POLL_SECONDS = env.float("OPS_EVENTS_POLL_SECONDS", default=1.0)
# GET /metrics answers loopback as it is, anyone else with `Authorization: Bearer <token>`;
# with no token set, only loopback.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Capabilities' limits -----------------------------------------------------
# MD5 by URL
MD5_MAX_BYTES = env.int("MD5_MAX_BYTES", default=1024**3)
MD5_CONNECT_TIMEOUT = env.float("MD5_CONNECT_TIMEOUT", default=10.0)
MD5_READ_TIMEOUT = env.float("MD5_READ_TIMEOUT", default=30.0)
MD5_MAX_REDIRECTS = env.int("MD5_MAX_REDIRECTS", default=5)
# Tests and private deployments may hash files on private, loopback or link-local hosts.
MD5_ALLOW_PRIVATE = env.bool("MD5_ALLOW_PRIVATE", default=False)
# Images
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=20 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=50_000_000)
IMAGE_RENDITION_SIZES = env.list("IMAGE_RENDITION_SIZES", cast=int, default=[100, 500])
# A picture whose decode takes more than IMAGE_LARGE_DECODE_MB (a 50 MP PNG: 200 MB; a JPEG
# is decoded at reduced scale and rarely is) waits in the worker process until fewer than
# IMAGE_LARGE_DECODES others are decoding, so a worker's memory stays bounded.
IMAGE_LARGE_DECODE_MB = env.int("IMAGE_LARGE_DECODE_MB", default=64)
IMAGE_LARGE_DECODES = env.int("IMAGE_LARGE_DECODES", default=1)
if IMAGE_LARGE_DECODES < 1:
    raise ImproperlyConfigured("IMAGE_LARGE_DECODES must be at least 1 (or no large picture is ever made).")
# Image reads are cached only where every process shares the cache: with separate worker
# processes (RABBITMQ_URL) and a per-process cache (no REDIS_URL), a worker could not clear
# the web process's copy, and readers would see `processing` after the image was ready.
IMAGE_CACHE_SECONDS = env.int("IMAGE_CACHE_SECONDS", default=300 if REDIS_URL or not RABBITMQ_URL else 0)
IMAGE_EVENTS_EXCHANGE = env.str("IMAGE_EVENTS_EXCHANGE", default="images")
IMAGE_EVENTS_QUEUE = env.str("IMAGE_EVENTS_QUEUE", default="image-events")
# Each exchange's consumer queues and their bindings, declared by publisher and listener alike.
EVENT_QUEUES = {IMAGE_EVENTS_EXCHANGE: [(IMAGE_EVENTS_QUEUE, "image.*")]}
# Code checks
CODECHECK_MAX_BYTES = env.int("CODECHECK_MAX_BYTES", default=1024 * 1024)
# The web server refuses larger bodies before reading them (core.body_limit): the largest
# upload plus room for the form around it.
MAX_REQUEST_BYTES = env.int(
    "MAX_REQUEST_BYTES", default=max(IMAGE_MAX_BYTES, CODECHECK_MAX_BYTES) + 1024 * 1024
)
# Django's own limit on a body's data other than files (a JSON body whole): over it, the API
# answers 413 (core.exceptions).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
CODECHECK_SWEEP_CRON = env.str("CODECHECK_SWEEP_CRON", default="* * * * *")
CODECHECK_MAX_LINE_LENGTH = env.int("CODECHECK_MAX_LINE_LENGTH", default=79)
# Unset, both leave flake8's defaults alone: its own selection and extend-ignore list, and no
# complexity check (C901 only once a maximum is set).
CODECHECK_SELECT = env.list("CODECHECK_SELECT", default=[])
CODECHECK_MAX_COMPLEXITY = env.int("CODECHECK_MAX_COMPLEXITY", default=None)
# A check stores how many issues flake8 found and the first CODECHECK_MAX_ISSUES of them; the
# report mail lists the first CODECHECK_MAIL_ISSUES and links to the file's page for the rest.
CODECHECK_MAX_ISSUES = env.int("CODECHECK_MAX_ISSUES", default=1000)
CODECHECK_MAIL_ISSUES = env.int("CODECHECK_MAIL_ISSUES", default=20)
# Where people reach the site: links in mails start with it.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# --- REST framework, JWT, OpenAPI -------------------------------------------
USER_THROTTLE_RATE = env.str("USER_THROTTLE_RATE", default="1000/min")
# Register, token and refresh: per client address, read at request time (core.throttling).
AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="30/min")
REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header makes a bad token a 401, never a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # One content type per operation: JSON, except where a view says multipart (the uploads).
    # Ours: DRF's JSON parser has no depth bound and lets a RecursionError out (a 500).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("PAGE_SIZE", default=20),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": USER_THROTTLE_RATE},
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles count per client address: REMOTE_ADDR, which the web server already sets
    # from a trusted proxy's X-Forwarded-For (uvicorn --proxy-headers). With None, DRF
    # would take the header as sent, and a client could pick a new address every request.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # A password change revokes every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "core.serializers.RevocableTokenRefreshSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Workhorse API",
    "DESCRIPTION": (
        "Submit work over HTTP, get an answer at once, and follow the background job "
        "that Dramatiq workers run."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Several models have a `status`: give the task's enum its own component name.
    "ENUM_NAME_OVERRIDES": {"TaskStatusEnum": "tasks_api.models.TaskStatus"},
    # The image download is an async Django view, which drf-spectacular cannot see.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "images.schema.document_file_view",
        "tasks_api.schema.document_event_stream",
        "ops.schema.document_ops_event_stream",
        "core.schema.document_error_responses",
    ],
}

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Readable text on the embedded default (SQLite, in-process broker), where a person watches
# the console; one JSON object a line once a real deployment is configured (a database
# server or RabbitMQ), where a log collector reads it.
EMBEDDED = not RABBITMQ_URL and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if EMBEDDED else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(
        f"Environment variable LOG_FORMAT has a bad value: {LOG_FORMAT!r} (json or plain)"
    )
# `uvicorn --no-access-log` empties its access logger and stops it propagating before it
# imports the application (and so these settings): taken over below, it would log again.
UVICORN_ACCESS_LOG_OFF = (
    not logging.getLogger("uvicorn.access").propagate and not logging.getLogger("uvicorn.access").handlers
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "datefmt": "%H:%M:%S"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "pika": {"level": "WARNING"},
        "flake8": {"level": "WARNING"},  # code checks: four INFO lines per file otherwise
        "django.db.backends": {"level": "INFO"},
        # uvicorn sets up its own plain-text handlers before Django starts; these take them
        # over, so the web server's lines come out in LOG_FORMAT like everything else.
        **{
            name: {"handlers": ["console"], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error")
        },
        "uvicorn.access": {
            "handlers": [] if UVICORN_ACCESS_LOG_OFF else ["console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

# --- Security when served for real ------------------------------------------
# HTTPS=1 for a deployment reached over HTTPS (behind a proxy that terminates TLS and sets
# X-Forwarded-Proto): secure cookies, HSTS, redirects to https, and that header trusted.
# Off by default, since the embedded default and docker compose serve plain HTTP on
# localhost, where secure cookies would make the site's log-in impossible.
HTTPS = env.bool("HTTPS", default=False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The browsers' preload list is a commitment for the whole domain: a deployment opts in.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/files/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
