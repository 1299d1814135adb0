"""Periodic actors: finding them, and a scheduler loop that runs in a thread.

The standalone scheduler (`manage.py runscheduler`) is periodiq's own, which needs the
main thread for its SIGALRM timer. The embedded server runs this loop in a thread instead,
with periodiq's cron specs and the same `scheduled_at` option periodiq sends.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import dramatiq
import pendulum
from periodiq import CronSpec

logger = logging.getLogger(__name__)


def periodic_actors() -> list[dramatiq.Actor]:
    return [actor for actor in dramatiq.get_broker().actors.values() if "periodic" in actor.options]


def next_run(spec: CronSpec) -> datetime:
    """When a cron spec fires next, from now, as the scheduler reckons it (its local time)."""
    return spec.next_valid_date(pendulum.now().replace(microsecond=0))


class SchedulerThread(threading.Thread):
    def __init__(self, actors: list[dramatiq.Actor]) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.actors = actors
        self.stopping = threading.Event()

    def run(self) -> None:
        now = pendulum.now().replace(microsecond=0)
        while not self.stopping.is_set() and self.actors:
            due = min(actor.options["periodic"].next_valid_date(now) for actor in self.actors)
            if self.stopping.wait(max(0.0, (due - pendulum.now()).total_seconds())):
                return
            for actor in self.actors:
                if actor.options["periodic"].validate(due):
                    logger.info("scheduling %s", actor.actor_name, extra={"scheduled_at": str(due)})
                    actor.send_with_options(scheduled_at=str(due))
            now = due

    def stop(self) -> None:
        self.stopping.set()
