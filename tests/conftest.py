"""Personas, API clients, and real worker processes for the end-to-end tests.

End-to-end tests (marked `e2e`) need PostgreSQL and RabbitMQ: they start
`manage.py rundramatiq` as a separate process pointed at the test database, and use
`transaction=True` so the worker sees committed rows. Without DATABASE_URL on PostgreSQL
and RABBITMQ_URL they are skipped, and the run says so.
"""

from __future__ import annotations

import faulthandler
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import dramatiq
import pytest
import requests
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from core import health
from core.models import User
from tests.faultproxy import FaultProxy
from tests.helpers import PASSWORD, WorkerProcess, client_for, spawn_worker, wait_for

# The S3 server and per-test buckets (tests/s3.py).
pytest_plugins = ["tests.s3"]

ROOT = Path(__file__).resolve().parent.parent
# TEST_ARTIFACTS: a directory of one's own when several runs share a checkout (worker logs).
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))

SERVICES_UP = bool(settings.RABBITMQ_URL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


@pytest.hookimpl(trylast=True)  # after pytest-django has grouped the tests by database use
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The end-to-end tests go last. Their worker process, once started, lives for the rest of
    # the session: it would take the messages that other tests' commits send, and hold rows
    # while those tests' databases are flushed (a deadlock, now and then).
    items.sort(key=lambda item: "e2e" in item.keywords)
    if SERVICES_UP:
        return
    if os.environ.get("CI"):
        # A CI run that quietly skipped every end-to-end test would still look green.
        raise pytest.UsageError(
            "CI runs the end-to-end tests: set DATABASE_URL (PostgreSQL) and RABBITMQ_URL."
        )
    skip = pytest.mark.skip(reason="e2e: set DATABASE_URL (PostgreSQL) and RABBITMQ_URL")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


# What the process may take to exit once the session is over. Python waits for every
# thread that is not a daemon (a web request's, a background send's) before it exits.
EXIT_GRACE_SECONDS = 60


def pytest_unconfigure(config: pytest.Config) -> None:
    # A thread left blocked would hold the finished run until CI's own timeout, with nothing
    # to say why: past the grace, print every thread's stack and end the process, failed.
    faulthandler.dump_traceback_later(EXIT_GRACE_SECONDS, exit=True, file=sys.__stderr__)


@pytest.fixture(autouse=True, scope="session")
def _static_root() -> None:
    # whitenoise warns on every request handler it builds when STATIC_ROOT is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_and_clean(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # throttle counters and cached reads must not leak between tests
    health.forget_probes()  # nor a readiness answer given under another test's outage


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 1_000_000))

    def make(email: str | None = None, **extra) -> User:
        return User.objects.create_user(
            email=email or f"user{next(counter)}@example.com", password=PASSWORD, **extra
        )

    return make


@pytest.fixture
def owner(make_user) -> User:
    return make_user("owner@example.com")


@pytest.fixture
def other_user(make_user) -> User:
    return make_user("other@example.com")


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def owner_client(owner) -> APIClient:
    return client_for(owner)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


def worker_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def db_proxy(transactional_db) -> Iterator[FaultProxy]:
    """A fault proxy to PostgreSQL that this process's database connection goes through.

    `db_proxy.url` is the test database's URL through it, for a spawned process's
    DATABASE_URL. Transactional: a test's wrapping transaction could not outlive a cut.
    """
    if not SERVICES_UP:
        pytest.skip("needs PostgreSQL")
    proxy = FaultProxy.for_url(worker_database_url())
    direct = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    yield proxy
    connection.close()
    connection.settings_dict.update(direct)
    proxy.close()


@pytest.fixture
def broker_proxy() -> Iterator[FaultProxy]:
    """A fault proxy to RabbitMQ; `broker_proxy.url` is RABBITMQ_URL through it."""
    if not SERVICES_UP:
        pytest.skip("needs RabbitMQ")
    proxy = FaultProxy.for_url(settings.RABBITMQ_URL)
    yield proxy
    proxy.close()


