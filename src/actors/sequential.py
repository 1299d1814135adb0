"""The actor of the `sequential` kind: one message per attempt to run, see tasks_api.sequential."""

from __future__ import annotations

import dramatiq

from tasks_api.sequential import sequential_step


# No retries: a waiting task sends itself again (that is how it waits), and the handler
# only waits, so nothing in it fails in a way another try would fix. A slice lasts at most
# SLEEP_SLICE_SECONDS, well inside the time limit.
@dramatiq.actor(actor_name="sequential_task", queue_name="tasks", max_retries=0, time_limit=600_000)
def sequential_task(task_id: str) -> None:
    step = sequential_step(task_id=task_id)
    if step.wake is not None:
        sequential_task.send(str(step.wake))
    if step.again_in_ms is not None:
        sequential_task.send_with_options(args=(task_id,), delay=step.again_in_ms or None)
