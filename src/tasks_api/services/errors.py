"""The failures a kind's handler raises, and the one-line `error` of those it did not expect."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from dramatiq.middleware import TimeLimitExceeded


class TransientTaskError(Exception):
    """A failure that may pass (a refused connection, a 5xx): retried with backoff."""


class PermanentTaskError(Exception):
    """A failure that another try will not fix (a 404, a bad file): fails the task at once."""


TIME_LIMIT_ERROR = "The task ran past its time limit and was stopped."


def failure_reason(exc: BaseException) -> str:
    """The `error` a task gets for an exception its handler did not expect."""
    if isinstance(exc, TimeLimitExceeded):
        return TIME_LIMIT_ERROR
    return f"Internal error: {type(exc).__name__}: {exc}"


def is_database_error(exc: BaseException) -> bool:
    """A database outage or a dropped connection: worth retrying, never the task's fault."""
    return isinstance(exc, (OperationalError, InterfaceError))
