"""What every benchmark shares: Django set-up on the bench database, workers, the result row.

Benchmarks run against the real services named by DATABASE_URL, RABBITMQ_URL and
REDIS_URL (`make bench` points them at the machine's own). Each benchmark module has a
`run() -> list[Row]` that measures the project and its baseline in the same run.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "bench"


@dataclass
class Row:
    capability: str
    metric: str
    project: float
    baseline: float
    baseline_name: str
    unit: str
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float:
        if not self.baseline:
            return float("nan")
        return self.project / self.baseline


def setup_django() -> None:
    """Configure Django on the bench database and bring its schema up to date."""
    import sys

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (0..100) by the inclusive method; values must not be empty."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] if pct < 100 else max(values)


def bench_user(email: str = "bench@example.com"):
    from core.models import User

    user, _ = User.objects.get_or_create(email=email)
    return user
