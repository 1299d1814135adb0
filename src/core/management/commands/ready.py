"""Exit 0 when the database, broker and cache answer: the same checks as /readyz.

The container healthcheck of the processes that serve no HTTP (worker, scheduler): one that
cannot reach its services is reported unhealthy instead of looking fine while idle.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.health import CHECKS


class Command(BaseCommand):
    help = "Check that the database, the broker and the cache answer (exit 1 if one does not)."

    def handle(self, *args, **options) -> None:
        down = []
        for name, check in CHECKS.items():
            try:
                check()
            except Exception as exc:
                down.append(f"{name}: {type(exc).__name__}: {exc}")
        if down:
            raise CommandError("Not ready. " + "; ".join(down))
        self.stdout.write(f"Ready: {', '.join(CHECKS)}.")
