"""What clients (and admins, and the domain apps) ask of a task: create it, cancel it, run it again."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import User
from tasks_api import registry
from tasks_api.models import Task, TaskEmail, TaskStatus
from tasks_api.services.dispatch import task_dispatch_on_commit
from tasks_api.services.fields import attempt, attempts_with, back_in_queue

logger = logging.getLogger(__name__)


def _task_insert(
    *, task_kind: registry.TaskKind, owner: User, params: dict[str, Any], idempotency_key: str
) -> Task:
    task = Task.objects.create(
        owner=owner, kind=task_kind.name, params=params, idempotency_key=idempotency_key
    )
    if task_kind.on_queue is not None:
        task_kind.on_queue(task)
    return task


# savepoint=False: inside a caller's transaction (an image's upload, a code check's sweep)
# a savepoint of its own would only cost two statements; an error here fails the caller too.
@transaction.atomic(savepoint=False)
def task_create(
    *, owner: User, kind: str, params: dict[str, Any], idempotency_key: str = ""
) -> tuple[Task, bool]:
    """Create a task and enqueue its actor after commit. Params must be validated already.

    With an idempotency key the caller has used before, the first task comes back instead
    and nothing is enqueued; the boolean says whether a task was created.
    """
    task_kind = registry.get(kind)
    if not idempotency_key:
        task = _task_insert(task_kind=task_kind, owner=owner, params=params, idempotency_key="")
    elif (existing := Task.objects.filter(owner=owner, idempotency_key=idempotency_key).first()) is not None:
        return existing, False
    else:
        try:
            # Only a key can collide, so only then does the insert need a savepoint to survive it.
            with transaction.atomic():
                task = _task_insert(
                    task_kind=task_kind, owner=owner, params=params, idempotency_key=idempotency_key
                )
        except IntegrityError:
            # The same key arrived twice at once: the other request created the task.
            existing = Task.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
            if existing is None:
                raise
            return existing, False
    task_dispatch_on_commit(task=task)
    logger.info("task created", extra={"task_id": str(task.id), "kind": kind})
    return task, True


@transaction.atomic
def task_cancel(*, task: Task) -> Task:
    """Cancel a queued or running task.

    A queued task never starts: the claim checks the status. A running one stops within a
    few seconds: its worker's heartbeat finds the row cancelled and sets the run's stop
    flag, which the kind's handler looks at between slices or chunks; its last write is
    conditional on its claim, so it cannot overwrite `cancelled`.
    """
    task = Task.objects.select_for_update().get(id=task.id)
    if task.is_finished:
        raise ApplicationError(f"The task is {task.status} and can no longer be cancelled.", status_code=409)
    fields: dict[str, Any] = {
        "status": TaskStatus.CANCELLED,
        "finished_at": timezone.now(),
        "claim_token": None,
        "lease_until": None,
    }
    if task.status == TaskStatus.RUNNING and task.claim_token is not None:
        fields["attempts"] = attempts_with(task, attempt(started_at=task.claimed_at, error="Cancelled."))
    Task.objects.filter(id=task.id).update(**fields)
    task.refresh_from_db()
    task_kind = registry.get(task.kind)
    if task_kind.on_cancel is not None:
        task_kind.on_cancel(task)
    logger.info("task cancelled", extra={"task_id": str(task.id)})
    return task


@transaction.atomic
def task_requeue(*, task: Task) -> Task:
    """Run a failed or cancelled task again from the start, keeping its earlier attempts."""
    changed = Task.objects.filter(id=task.id, status__in=[TaskStatus.FAILED, TaskStatus.CANCELLED]).update(
        **back_in_queue(),
        result=None,
        error="",
        traceback="",
        progress=0,
        progress_message="",
        started_at=None,
        finished_at=None,
    )
    task.refresh_from_db()
    if not changed:
        raise ApplicationError(
            f"The task is {task.status}; only failed or cancelled tasks can be re-queued.", status_code=409
        )
    # A new run mails its own outcome: the last run's mail must not count as this one's.
    TaskEmail.objects.filter(task=task).delete()
    task_kind = registry.get(task.kind)
    if task_kind.on_queue is not None:
        task_kind.on_queue(task)  # the back of its queue, not its old place ahead of newer tasks
    task_dispatch_on_commit(task=task)
    logger.info("task re-queued", extra={"task_id": str(task.id)})
    return task
