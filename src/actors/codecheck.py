"""Actors of code checks: the periodic sweep, and the `code_check` task kind."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from actors.base import TASK_RETRY_OPTIONS, can_retry
from codecheck.services import code_check_run, codecheck_sweep
from tasks_api.services import task_execute


@dramatiq.actor(
    actor_name="codecheck_sweep",
    queue_name="codecheck",
    periodic=cron(settings.CODECHECK_SWEEP_CRON),
    # The next scheduled sweep is the retry; a sweep only creates tasks, which is quick.
    max_retries=0,
    time_limit=120_000,
)
def codecheck_sweep_actor() -> None:
    codecheck_sweep()


# flake8 on the largest accepted file takes well under a minute; the mail's timeout is short.
@dramatiq.actor(
    actor_name="code_check_task", queue_name="codecheck", time_limit=300_000, **TASK_RETRY_OPTIONS
)
def code_check_task(task_id: str) -> None:
    task_execute(task_id=task_id, handler=code_check_run, can_retry=can_retry())
