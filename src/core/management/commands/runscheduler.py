"""Send each periodic actor on its cron, with Django set up.

Run exactly one: the loop takes no lock, and two schedulers send every job twice (the
sweeps are safe to run twice, but there is no reason to). It is the embedded server's loop
(core.scheduling), run in this process's main thread; a broker outage at a cron minute is
logged and the loop goes on.
"""

from __future__ import annotations

import periodiq
from django.core.management.base import BaseCommand, CommandError

from core.scheduling import SchedulerThread, periodic_actors


class Command(BaseCommand):
    help = "Run the scheduler for the project's periodic actors."

    def handle(self, *args, **options) -> None:
        actors = periodic_actors()
        if not actors:
            raise CommandError("No periodic actor is registered.")
        periodiq.print_periodic_actors(actors)
        try:
            SchedulerThread(actors).run()  # here, in the main thread: nothing else to do
        except KeyboardInterrupt:
            return
