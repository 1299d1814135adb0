"""A lane: tasks of one kind that run strictly one at a time, in the order they were submitted.

RabbitMQ cannot tell a queue's order and any worker thread may receive any message, so the
order and the mutual exclusion live in the database, on the `Lane` row:

- `number` (given inside the creating transaction, under the row lock of the UPDATE that
  counts) is the task's place in the lane; the head is the unfinished task with the lowest.
- Only the head may take the lease, with a conditional UPDATE that succeeds only while no
  live lease exists. The holder renews it as it runs; a killed worker stops renewing, the
  lease runs out, and the head (the same task, still unfinished) is claimed again.

Both work on PostgreSQL and on the embedded SQLite default, which an advisory lock would not.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tasks_api.models import Lane, Task
from tasks_api.selectors import UNFINISHED, lane_tasks


@dataclass(frozen=True)
class Lease:
    """One run's hold on a lane; the token tells this run from a later claim of the same task."""

    lane: str
    task_id: UUID
    token: UUID


def _lease_length() -> timedelta:
    return timedelta(seconds=settings.SEQUENTIAL_LEASE_SECONDS)


def _free() -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now())


def lane_position(*, task: Task) -> int | None:
    """1 for the task that runs or runs next, counted over every user's tasks."""
    if task.number is None or task.status not in UNFINISHED:
        return None
    return 1 + lane_tasks(lane=task.kind).filter(number__lt=task.number).count()


def lane_head(*, lane: str) -> Task | None:
    return lane_tasks(lane=lane).order_by("number").first()


@transaction.atomic(savepoint=False)
def lane_assign_number(*, task: Task) -> None:
    """Give a task entering the lane (new or re-queued) the next number of its lane.

    The UPDATE locks the lane row until the creating transaction commits, so two requests
    at once get different numbers, and numbers follow commit order. It runs inside that
    transaction (savepoint=False: a savepoint of its own would only add two statements).
    """
    lanes = Lane.objects.filter(name=task.kind)
    if not lanes.update(last_number=F("last_number") + 1):
        Lane.objects.get_or_create(name=task.kind)  # the lane's first task
        lanes.update(last_number=F("last_number") + 1)
    task.number = lanes.values_list("last_number", flat=True).get()
    Task.objects.filter(id=task.id).update(number=task.number)


@transaction.atomic
def lane_claim(*, task_id: UUID | str) -> Lease | None:
    """The lease for `task_id` if it is the head of its lane and no live lease exists."""
    task = Task.objects.filter(id=task_id, number__isnull=False).only("kind").first()
    if task is None:
        return None
    head = lane_head(lane=task.kind)
    if head is None or head.id != task.id:
        return None
    token = uuid.uuid4()
    # Another worker may have claimed it a moment ago: the condition lets only one through.
    claimed = (
        Lane.objects.filter(name=task.kind)
        .filter(_free())
        .update(
            holder=task.id,
            lease_token=token,
            lease_until=timezone.now() + _lease_length(),
            holder_label=f"{socket.gethostname()}:{os.getpid()}",
        )
    )
    return Lease(lane=task.kind, task_id=task.id, token=token) if claimed else None


def lane_renew(*, lease: Lease) -> bool:
    """Extend the lease; False when it ran out and another run took it."""
    return bool(
        Lane.objects.filter(name=lease.lane, lease_token=lease.token).update(
            lease_until=timezone.now() + _lease_length()
        )
    )


def lane_release(*, lease: Lease) -> None:
    Lane.objects.filter(name=lease.lane, lease_token=lease.token).update(
        holder=None, lease_token=None, lease_until=None, holder_label=""
    )


def lane_is_free(*, lane: str) -> bool:
    """No run holds the lane (nobody took the lease, or it ran out)."""
    return Lane.objects.filter(name=lane).filter(_free()).exists()


def lane_wake_head(*, lane: str, force: bool = False) -> UUID | None:
    """The head to send a fresh message for, or None.

    After a task finishes (`force`), its successor is woken at once. Otherwise the head is
    woken only when the lane is free and nobody woke it within a lease: its own message may
    be gone (lost, or dropped while another task held the lane), and the waiting tasks'
    polls are what keep such a lane from stalling, without a storm of wake-ups.
    """
    head = lane_head(lane=lane)
    if head is None:
        return None
    lanes = Lane.objects.filter(name=lane)
    if not force:
        stale = timezone.now() - _lease_length()
        lanes = lanes.filter(_free()).filter(Q(kicked_at__isnull=True) | Q(kicked_at__lt=stale))
    return head.id if lanes.update(kicked_at=timezone.now()) else None
