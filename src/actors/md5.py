"""The actor of the `md5` kind."""

from __future__ import annotations

from functools import partial

import dramatiq

from actors.base import TASK_RETRY_OPTIONS, can_retry
from jobs.md5 import md5_run
from tasks_api.services import task_execute


# 14 minutes. RabbitMQ's consumer_timeout (30 minutes) counts from delivery, and a worker
# prefetches messages while its threads are busy: a prefetched message may wait one whole
# run before its own starts, so two runs must fit in the 30 minutes.
@dramatiq.actor(actor_name="md5_task", queue_name="md5", time_limit=840_000, **TASK_RETRY_OPTIONS)
def md5_task(task_id: str) -> None:
    retry = can_retry()
    task_execute(task_id=task_id, handler=partial(md5_run, can_retry=retry), can_retry=retry)
