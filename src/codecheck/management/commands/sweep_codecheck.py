"""`manage.py sweep_codecheck`: one sweep by hand, the same the schedule runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from codecheck.services import codecheck_sweep
from core.dispatch import drain_in_process_broker


class Command(BaseCommand):
    help = "Queue a check of every new or updated code file (its report mail follows)."

    def handle(self, *args, **options) -> None:
        queued = codecheck_sweep()
        drain_in_process_broker()  # embedded default: run the checks and mails before exiting
        self.stdout.write(f"Queued a check of {queued} file(s).")
