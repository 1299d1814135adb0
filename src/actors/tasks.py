"""Actors of the task runtime itself: the retention sweep."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from tasks_api.services import tasks_prune


@dramatiq.actor(
    actor_name="prune_tasks",
    queue_name="maintenance",
    periodic=cron(settings.TASK_PRUNE_CRON),
    max_retries=0,
    time_limit=600_000,
)
def prune_tasks() -> None:
    tasks_prune()
