"""Actors of the task machinery: the `sleep` kind and the retention sweep."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from actors.base import TASK_RETRY_OPTIONS, can_retry
from tasks_api.services import Outcome, task_execute, tasks_prune, tasks_redispatch
from tasks_api.sleep import sleep_run


@dramatiq.actor(actor_name="sleep_task", queue_name="tasks", time_limit=600_000, **TASK_RETRY_OPTIONS)
def sleep_task(task_id: str) -> None:
    if task_execute(task_id=task_id, handler=sleep_run, can_retry=can_retry()) is Outcome.CONTINUE:
        sleep_task.send(task_id)


@dramatiq.actor(
    actor_name="prune_tasks",
    queue_name="maintenance",
    periodic=cron(settings.TASK_PRUNE_CRON),
    max_retries=0,
    time_limit=600_000,
)
def prune_tasks() -> None:
    tasks_prune()


@dramatiq.actor(
    actor_name="redispatch_tasks",
    queue_name="maintenance",
    periodic=cron(settings.TASK_REDISPATCH_CRON),
    max_retries=0,
    time_limit=300_000,
)
def redispatch_tasks() -> None:
    tasks_redispatch()
