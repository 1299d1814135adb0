"""Run periodiq's scheduler with Django set up: it sends each periodic actor on its cron.

Run exactly one: periodiq takes no lock, and two schedulers send every job twice (the
sweeps are safe to run twice, but there is no reason to).
"""

from __future__ import annotations

import periodiq
from django.core.management.base import BaseCommand, CommandError

from core.scheduling import periodic_actors


class Command(BaseCommand):
    help = "Run the periodiq scheduler for the project's periodic actors."

    def handle(self, *args, **options) -> None:
        actors = periodic_actors()
        if not actors:
            raise CommandError("No periodic actor is registered.")
        periodiq.print_periodic_actors(actors)
        scheduler = periodiq.Scheduler(actors=actors)
        scheduler.schedule()
        scheduler.loop()
