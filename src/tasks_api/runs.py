"""The runs of this process: which deliveries it is working on now, and whether each should stop.

A worker thread registers a run when it claims a task and drops it when the run ends. The
heartbeat thread (tasks_api.heartbeat) renews the leases of the registered runs and, when
a renewal finds the row cancelled or taken over, sets the run's stop flag; handlers look at
the flag between slices or chunks (`stop_requested`), which costs no query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID


class TaskStopped(BaseException):
    """Raised by a handler that noticed its run should stop (cancelled, taken over, shutdown).

    A BaseException, like Dramatiq's own Shutdown: a handler's `except Exception` (which
    turns errors into a failed task or a failure mail) must let it through.
    """


@dataclass
class Run:
    task_id: UUID
    token: UUID
    stop: threading.Event = field(default_factory=threading.Event)


_lock = threading.Lock()
_runs: dict[UUID, Run] = {}
_current = threading.local()
# Set when this process shuts down: every run stops and is put back for the next start.
shutting_down = threading.Event()


@contextmanager
def run_registered(*, task_id: UUID, token: UUID) -> Iterator[Run]:
    run = Run(task_id=task_id, token=token)
    with _lock:
        _runs[token] = run
    _current.run = run
    try:
        yield run
    finally:
        _current.run = None
        with _lock:
            _runs.pop(token, None)


def current_runs() -> list[Run]:
    with _lock:
        return list(_runs.values())


def stop_requested() -> bool:
    """Whether the run on this thread should stop: cancelled, taken over, or shutting down."""
    run: Run | None = getattr(_current, "run", None)
    return shutting_down.is_set() or (run is not None and run.stop.is_set())


def raise_if_stopped() -> None:
    if stop_requested():
        raise TaskStopped
