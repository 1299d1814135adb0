"""The actor of the `sequential` kind: one message per attempt to run, see jobs.sequential."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from jobs.sequential import sequential_step, sequential_wake


# A waiting task sends itself again (that is how it waits). Retries are for the rest: a
# database or broker error would otherwise drop the task's only message and leave it
# queued for good; running a step twice is safe, the lease decides who runs. A slice lasts
# at most SLEEP_SLICE_SECONDS, well inside the time limit.
@dramatiq.actor(
    actor_name="sequential_task",
    queue_name="sequential",
    max_retries=10,
    min_backoff=1_000,
    max_backoff=30_000,
    time_limit=600_000,
    notify_shutdown=True,
)
def sequential_task(task_id: str) -> None:
    step = sequential_step(task_id=task_id)
    if step.wake is not None:
        sequential_task.send(str(step.wake))
    if step.again_in_ms is not None:
        sequential_task.send_with_options(args=(task_id,), delay=step.again_in_ms or None)


@dramatiq.actor(
    actor_name="wake_sequential_lane",
    queue_name="maintenance",
    periodic=cron(settings.SEQUENTIAL_WAKE_CRON),
    max_retries=0,
    time_limit=60_000,
)
def wake_sequential_lane() -> None:
    if (head := sequential_wake()) is not None:
        sequential_task.send(str(head))
