"""Readiness probes: whether the database, the broker and the cache are reachable.

`/readyz` is open to anyone, so it answers "ok" or "down" per service and nothing more:
why a probe failed (host names, addresses) goes to the log. The answer is kept for
`READYZ_CACHE_SECONDS`, so a load balancer polling it does not open a broker connection per
call.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

import pika
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.amqp import amqp_url_with_defaults

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    if not settings.RABBITMQ_URL:
        return  # the in-process broker is always there
    # The broker's own timeouts bound the probe.
    url = amqp_url_with_defaults(settings.RABBITMQ_URL, settings.RABBITMQ_CONNECTION_PARAMS)
    pika.BlockingConnection(pika.URLParameters(url)).close()


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

_lock = threading.Lock()
_last: tuple[float, dict[str, str]] | None = None


def run_checks() -> dict[str, str]:
    """Each service's state, "ok" or "down"; probed at most once per READYZ_CACHE_SECONDS."""
    global _last
    with _lock:  # one probe at a time: callers during a probe wait for its answer
        if _last is not None and time.monotonic() - _last[0] < settings.READYZ_CACHE_SECONDS:
            return _last[1]
        results = {name: _probe(name, check) for name, check in CHECKS.items()}
        _last = (time.monotonic(), results)
        return results


def forget_probes() -> None:
    """Probe afresh on the next call (tests that change what is reachable)."""
    global _last
    with _lock:
        _last = None


def _probe(name: str, check: Callable[[], None]) -> str:
    try:
        check()
    except Exception:
        logger.warning("readiness probe failed: %s", name, exc_info=True, extra={"service": name})
        return "down"
    return "ok"
