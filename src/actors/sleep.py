"""The actor of the `sleep` kind."""

from __future__ import annotations

import dramatiq

from actors.base import TASK_RETRY_OPTIONS, can_retry
from jobs.sleep import sleep_run
from tasks_api.services import task_execute


@dramatiq.actor(actor_name="sleep_task", queue_name="sleep", time_limit=600_000, **TASK_RETRY_OPTIONS)
def sleep_task(task_id: str) -> None:
    task_execute(task_id=task_id, handler=sleep_run, can_retry=can_retry())
