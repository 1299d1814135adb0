"""What a run writes on its row: progress while it runs, then its outcome.

Every write is conditional on the row still being this run's (running, and for the
outcome, its claim token), so a cancelled or taken-over task keeps what was written since.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.utils import timezone

from tasks_api.models import PROGRESS_MESSAGE_MAX_CHARS, Task, TaskStatus
from tasks_api.services.fields import attempt, attempts_with, back_in_queue, released

logger = logging.getLogger(__name__)

# A traceback keeps its last characters.
MAX_TRACEBACK_CHARS = 16_000


def task_set_progress(*, task_id: UUID | str, progress: int, message: str = "") -> bool:
    """Record progress and what the run is doing now (`message`, a few words, cut to fit).

    False when the task is no longer running (cancelled, taken over).
    """
    return bool(
        Task.objects.filter(id=task_id, status=TaskStatus.RUNNING).update(
            progress=max(0, min(100, progress)), progress_message=message[:PROGRESS_MESSAGE_MAX_CHARS]
        )
    )


def _finish(*, task: Task, attempt_error: str = "", **fields: Any) -> bool:
    """Write a run's outcome, only while this run still holds the claim."""
    attempts = attempts_with(task, attempt(started_at=task.claimed_at, error=attempt_error))
    return bool(
        Task.objects.filter(id=task.id, claim_token=task.claim_token, status=TaskStatus.RUNNING).update(
            attempts=attempts, **fields
        )
    )


def task_succeed(*, task: Task, result: dict[str, Any]) -> None:
    if _finish(
        task=task,
        status=TaskStatus.SUCCEEDED,
        result=result,
        error="",
        progress=100,
        progress_message="",  # the result says it all; a failed run keeps where it stopped
        finished_at=timezone.now(),
        **released(),
    ):
        logger.info("task succeeded", extra={"task_id": str(task.id), "kind": task.kind})


def task_fail(*, task: Task, error: str, traceback: str = "") -> None:
    if _finish(
        task=task,
        attempt_error=error,
        error=error,
        status=TaskStatus.FAILED,
        traceback=traceback[-MAX_TRACEBACK_CHARS:],
        finished_at=timezone.now(),
        **released(),
    ):
        logger.warning("task failed", extra={"task_id": str(task.id), "kind": task.kind, "error": error})


def task_wait_for_retry(*, task: Task, error: str) -> None:
    """Back to queued with the reason; Dramatiq's retry (already scheduled) carries the message."""
    _finish(
        task=task,
        attempt_error=error,
        status=TaskStatus.QUEUED,
        error=f"Delivery {task.deliveries} failed, retrying: {error}",
        **released(),
    )


def task_put_back(*, task: Task, reason: str) -> None:
    """This run stops without an outcome (shutdown, or a slice ended): a new message carries on.

    The task keeps its status: queued again after a shutdown (`reason` given), running
    between slices (a slice is not a new start: `started_at` and progress stay).
    """
    fields = back_in_queue()
    if not reason:
        fields["status"] = TaskStatus.RUNNING
    _finish(task=task, attempt_error=reason, **fields)


def task_give_up(*, task_id: UUID | str, error: str) -> bool:
    """Fail a task whose message ran out of retries outside its handler, so it is not stranded."""
    changed = Task.objects.filter(id=task_id, status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING]).update(
        status=TaskStatus.FAILED, error=error, finished_at=timezone.now(), **released()
    )
    if changed:
        logger.error("task given up", extra={"task_id": str(task_id), "error": error})
    return bool(changed)
