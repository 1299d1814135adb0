"""Writes on Task rows: creating, cancelling, re-queueing, and the life cycle a worker drives.

A worker runs a task through `task_execute`: it claims the row (a token and a lease that
the worker's heartbeat renews), calls the kind's handler, and writes the outcome back,
conditional on still holding the claim. Handlers raise `TransientTaskError` for failures
worth another try (the actor's Dramatiq retries apply, with backoff) and
`PermanentTaskError` for the rest; any other exception fails the task too, except a
database error, which is retried. Rows are the truth and the broker a wake-up: what a lost
message or a dead worker leaves behind, tasks_api.recovery sends again.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from traceback import format_exc
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from dramatiq.middleware import Shutdown, TimeLimitExceeded

from core.dispatch import enqueue_on_commit, send_actor
from core.exceptions import ApplicationError
from core.models import User
from tasks_api import registry
from tasks_api.models import FINISHED_STATUSES, Task, TaskEmail, TaskStatus
from tasks_api.runs import TaskStopped, run_registered, shutting_down

logger = logging.getLogger(__name__)


class TransientTaskError(Exception):
    """A failure that may pass (a refused connection, a 5xx): retried with backoff."""


class PermanentTaskError(Exception):
    """A failure that another try will not fix (a 404, a bad file): fails the task at once."""


# `attempts` keeps the last deliveries only, and a traceback its last characters.
MAX_ATTEMPTS_KEPT = 25
MAX_TRACEBACK_CHARS = 16_000
WORKER_LABEL = f"{socket.gethostname()}:{os.getpid()}"
TIME_LIMIT_ERROR = "The task ran past its time limit and was stopped."
# How often a run a database error interrupted asks whether the database is back.
DATABASE_POLL_SECONDS = 0.5


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
    Task.objects.filter(id=task_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())


def _dispatch_on_commit(*, task: Task) -> None:
    # The row is the outbox: with the broker away it keeps no dispatched_at and the relay
    # (tasks_api.recovery.tasks_dispatch_pending) sends it as soon as the broker is back.
    task_id = task.id
    enqueue_on_commit(
        registry.get(task.kind).actor_name, str(task_id), on_sent=lambda: _mark_dispatched(task_id)
    )


def _dispatch_now(*, task_id: UUID, kind: str) -> None:
    """Send a message for the task now (no transaction is open); the relay covers a failure."""
    try:
        send_actor(registry.get(kind).actor_name, str(task_id))
    except Exception:
        logger.warning("task not dispatched, the relay will", extra={"task_id": str(task_id)}, exc_info=True)
        return
    _mark_dispatched(task_id)


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


def _attempt(*, started_at: datetime | None, error: str = "", lost: bool = False) -> dict[str, Any]:
    """One delivery's entry in `Task.attempts`, closed now."""
    entry: dict[str, Any] = {
        "started_at": started_at.isoformat() if started_at else None,
        "finished_at": timezone.now().isoformat(),
        "error": error,
    }
    if lost:
        entry["lost"] = True
    return entry


