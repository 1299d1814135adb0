"""Claiming a task for a delivery, and taking over one whose worker died (its lease ran out).

A claim gives the run a token and a lease that the worker's heartbeat renews; every later
write of the run is conditional on the token, so a run that lost its claim writes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from tasks_api.models import Task, TaskStatus
from tasks_api.services.fields import attempt, attempts_with, back_in_queue

logger = logging.getLogger(__name__)

WORKER_LABEL = f"{socket.gethostname()}:{os.getpid()}"


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
    attempts = attempts_with(
        task, attempt(started_at=task.claimed_at, error="Its worker stopped before it finished.", lost=True)
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
        fields = back_in_queue()
    # Conditional on the dead run's claim: only one process takes it over.
    if not Task.objects.filter(id=task.id, claim_token=task.claim_token).update(attempts=attempts, **fields):
        return False
    logger.warning(
        "task taken over from a dead worker",
        extra={"task_id": str(task.id), "kind": task.kind, "worker": task.worker, "deaths": deaths},
    )
    return True


def _update_returning(tasks: QuerySet[Task], values: dict[str, Any]) -> Task | None:
    """`tasks.update(**values)` that gives back the row it changed, in one statement.

    Django's update() answers a count only, so the claim would need a SELECT after it; this
    is the same UPDATE with `RETURNING` (PostgreSQL, and SQLite since 3.35), read back as a
    raw query so the fields are converted as any query's are. For one row: the claim
    filters on the primary key. None when no row matched.
    """
    query = cast(UpdateQuery, tasks.query.chain(UpdateQuery))
    query.add_update_values(values)
    sql, params = query.get_compiler(tasks.db).as_sql()
    quote = connections[tasks.db].ops.quote_name
    columns = ", ".join(quote(field.column) for field in Task._meta.concrete_fields)
    return next(iter(Task.objects.using(tasks.db).raw(f"{sql} RETURNING {columns}", params)), None)


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
    task = _update_returning(Task.objects.filter(claimable, id=task_id), claim)
    if task is None:
        stale = Task.objects.filter(id=task_id, status=TaskStatus.RUNNING, lease_until__lt=now).first()
        if stale is None or not task_take_over(task=stale):
            return None
        task = _update_returning(Task.objects.filter(claimable, id=task_id), claim)
        if task is None:
            return None  # it failed for good, or another delivery claimed it first
    logger.info(
        "task started", extra={"task_id": str(task.id), "kind": task.kind, "delivery": task.deliveries}
    )
    return task
