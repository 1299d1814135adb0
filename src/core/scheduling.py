"""Periodic actors: finding them, and the scheduler loop that sends each on its cron.

One loop for both: the embedded server runs it in a thread, `manage.py runscheduler` in its
main thread. It reads periodiq's cron specs and sends the `scheduled_at` option periodiq's
middleware expects, but unlike periodiq's own scheduler it survives a broker that is away
at a cron minute: the send is logged as failed and the loop goes on to the next due time
(every periodic job here is a sweep that the next run catches up on).
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
                    self.send(actor, due)
            now = due

    @staticmethod
    def send(actor: dramatiq.Actor, due: pendulum.DateTime) -> None:
        extra = {"actor": actor.actor_name, "scheduled_at": str(due)}
        try:
            actor.send_with_options(scheduled_at=str(due))
        except Exception:  # the broker is away (its bounded timeouts ended the send)
            logger.exception("could not send %s; it runs at its next time", actor.actor_name, extra=extra)
        else:
            logger.info("scheduled %s", actor.actor_name, extra=extra)

    def stop(self) -> None:
        self.stopping.set()
