"""Writes of the ops app: recording periodic runs, and retrying failed tasks in bulk."""

from __future__ import annotations

import logging

from django.utils import timezone

from core.exceptions import ApplicationError
from ops.models import PeriodicJob, RunOutcome
from tasks_api import registry
from tasks_api.models import Task, TaskStatus
from tasks_api.services import task_requeue

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 2000


def periodic_job_started(*, name: str) -> None:
    PeriodicJob.objects.update_or_create(
        name=name,
        defaults={
            "last_run_at": timezone.now(),
            "last_finished_at": None,
            "last_outcome": RunOutcome.RUNNING,
            "last_error": "",
        },
    )


def periodic_job_finished(*, name: str, error: BaseException | None) -> None:
    outcome = RunOutcome.SUCCEEDED if error is None else RunOutcome.FAILED
    message = "" if error is None else f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
    PeriodicJob.objects.update_or_create(
        name=name,
        defaults={"last_finished_at": timezone.now(), "last_outcome": outcome, "last_error": message},
    )


def periodic_job_skipped(*, name: str) -> None:
    """periodiq dropped a message that came too late; the last real run stays as it was."""
    PeriodicJob.objects.update_or_create(name=name, defaults={"last_outcome": RunOutcome.SKIPPED})


def tasks_retry_failed(*, kind: str) -> int:
    """Queue again every failed task of a kind (staff); returns how many went back."""
    if kind not in {task_kind.name for task_kind in registry.all_kinds()}:
        raise ApplicationError(f"Unknown task kind {kind!r}.")
    retried = 0
    for task in Task.objects.filter(kind=kind, status=TaskStatus.FAILED).order_by("created_at").iterator():
        try:
            task_requeue(task=task)
        except ApplicationError:
            continue  # retried meanwhile by someone else: nothing to do for this one
        retried += 1
    logger.info("failed tasks retried", extra={"kind": kind, "count": retried})
    return retried
