"""The field values the life cycle writes on a row: an attempt closed, back in queue, released."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from tasks_api.models import Task, TaskStatus

# `attempts` keeps the last deliveries only.
MAX_ATTEMPTS_KEPT = 25


def attempt(*, started_at: datetime | None, error: str = "", lost: bool = False) -> dict[str, Any]:
    """One delivery's entry in `Task.attempts`, closed now."""
    entry: dict[str, Any] = {
        "started_at": started_at.isoformat() if started_at else None,
        "finished_at": timezone.now().isoformat(),
        "error": error,
    }
    if lost:
        entry["lost"] = True
    return entry


def attempts_with(task: Task, entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [*task.attempts, entry][-MAX_ATTEMPTS_KEPT:]


def back_in_queue() -> dict[str, Any]:
    """The fields of a task that needs a (new) message: the relay sends it within seconds."""
    return {
        "status": TaskStatus.QUEUED,
        "claim_token": None,
        "lease_until": None,
        "worker": "",
        "dispatched_at": None,
        "enqueued_at": timezone.now(),
    }


def released() -> dict[str, Any]:
    """The fields of a task no run holds any more."""
    return {"claim_token": None, "lease_until": None, "worker": ""}