def _attempts_with(task: Task, entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [*task.attempts, entry][-MAX_ATTEMPTS_KEPT:]


def _back_in_queue() -> dict[str, Any]:
    """The fields of a task that needs a (new) message: the relay sends it within seconds."""
    return {
        "status": TaskStatus.QUEUED,
        "claim_token": None,
        "lease_until": None,
        "worker": "",
        "dispatched_at": None,
        "enqueued_at": timezone.now(),
    }


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
        fields["attempts"] = _attempts_with(task, _attempt(started_at=task.claimed_at, error="Cancelled."))
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
        **_back_in_queue(),
        result=None,
        error="",
        traceback="",
        progress=0,
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
    _dispatch_on_commit(task=task)
    logger.info("task re-queued", extra={"task_id": str(task.id)})
    return task


def _worker_died_error(deaths: int) -> str:
    return (
        f"Its worker died {deaths} times while running it (TASK_MAX_DELIVERIES is "
        f"{settings.TASK_MAX_DELIVERIES}): not tried again."
    )


def task_take_over(*, task: Task) -> bool:
    """Close the run of a task whose lease ran out (its worker died) and put it back in queue.

    After TASK_MAX_DELIVERIES such deaths the task fails instead: a message that kills its
    worker (out of memory on a huge input) must not be delivered for ever. False when the
    lease is live, or another process took it over first.
    """
    if task.status != TaskStatus.RUNNING or task.lease_until is None or task.lease_until >= timezone.now():
        return False
    attempts = _attempts_with(
        task, _attempt(started_at=task.claimed_at, error="Its worker stopped before it finished.", lost=True)
    )
    deaths = sum(1 for entry in attempts if entry.get("lost"))
    if deaths >= settings.TASK_MAX_DELIVERIES:
        fields: dict[str, Any] = {
            "status": TaskStatus.FAILED,
            "error": _worker_died_error(deaths),
            "finished_at": timezone.now(),
            "claim_token": None,
            "lease_until": None,
        }
    else:
        fields = _back_in_queue()
    # Conditional on the dead run's claim: only one process takes it over.
    if not Task.objects.filter(id=task.id, claim_token=task.claim_token).update(attempts=attempts, **fields):
        return False
    logger.warning(
        "task taken over from a dead worker",
        extra={"task_id": str(task.id), "kind": task.kind, "worker": task.worker, "deaths": deaths},
    )
    return True


def task_claim(*, task_id: UUID | str) -> Task | None:
    """Claim a task for this delivery; None when there is nothing to run.

    A queued task becomes running, and so does a running one between two slices (no
    claim). A running task whose lease ran out is taken over first. A task with a live
    claim is another delivery's (a duplicate message): this one leaves it.
    """
    now = timezone.now()
    token = uuid.uuid4()
    claim = {
        "status": TaskStatus.RUNNING,
        "started_at": Coalesce(F("started_at"), now),
        "claimed_at": now,
        "claim_token": token,
        "lease_until": now + timedelta(seconds=settings.TASK_LEASE_SECONDS),
        "worker": WORKER_LABEL,
        "deliveries": F("deliveries") + 1,
    }
    claimable = Q(status=TaskStatus.QUEUED) | Q(status=TaskStatus.RUNNING, claim_token__isnull=True)
    if not Task.objects.filter(claimable, id=task_id).update(**claim):
        stale = Task.objects.filter(id=task_id, status=TaskStatus.RUNNING, lease_until__lt=now).first()
        if stale is None or not task_take_over(task=stale):
            return None
        if not Task.objects.filter(claimable, id=task_id).update(**claim):
            return None  # it failed for good, or another delivery claimed it first
    task = Task.objects.get(id=task_id)
    logger.info(
        "task started", extra={"task_id": str(task.id), "kind": task.kind, "delivery": task.deliveries}
    )
    return task


def task_set_progress(*, task_id: UUID | str, progress: int) -> bool:
    """Record progress; False when the task is no longer running (cancelled, taken over)."""
    return bool(
        Task.objects.filter(id=task_id, status=TaskStatus.RUNNING).update(progress=max(0, min(100, progress)))
    )


def _finish(*, task: Task, attempt_error: str = "", **fields: Any) -> bool:
    """Write a run's outcome, only while this run still holds the claim."""
    attempts = _attempts_with(task, _attempt(started_at=task.claimed_at, error=attempt_error))
    return bool(
        Task.objects.filter(id=task.id, claim_token=task.claim_token, status=TaskStatus.RUNNING).update(
            attempts=attempts, **fields
        )
    )


def _released() -> dict[str, Any]:
    return {"claim_token": None, "lease_until": None, "worker": ""}


def task_succeed(*, task: Task, result: dict[str, Any]) -> None:
    if _finish(
        task=task,
        status=TaskStatus.SUCCEEDED,
        result=result,
        error="",
        progress=100,
        finished_at=timezone.now(),
        **_released(),
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
        **_released(),
    ):
        logger.warning("task failed", extra={"task_id": str(task.id), "kind": task.kind, "error": error})


def task_wait_for_retry(*, task: Task, error: str) -> None:
    """Back to queued with the reason; Dramatiq's retry (already scheduled) carries the message."""
    _finish(
        task=task,
        attempt_error=error,
        status=TaskStatus.QUEUED,
        error=f"Delivery {task.deliveries} failed, retrying: {error}",
        **_released(),
    )


def task_put_back(*, task: Task, reason: str) -> None:
    """This run stops without an outcome (shutdown, or a slice ended): a new message carries on.

    The task keeps its status: queued again after a shutdown (`reason` given), running
    between slices (a slice is not a new start: `started_at` and progress stay).
    """
    fields = _back_in_queue()
    if not reason:
        fields["status"] = TaskStatus.RUNNING
    _finish(task=task, attempt_error=reason, **fields)


def task_give_up(*, task_id: UUID | str, error: str) -> bool:
    """Fail a task whose message ran out of retries outside its handler, so it is not stranded."""
    changed = Task.objects.filter(id=task_id, status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING]).update(
        status=TaskStatus.FAILED, error=error, finished_at=timezone.now(), **_released()
    )
    if changed:
        logger.error("task given up", extra={"task_id": str(task_id), "error": error})
    return bool(changed)


