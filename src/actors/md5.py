"""The actor of the `md5` kind."""

from __future__ import annotations

from functools import partial

import dramatiq

from actors.base import TASK_RETRY_OPTIONS, can_retry
from tasks_api.md5 import md5_run
from tasks_api.services import task_execute


# 20 minutes: a 1 GiB body at a modest rate fits, and it stays below RabbitMQ's 30-minute
# consumer_timeout, past which the broker would hand the message to another worker.
@dramatiq.actor(actor_name="md5_task", queue_name="tasks", time_limit=1_200_000, **TASK_RETRY_OPTIONS)
def md5_task(task_id: str) -> None:
    retry = can_retry()
    task_execute(task_id=task_id, handler=partial(md5_run, can_retry=retry), can_retry=retry)
