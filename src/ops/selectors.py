"""Reads of the ops views: schedules, task counts and failures, from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from core.scheduling import next_run, periodic_actors
from ops.models import PeriodicJob
from tasks_api.models import Task, TaskStatus, Worker

# SPEC §6: a worker silent this long is gone (the runtime's leases take its tasks over).
WORKER_SILENT_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    next_run_at: datetime
    last_run_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str
    last_error: str


def schedules_list() -> list[Schedule]:
    """Every periodic actor with its cron, its next run, and its last run as the workers saw it."""
    runs = {job.name: job for job in PeriodicJob.objects.all()}
    schedules = []
    for actor in sorted(periodic_actors(), key=lambda actor: actor.actor_name):
        spec = actor.options["periodic"]
        run = runs.get(actor.actor_name, PeriodicJob(name=actor.actor_name))
        schedules.append(
            Schedule(
                name=actor.actor_name,
                cron=str(spec),
                next_run_at=next_run(spec),
                last_run_at=run.last_run_at,
                last_finished_at=run.last_finished_at,
                last_outcome=run.last_outcome,
                last_error=run.last_error,
            )
        )
    return schedules


@dataclass(frozen=True)
class KindActivity:
    kind: str
    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed + self.cancelled


def task_activity(*, window: timedelta = timedelta(hours=1)) -> list[KindActivity]:
    """Per kind: tasks queued and running now, and those finished within `window`, by status."""
    since = timezone.now() - window
    counts: dict[str, dict[str, int]] = {}
    current = Task.objects.filter(status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING])
    finished = Task.objects.filter(finished_at__gte=since).exclude(
        status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING]
    )
    for rows in (current, finished):
        for row in rows.values("kind", "status").annotate(n=Count("id")).order_by():
            counts.setdefault(row["kind"], {})[row["status"]] = row["n"]
    return [
        KindActivity(kind=kind, **{status: by_status.get(status, 0) for status in TaskStatus.values})
        for kind, by_status in sorted(counts.items())
    ]


def task_running(*, limit: int = 20) -> QuerySet[Task]:
    return (
        Task.objects.filter(status=TaskStatus.RUNNING).select_related("owner").order_by("started_at")[:limit]
    )


def task_recent_failures(*, limit: int = 20) -> QuerySet[Task]:
    return (
        Task.objects.filter(status=TaskStatus.FAILED).select_related("owner").order_by("-finished_at")[:limit]
    )


def workers_live() -> QuerySet[Worker]:
    """The worker processes whose heartbeat is recent: silent for WORKER_SILENT_AFTER is gone."""
    return Worker.objects.filter(heartbeat_at__gte=timezone.now() - WORKER_SILENT_AFTER)


def dashboard_summary() -> dict[str, Any]:
    """What tells one state of the /ops/ dashboard from the next, for its event stream.

    Ids, counts, progress and timestamps only: no emails, URLs, file names or messages (a
    progress message can name a file), since the stream is only a cue to fetch the page.
    Queue depths are left out (they need the broker); the task counts move with them.
    """
    newest_failure = task_recent_failures(limit=1).first()
    return {
        "activity": {
            row.kind: {status: getattr(row, status) for status in TaskStatus.values}
            for row in task_activity()
        },
        "running": [{"id": str(task.id), "progress": task.progress} for task in task_running()],
        "failed": Task.objects.filter(status=TaskStatus.FAILED).count(),
        "newest_failure": None if newest_failure is None else str(newest_failure.id),
        "workers": sorted(str(worker_id) for worker_id in workers_live().values_list("id", flat=True)),
        "schedules": {
            job.name: {"last_run_at": job.last_run_at, "last_outcome": job.last_outcome}
            for job in PeriodicJob.objects.order_by("name")
        },
    }
