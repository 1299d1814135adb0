"""Actors of the task machinery: the `sleep` kind and the retention sweep."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from actors.base import TASK_RETRY_OPTIONS, can_retry
from tasks_api.services import task_execute, tasks_prune
from tasks_api.sleep import sleep_run


@dramatiq.actor(actor_name="sleep_task", queue_name="sleep", time_limit=600_000, **TASK_RETRY_OPTIONS)
def sleep_task(task_id: str) -> None:
    task_execute(task_id=task_id, handler=sleep_run, can_retry=can_retry())


@dramatiq.actor(
    actor_name="prune_tasks",
    queue_name="maintenance",
    periodic=cron(settings.TASK_PRUNE_CRON),
    max_retries=0,
    time_limit=600_000,
)
def prune_tasks() -> None:
    tasks_prune()
