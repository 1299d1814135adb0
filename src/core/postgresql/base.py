"""Django's PostgreSQL backend, with a deadline on the waits a kept connection can hang in.

Connections persist (CONN_MAX_AGE), and CONN_HEALTH_CHECKS pings a kept one before a
request's or a message's first query. A database that accepts bytes and never answers
would hold that ping for ever: libpq has no timeout for a query. So psycopg2 waits through
`wait_with_deadline` (its "green" mode: it polls, this module waits), and the connect and
the ping get DATABASE_CONNECT_TIMEOUT. Past it they raise OperationalError: the ping's
failure makes Django open a new connection, whose connect fails the same way, and the
request answers 503 (core.outage) as it did when every request connected afresh.
Every other query waits as long as it takes, as before.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
from django.db.backends.postgresql import base

_limit = threading.local()  # this thread's deadline (time.monotonic()), or None


def wait_with_deadline(conn: Any) -> None:
    """psycopg2's wait callback: poll the connection until done, past the deadline raise."""
    deadline: float | None = getattr(_limit, "deadline", None)
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        events = select.POLLIN if state == psycopg2.extensions.POLL_READ else select.POLLOUT
        poller = select.poll()
        poller.register(conn.fileno(), events | select.POLLERR | select.POLLHUP)
        if deadline is None:
            poller.poll()
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise psycopg2.OperationalError("PostgreSQL did not answer in time (DATABASE_CONNECT_TIMEOUT)")


psycopg2.extensions.set_wait_callback(wait_with_deadline)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    _limit.deadline = None if seconds is None else time.monotonic() + seconds
    try:
        yield
    finally:
        _limit.deadline = None


class DatabaseWrapper(base.DatabaseWrapper):
    def _timeout(self) -> float | None:
        return self.settings_dict["OPTIONS"].get("connect_timeout")

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        with deadline(self._timeout()):
            return super().get_new_connection(conn_params)

    def is_usable(self) -> bool:
        with deadline(self._timeout()):
            return super().is_usable()
