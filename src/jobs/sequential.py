"""The `sequential` kind: tasks that wait `timeout` seconds, strictly one at a time, in order.

Each message for a task asks the lane (jobs.lane) for the lease. The head gets it and
runs; any other task's message comes back after SEQUENTIAL_POLL_SECONDS, until its task is
the head or has left the lane. A finishing task wakes its successor at once, so the polls
only matter when something went wrong (a worker died, a message was lost).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from core.dispatch import send_actor
from jobs.lane import (
    Lease,
    lane_claim,
    lane_is_free,
    lane_position,
    lane_release,
    lane_renew,
    lane_wake_head,
)
from jobs.params import SecondsField
from tasks_api.models import Task
from tasks_api.params import ParamsSerializer
from tasks_api.runs import raise_if_stopped
from tasks_api.selectors import lane_tasks
from tasks_api.services import Outcome, task_execute, task_set_progress

KIND = "sequential"
MAX_SAFE_INTEGER = 2**53 - 1
# A waiting task asks again after SEQUENTIAL_POLL_SECONDS times its position, at most this many.
MAX_POLL_FACTOR = 30


class SequentialParamsSerializer(ParamsSerializer):
    # Within what a JSON client can hold exactly (a JavaScript number is a double).
    num = serializers.IntegerField(
        min_value=-MAX_SAFE_INTEGER,
        max_value=MAX_SAFE_INTEGER,
        help_text="An integer (within ±2^53 - 1); the result gives it back.",
    )
    timeout = SecondsField(help_text="Seconds to wait, 0 to 3600; fractions allowed.")


@dataclass(frozen=True)
class LaneStep:
    """What the actor sends after one message: itself again later, and/or the new head."""

    again_in_ms: int | None = None
    wake: UUID | None = None


def sequential_run(task: Task, *, lease: Lease) -> dict[str, Any] | Outcome:
    """Wait until `started_at + timeout`, renewing the lease, one slice per message.

    The deadline comes from the row, so a task claimed again after its worker died waits
    only for what is left. Losing the lease (it ran out while this process stalled) ends the
    slice without an outcome: whoever holds the lease now carries on.
    """
    timeout = task.params["timeout"]
    deadline = task.started_at + timedelta(seconds=timeout)
    slice_end = time.monotonic() + settings.SLEEP_SLICE_SECONDS
    renew_every = settings.SEQUENTIAL_LEASE_SECONDS / 3
    next_renewal = time.monotonic() + renew_every
    while (remaining := (deadline - timezone.now()).total_seconds()) > 0:
        task_set_progress(task_id=task.id, progress=int(100 * (timeout - remaining) / timeout))
        if time.monotonic() >= slice_end:
            return Outcome.CONTINUE
        if time.monotonic() >= next_renewal:
            if not lane_renew(lease=lease):
                return Outcome.CONTINUE
            next_renewal = time.monotonic() + renew_every
        raise_if_stopped()  # cancelled, or the worker shuts down: the lane moves on
        time.sleep(min(remaining, renew_every, 1.0))
    return {"num": task.params["num"]}


def sequential_step(*, task_id: UUID | str) -> LaneStep:
    """Handle one message for a sequential task: run it if it holds the lane, else wait."""
    lease = lane_claim(task_id=task_id)
    if lease is None:
        waiting = lane_tasks(lane=KIND).filter(id=task_id).first()
        if waiting is None:
            return LaneStep()  # finished, cancelled or deleted: this message is done
        # A finishing task wakes its successor at once, so polls only cover lost messages:
        # a task far back asks less often, or a long queue would flood the broker.
        factor = min(lane_position(task=waiting) or 1, MAX_POLL_FACTOR)
        return LaneStep(
            again_in_ms=int(settings.SEQUENTIAL_POLL_SECONDS * factor * 1000), wake=lane_wake_head(lane=KIND)
        )
    try:
        outcome = task_execute(task_id=task_id, handler=partial(sequential_run, lease=lease), can_retry=False)
    finally:
        lane_release(lease=lease)
    if outcome is Outcome.CONTINUE:
        return LaneStep(again_in_ms=0)
    return LaneStep(wake=lane_wake_head(lane=KIND, force=True))


def sequential_cancelled(task: Task) -> None:
    """A cancelled task leaves the lane: once that commits, wake the head it may have blocked.

    Without this the next task would start only at its next poll.
    """

    def wake() -> None:
        if lane_is_free(lane=KIND) and (head := lane_wake_head(lane=KIND, force=True)) is not None:
            send_actor("sequential_task", str(head))

    transaction.on_commit(wake, robust=True)


def sequential_wake() -> UUID | None:
    """The head to send a message for when the lane is free and nobody woke it lately.

    Run on a schedule: should every message of the lane be lost (a broker wiped, retries
    used up during a database outage), this is what starts it again.
    """
    return lane_wake_head(lane=KIND)
