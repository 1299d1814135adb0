"""Actors of code checks: the periodic sweep, "check now", and the report mail."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from codecheck.services import check_notify, codecheck_sweep, codefile_check


@dramatiq.actor(
    actor_name="codecheck_sweep",
    queue_name="codecheck",
    periodic=cron(settings.CODECHECK_SWEEP_CRON),
    # The next scheduled sweep is the retry; each sweep stops claiming well before this.
    max_retries=0,
    time_limit=600_000,
)
def codecheck_sweep_actor() -> None:
    codecheck_sweep()


@dramatiq.actor(actor_name="codecheck_check_file", queue_name="codecheck", max_retries=3, time_limit=300_000)
def codecheck_check_file(file_id: int) -> None:
    codefile_check(file_id=file_id)


@dramatiq.actor(
    actor_name="codecheck_notify",
    queue_name="codecheck",
    # A refused or unreachable mail server: about 17 minutes of retries, then give up.
    max_retries=8,
    min_backoff=2_000,
    max_backoff=300_000,
    time_limit=120_000,
)
def codecheck_notify(check_id: int) -> None:
    check_notify(check_id=check_id)
