"""The Prometheus families of SPEC §6, read from the database and the broker at scrape time.

Counting rows when scraped, rather than counting events in each process, gives the same
figures whichever web process answers and however many workers run. The labels are kinds,
statuses and queue names, fixed by the code: never anything a user typed.

`workhorse_tasks_total` counts the finished tasks still in the table, so it drops when the
retention sweep prunes old ones; Prometheus reads a drop as a counter reset, which `rate()`
and `increase()` handle.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from core.exceptions import ApplicationError
from ops.queues import queues_stats
from ops.selectors import workers_live
from tasks_api.models import FINISHED_STATUSES, Task, TaskStatus

logger = logging.getLogger(__name__)

DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


def _tasks_by_kind_and_status(statuses) -> list[dict]:
    return list(
        Task.objects.filter(status__in=statuses).values("kind", "status").annotate(n=Count("id")).order_by()
    )


def _durations() -> Iterator[tuple[str, list[tuple[str, float]], float]]:
    """Per kind: the cumulative bucket counts and the sum of seconds of finished runs."""
    runs = Task.objects.filter(
        status__in=[TaskStatus.SUCCEEDED, TaskStatus.FAILED],
        started_at__isnull=False,
        finished_at__isnull=False,
    ).annotate(duration=ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField()))
    buckets = {
        f"le_{index}": Count("id", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(DURATION_BUCKETS)
    }
    for row in (
        runs.values("kind").annotate(count=Count("id"), total=Sum("duration"), **buckets).order_by("kind")
    ):
        cumulative = [
            (floatToGoString(bound), row[f"le_{index}"])  # type: ignore[literal-required]  # keys made above
            for index, bound in enumerate(DURATION_BUCKETS)
        ]
        cumulative.append(("+Inf", row["count"]))
        yield row["kind"], cumulative, row["total"].total_seconds() if row["total"] else 0.0


class WorkhorseCollector:
    def collect(self) -> Iterator[Metric]:
        finished = CounterMetricFamily(
            "workhorse_tasks",
            "Finished tasks in the table, by kind and final status.",
            labels=["kind", "status"],
        )
        for row in _tasks_by_kind_and_status(FINISHED_STATUSES):
            finished.add_metric([row["kind"], row["status"]], row["n"])
        yield finished

        current = GaugeMetricFamily(
            "workhorse_tasks_current", "Tasks queued or running now, by kind.", labels=["kind", "status"]
        )
        for row in _tasks_by_kind_and_status([TaskStatus.QUEUED, TaskStatus.RUNNING]):
            current.add_metric([row["kind"], row["status"]], row["n"])
        yield current

        duration = HistogramMetricFamily(
            "workhorse_task_duration_seconds",
            "From start to finish of succeeded and failed tasks, by kind.",
            labels=["kind"],
        )
        for kind, buckets, total in _durations():
            duration.add_metric([kind], buckets, sum_value=total)
        yield duration

        queue_messages = GaugeMetricFamily(
            "workhorse_queue_messages",
            "Messages ready in each queue, read from the broker.",
            labels=["queue"],
        )
        try:
            for queue in queues_stats():
                queue_messages.add_metric([queue.name], queue.messages)
        except ApplicationError as exc:
            # The task figures still count: a scrape without queue samples says the broker is away.
            logger.warning("metrics: queue counts left out", extra={"error": exc.message})
        yield queue_messages

        yield GaugeMetricFamily(
            "workhorse_workers",
            "Live worker processes (a heartbeat within 30 s).",
            value=workers_live().count(),
        )


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkhorseCollector())
    return generate_latest(registry)
