"""`manage.py sweep_codecheck`: one sweep by hand, the same the schedule runs."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from codecheck.services import codecheck_sweep
from core.dispatch import drain_in_process_broker


class Command(BaseCommand):
    help = "Run flake8 on every new or updated code file once, and queue the report mails."

    def handle(self, *args, **options) -> None:
        checked = codecheck_sweep()
        drain_in_process_broker()  # embedded default: send the report mails before exiting
        self.stdout.write(f"Checked {checked} file(s).")