@pytest.fixture
def start_web(request) -> Iterator[Callable[..., str]]:
    """Start the web server (uvicorn, as the Procfile runs it) for one test; returns its base URL.

    `env` is laid over this process's environment: pass a fault proxy's `url` as
    DATABASE_URL or RABBITMQ_URL to put the proxy between the web process and the service.
    `args` go to uvicorn after the Procfile's; each server's output is in `start.logs`.
    """
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str] | None = None, args: Sequence[str] = ()) -> str:
        port = free_port()
        log_path = ARTIFACTS / f"web-{request.node.name}-{len(started) + 1}.log".replace("/", "_")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "core.asgi:application",
                "--app-dir",
                "src",
                "--port",
                str(port),
                # As the Procfile: an open event stream would hold the stop up otherwise.
                "--timeout-graceful-shutdown",
                "10",
                *args,
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": worker_database_url(),
                # The hasher the tests' users are made with (_fast_and_clean), so they can log in.
                "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
                **(env or {}),
            },
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        start.logs.append(log_path)
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=1).ok
            except requests.ConnectionError:
                return proc.poll() is not None

        wait_for(up, timeout=60, what="the web server to answer")
        assert proc.poll() is None, log_path.read_text()
        return base

    start.logs = []
    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """A STATIC_ROOT filled by collectstatic, as the Procfile's web command does first."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": str(root)},
        check=True,
    )
    return root


@pytest.fixture
def site_server(start_web, collected_static) -> str:
    """The whole site as deployed (uvicorn, whitenoise's static files) on the test database.

    For the browser tests of live pages: the task event streams need the ASGI server.
    """
    return start_web({"STATIC_ROOT": str(collected_static)})


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it is handed.

    Set `refuse` to make it answer every message with a permanent 550 error.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return "550 mailbox unavailable"
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def reset(self) -> None:
        self.messages.clear()
        self.refuse = False


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpSink, settings) -> SmtpSink:
    """The session's SMTP server, emptied, and this process's mail pointed at it."""
    smtp_server.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.controller.port
    return smtp_server


@pytest.fixture(scope="session")
def worker_env(django_db_setup, smtp_server) -> dict[str, str]:
    """What a worker process needs to share this session's database, broker and SMTP sink."""
    if not SERVICES_UP:
        pytest.skip("e2e: needs PostgreSQL and RabbitMQ")
    # Messages left by an earlier run would point at rows that no longer exist.
    dramatiq.get_broker().flush_all()
    return {
        "DATABASE_URL": worker_database_url(),
        "EMAIL_URL": smtp_server.url,
        "LOG_FORMAT": "json",
        "MD5_ALLOW_PRIVATE": "1",
    }


# The session's worker once started: `without_session_worker` stops it for a test.
SESSION_WORKERS: list[WorkerProcess] = []


@pytest.fixture(scope="session")
def worker(worker_env) -> Iterator[WorkerProcess]:
    """One worker process (1 x 4 threads) shared by the end-to-end tests of the session.

    A test that kills it calls `worker.restart()` so the tests after it still have one.
    """
    process = spawn_worker(log_path=ARTIFACTS / "worker.log", processes=1, threads=4, env=worker_env)
    SESSION_WORKERS.append(process)
    yield process
    process.stop()


@pytest.fixture
def without_session_worker() -> Iterator[None]:
    """For a test whose own workers (`start_worker`) must get every message: the session's
    worker, if one runs, is stopped for the test and started again after it."""
    running = [process for process in SESSION_WORKERS if process.proc.poll() is None]
    for process in running:
        process.stop()
    yield
    for process in running:
        process.restart()


@pytest.fixture
def start_worker(worker_env, request) -> Iterator[Callable[..., WorkerProcess]]:
    """Start more worker processes for one test; they are stopped when the test ends."""
    started: list[WorkerProcess] = []

    def start(
        processes: int = 1, threads: int = 4, env: dict[str, str] | None = None, queues: Sequence[str] = ()
    ) -> WorkerProcess:
        name = f"{request.node.name}-{len(started) + 1}".replace("/", "_")
        process = spawn_worker(
            log_path=ARTIFACTS / f"worker-{name}.log",
            processes=processes,
            threads=threads,
            env={**worker_env, **(env or {})},
            queues=queues,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
