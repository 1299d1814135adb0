"""Personas, API clients, and real worker processes for the end-to-end tests.

End-to-end tests (marked `e2e`) need PostgreSQL and RabbitMQ: they start
`manage.py rundramatiq` as a separate process pointed at the test database, and use
`transaction=True` so the worker sees committed rows. Without DATABASE_URL on PostgreSQL
and RABBITMQ_URL they are skipped, and the run says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import dramatiq
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from core.models import User
from tests.helpers import PASSWORD, client_for, wait_for

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

SERVICES_UP = bool(settings.RABBITMQ_URL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SERVICES_UP:
        return
    skip = pytest.mark.skip(reason="e2e: set DATABASE_URL (PostgreSQL) and RABBITMQ_URL")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_and_clean(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # throttle counters and cached reads must not leak between tests


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


class WorkerProcess:
    """A `manage.py rundramatiq` process group with its own log file."""

    def __init__(self, proc: subprocess.Popen, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.proc.pid).children(recursive=True)]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def start_worker(django_db_setup, django_db_blocker) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes against the test database and RabbitMQ."""
    if not SERVICES_UP:
        pytest.skip("e2e: needs PostgreSQL and RabbitMQ")
    ARTIFACTS.mkdir(exist_ok=True)
    # Messages left by an earlier run would point at rows that no longer exist.
    dramatiq.get_broker().flush_all()
    started: list[WorkerProcess] = []

    def start(processes: int = 1, threads: int = 4, env: dict[str, str] | None = None) -> WorkerProcess:
        log_path = ARTIFACTS / f"worker-{len(started) + 1}.log"
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "rundramatiq",
                "--processes",
                str(processes),
                "--threads",
                str(threads),
                "--worker-shutdown-timeout",
                "5000",
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": worker_database_url(), "LOG_FORMAT": "json", **(env or {})},
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = WorkerProcess(proc, log_path)
        started.append(worker)
        wait_for(
            lambda: worker.log.count("is ready for action") >= processes or proc.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert proc.poll() is None, f"worker exited early:\n{worker.log}"
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def worker(start_worker) -> WorkerProcess:
    """One shared worker process for the end-to-end tests of the whole session."""
    return start_worker()
