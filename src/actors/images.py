"""The image processing actor: thin, the work is images.processing.image_process_run."""

from __future__ import annotations

from functools import partial

import dramatiq

from actors.base import TASK_RETRY_OPTIONS, can_retry
from images.processing import image_process_run
from tasks_api.services import task_execute


@dramatiq.actor(
    actor_name="image_process_task", queue_name="images", time_limit=300_000, **TASK_RETRY_OPTIONS
)
def image_process_task(task_id: str) -> None:
    retry = can_retry()
    task_execute(task_id=task_id, handler=partial(image_process_run, can_retry=retry), can_retry=retry)
