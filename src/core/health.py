"""Readiness checks: each answers whether one backing service is reachable."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pika
from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    if not settings.RABBITMQ_URL:
        return  # the in-process broker is always there
    params = pika.URLParameters(settings.RABBITMQ_URL)
    params.socket_timeout = 3
    params.blocked_connection_timeout = 3
    pika.BlockingConnection(params).close()


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4()}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
}


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            results[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    return results
