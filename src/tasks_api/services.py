"""Writes on Task rows: creating, cancelling, re-queueing, and the life cycle a worker drives.

A worker runs a task through `task_execute`: it claims the row atomically, calls the
kind's handler, and writes the outcome back. Handlers raise `TransientTaskError` for
failures worth another try (the actor's Dramatiq retries apply, with backoff) and
`PermanentTaskError` for the rest; any other exception fails the task too.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from dramatiq.middleware import TimeLimitExceeded

from core.dispatch import enqueue_on_commit, send_actor
from core.exceptions import ApplicationError
from core.models import User
from tasks_api import registry
from tasks_api.models import FINISHED_STATUSES, Task, TaskEmail, TaskStatus

logger = logging.getLogger(__name__)


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


class Outcome(enum.Enum):
    DONE = "done"  # the task reached a final status
    SKIPPED = "skipped"  # nothing to do: cancelled, finished, or gone
    CONTINUE = "continue"  # the handler ran a slice; send a fresh message for the rest


Handler = Callable[[Task], "dict[str, Any] | Outcome"]


def _mark_dispatched(task_id: UUID | str) -> None:
    Task.objects.filter(id=task_id).update(dispatched_at=timezone.now())


def _dispatch_on_commit(*, task: Task) -> None:
    # With the broker down the row is committed all the same and the request still
    # answers; the task keeps no dispatched_at, and tasks_redispatch sends it later.
    task_id = task.id
    enqueue_on_commit(
        registry.get(task.kind).actor_name, str(task_id), on_sent=lambda: _mark_dispatched(task_id)
    )


def _send_again(*, task_id: UUID, kind: str) -> bool:
    """Send the kind's actor for the task; False when the broker did not take it."""
    try:
        send_actor(registry.get(kind).actor_name, str(task_id))
    except Exception:
        logger.exception("task not re-dispatched", extra={"task_id": str(task_id)})
        return False
    return True


def tasks_redispatch(*, older_than_seconds: int | None = None, lost_after_seconds: int | None = None) -> int:
    """Send again the unfinished tasks whose message is gone; returns how many were sent.

    A message is gone in two ways:

    - A queued task's message never reached the broker (it was down at commit): it has no
      `dispatched_at` after TASK_REDISPATCH_AFTER_SECONDS.
    - A running task's message was dropped after a worker claimed it: the actor raised
      outside the handler (the database down while writing the result) on every Dramatiq
      retry, and the message went to the dead-letter queue. Every run claims the row in
      `task_start`, which stamps `claimed_at`, and every task actor's time limit (14 minutes
      at most, under RabbitMQ's 30-minute consumer_timeout) stops a run long before
      TASK_LOST_AFTER_SECONDS: a running task claimed longer ago than that has no live run.
      Its `claimed_at` is stamped when it is sent, so the next sweep waits another period.

    With the broker away the sweep stops, and the next one tries again. Sending twice is
    safe, whether two sweeps overlap (periodiq has no lock) or a message is still in the
    broker (the first send under way, a slice's next message behind a long backlog): a
    second message finds the task finished and does nothing, or runs it beside the first,
    which every kind allows (a sleep's deadline is on its row, a mail goes once, the lane's
    lease admits one run and the other message waits its turn).
    """
    seconds = settings.TASK_REDISPATCH_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    lost_after = settings.TASK_LOST_AFTER_SECONDS if lost_after_seconds is None else lost_after_seconds
    now = timezone.now()
    unsent = Task.objects.filter(
        status=TaskStatus.QUEUED, dispatched_at__isnull=True, created_at__lt=now - timedelta(seconds=seconds)
    ).values_list("id", "kind")[:1000]
    lost = Task.objects.filter(
        status=TaskStatus.RUNNING, claimed_at__lt=now - timedelta(seconds=lost_after)
    ).values_list("id", "kind", "claimed_at", "dispatched_at")[:1000]
    sent = 0
    try:
        for task_id, kind in unsent:
            if not _send_again(task_id=task_id, kind=kind):
                return sent  # the broker is still away: the next run tries again
            _mark_dispatched(task_id)
            sent += 1
        for task_id, kind, claimed_at, dispatched_at in lost:
            # Stamped before the send: a sweep running beside this one (or a worker that
            # claimed the task meanwhile) has changed claimed_at, and this one leaves it.
            if not Task.objects.filter(id=task_id, status=TaskStatus.RUNNING, claimed_at=claimed_at).update(
                claimed_at=now, dispatched_at=now
            ):
                continue
            if not _send_again(task_id=task_id, kind=kind):
                # Unstamped, so the next run sends it; unless a worker has claimed it since.
                Task.objects.filter(id=task_id, claimed_at=now).update(
                    claimed_at=claimed_at, dispatched_at=dispatched_at
                )
                return sent
            logger.warning(
                "lost running task re-dispatched",
                extra={"task_id": str(task_id), "kind": kind, "claimed_at": claimed_at.isoformat()},
            )
            sent += 1
        return sent
    finally:
        if sent:
            logger.warning("tasks re-dispatched", extra={"count": sent})