def is_database_error(exc: BaseException) -> bool:
    """A database outage or a dropped connection: worth retrying, never the task's fault."""
    return isinstance(exc, (OperationalError, InterfaceError))


def _queue_again_once_the_database_answers(*, task: Task, exc: BaseException) -> None:
    """Put back a run a database error interrupted, as soon as the database answers again.

    The run stays registered meanwhile, so the heartbeat renews its lease once the database
    is back and nobody takes it over as if its worker had died (a death counts towards
    TASK_MAX_DELIVERIES). Dramatiq's retry of the message then runs it again. Gives up on
    shutdown, or inside a caller's transaction (a broken one cannot be retried): the lease
    then runs out and the task is taken over.
    """
    first_line = next(iter(str(exc).strip().splitlines()), "")
    reason = f"A database error interrupted it: {type(exc).__name__}: {first_line}"
    while True:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # a dropped one: the next query opens another
        try:
            task_wait_for_retry(task=task, error=reason)
            return
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or shutting_down.is_set():
                return
            time.sleep(DATABASE_POLL_SECONDS)


def task_execute(*, task_id: UUID | str, handler: Handler, can_retry: bool) -> Outcome:
    """Run one delivery of a task through `handler` and write the outcome back to its row.

    `can_retry` says whether the actor has Dramatiq retries left: a transient error is then
    re-raised so Dramatiq sends the message again after a backoff; otherwise it fails the
    task. A database error is re-raised whatever the retries (the actors retry those until
    the database is back), once the run is back in the queue with the reason.
    """
    task = task_claim(task_id=task_id)
    if task is None:
        logger.info("task skipped: not claimable", extra={"task_id": str(task_id)})
        return Outcome.SKIPPED
    assert task.claim_token is not None
    with run_registered(task_id=task.id, token=task.claim_token):
        try:
            outcome = handler(task)
        except TaskStopped:
            if shutting_down.is_set():
                task_put_back(task=task, reason="The worker shut down; it runs again on the next start.")
            return Outcome.SKIPPED  # else cancelled or taken over: the row says so already
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
            task_fail(task=task, error=failure_reason(exc), traceback=format_exc())
            return Outcome.DONE
        except Shutdown:
            task_put_back(task=task, reason="The worker shut down; it runs again on the next start.")
            return Outcome.SKIPPED
        except Exception as exc:
            if is_database_error(exc):
                _queue_again_once_the_database_answers(task=task, exc=exc)
                raise
            logger.exception("task crashed", extra={"task_id": str(task.id), "kind": task.kind})
            task_fail(task=task, error=failure_reason(exc), traceback=format_exc())
            return Outcome.DONE
        if outcome is Outcome.CONTINUE:
            task_put_back(task=task, reason="")
            _dispatch_now(task_id=task.id, kind=task.kind)
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