@transaction.atomic
def task_create(
    *, owner: User, kind: str, params: dict[str, Any], idempotency_key: str = ""
) -> tuple[Task, bool]:
    """Create a task and enqueue its actor after commit. Params must be validated already.

    With an idempotency key the caller has used before, the first task comes back instead
    and nothing is enqueued; the boolean says whether a task was created.
    """
    task_kind = registry.get(kind)
    if idempotency_key:
        existing = Task.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            task = Task.objects.create(owner=owner, kind=kind, params=params, idempotency_key=idempotency_key)
            if task_kind.on_queue is not None:
                task_kind.on_queue(task)
    except IntegrityError:
        # The same key arrived twice at once: the other request created the task.
        existing = Task.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return existing, False
        raise
    _dispatch_on_commit(task=task)
    logger.info("task created", extra={"task_id": str(task.id), "kind": kind})
    return task, True


@transaction.atomic
def task_cancel(*, task: Task) -> Task:
    # Only a queued task can be cancelled; the claim in task_start checks the status, so
    # a message still in the broker finds the task cancelled and does nothing.
    changed = Task.objects.filter(id=task.id, status=TaskStatus.QUEUED).update(
        status=TaskStatus.CANCELLED, finished_at=timezone.now(), progress=0
    )
    task.refresh_from_db()
    if not changed:
        raise ApplicationError(f"The task is {task.status} and can no longer be cancelled.", status_code=409)
    task_kind = registry.get(task.kind)
    if task_kind.on_cancel is not None:
        task_kind.on_cancel(task)
    logger.info("task cancelled", extra={"task_id": str(task.id)})
    return task


@transaction.atomic
def task_requeue(*, task: Task) -> Task:
    """Run a failed or cancelled task again from the start (an admin action)."""
    changed = Task.objects.filter(id=task.id, status__in=[TaskStatus.FAILED, TaskStatus.CANCELLED]).update(
        status=TaskStatus.QUEUED,
        result=None,
        error="",
        progress=0,
        started_at=None,
        finished_at=None,
        dispatched_at=None,
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
    _dispatch_on_commit(task=task)
    logger.info("task re-queued", extra={"task_id": str(task.id)})
    return task


def task_start(*, task_id: UUID | str) -> Task | None:
    """Claim a task for a worker; None when there is nothing to run.

    A queued task becomes running. A running one is claimed again: its message came back
    because the worker that had it died, or because a handler continues in a new message.
    """
    now = timezone.now()
    # claimed_at tells a live run from a lost one: see tasks_redispatch.
    changed = Task.objects.filter(id=task_id, status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING]).update(
        status=TaskStatus.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    if not changed:
        return None
    task = Task.objects.get(id=task_id)
    logger.info("task started", extra={"task_id": str(task.id), "kind": task.kind, "attempt": task.attempts})
    return task


def task_set_progress(*, task_id: UUID | str, progress: int) -> None:
    Task.objects.filter(id=task_id, status=TaskStatus.RUNNING).update(progress=max(0, min(100, progress)))


def task_succeed(*, task: Task, result: dict[str, Any]) -> None:
    Task.objects.filter(id=task.id, status=TaskStatus.RUNNING).update(
        status=TaskStatus.SUCCEEDED, result=result, error="", progress=100, finished_at=timezone.now()
    )
    logger.info("task succeeded", extra={"task_id": str(task.id), "kind": task.kind})


def task_fail(*, task: Task, error: str) -> None:
    Task.objects.filter(id=task.id, status=TaskStatus.RUNNING).update(
        status=TaskStatus.FAILED, error=error, finished_at=timezone.now()
    )
    logger.warning("task failed", extra={"task_id": str(task.id), "kind": task.kind, "error": error})


def task_wait_for_retry(*, task: Task, error: str) -> None:
    Task.objects.filter(id=task.id, status=TaskStatus.RUNNING).update(
        status=TaskStatus.QUEUED, error=f"Attempt {task.attempts} failed, retrying: {error}"
    )


def task_execute(*, task_id: UUID | str, handler: Handler, can_retry: bool) -> Outcome:
    """Run one task through `handler` and write the outcome back to its row.

    `can_retry` says whether the actor has Dramatiq retries left: a transient error is then
    re-raised so Dramatiq sends the message again after a backoff; otherwise it fails the task.
    """
    task = task_start(task_id=task_id)
    if task is None:
        logger.info("task skipped: not queued", extra={"task_id": str(task_id)})
        return Outcome.SKIPPED
    try:
        outcome = handler(task)
    except TransientTaskError as exc:
        if can_retry:
            task_wait_for_retry(task=task, error=str(exc))
            raise
        task_fail(task=task, error=str(exc))
        return Outcome.DONE
    except PermanentTaskError as exc:
        task_fail(task=task, error=str(exc))
        return Outcome.DONE
    except TimeLimitExceeded as exc:
        task_fail(task=task, error=failure_reason(exc))
        return Outcome.DONE
    except Exception as exc:
        logger.exception("task crashed", extra={"task_id": str(task.id), "kind": task.kind})
        task_fail(task=task, error=failure_reason(exc))
        return Outcome.DONE
    if outcome is Outcome.CONTINUE:
        return Outcome.CONTINUE
    task_succeed(task=task, result=outcome)
    return Outcome.DONE


def tasks_prune(*, older_than_days: int | None = None) -> int:
    """Delete finished tasks older than the retention period; returns how many went."""
    days = settings.TASK_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    _, per_model = Task.objects.filter(status__in=FINISHED_STATUSES, finished_at__lt=cutoff).delete()
    deleted = per_model.get(Task._meta.label, 0)
    logger.info("tasks pruned", extra={"deleted": deleted, "older_than_days": days})
    return deleted
