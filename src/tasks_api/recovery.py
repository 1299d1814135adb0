"""What keeps rows and messages in step when something fails: the relay and the take-over.

Rows are the truth, the broker only a wake-up. Every worker process runs these each
TASK_RELAY_INTERVAL_SECONDS from its heartbeat thread (tasks_api.heartbeat):

- `tasks_dispatch_pending` sends the unfinished tasks that have no message: the broker was
  away when they were committed, or the process that committed them died before sending.
  So a task committed during a RabbitMQ outage runs seconds after the broker is back.
- `tasks_take_over_expired` puts back the running tasks whose lease ran out: their worker
  died (SIGKILL, out of memory, a lost host), or fails them after TASK_MAX_DELIVERIES.

Both are safe to run in many processes at once: rows are locked with SKIP LOCKED where the
database has it, every claim is conditional, and a duplicate message finds the task
claimed or finished and does nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.dispatch import send_actor
from tasks_api import registry
from tasks_api.models import Task, TaskStatus
from tasks_api.services import task_take_over

logger = logging.getLogger(__name__)
UNFINISHED = (TaskStatus.QUEUED, TaskStatus.RUNNING)
BATCH = 200


def tasks_dispatch_pending(*, grace_seconds: float | None = None) -> int:
    """Send the unfinished tasks that have no message yet; returns how many were sent."""
    grace = settings.TASK_RELAY_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    sent: list = []
    with transaction.atomic():
        pending = (
            Task.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=UNFINISHED,
                dispatched_at__isnull=True,
                claim_token__isnull=True,
                enqueued_at__lt=cutoff,
            )
            .order_by("enqueued_at")
            .only("id", "kind")[:BATCH]
        )
        for task in pending:
            try:
                send_actor(registry.get(task.kind).actor_name, str(task.id))
            except Exception as exc:
                # The broker is still away: the next round tries again.
                logger.warning(
                    "relay: broker unavailable", extra={"error": str(exc), "pending": len(pending)}
                )
                break
            sent.append(task.id)
        if sent:
            Task.objects.filter(id__in=sent).update(dispatched_at=timezone.now())
    if sent:
        logger.info("relay: tasks dispatched", extra={"count": len(sent)})
    return len(sent)


def tasks_take_over_expired() -> int:
    """Put back (or fail) the running tasks whose worker stopped renewing their lease."""
    expired = Task.objects.filter(status=TaskStatus.RUNNING, lease_until__lt=timezone.now())[:BATCH]
    return sum(1 for task in expired if task_take_over(task=task))


def tasks_requeue_after_restart() -> int:
    """At the start of the embedded default, queue again every unfinished task.

    Its in-process broker kept their messages in memory, gone with the last process, and
    no worker of that process runs anything any more: the relay sends them all again.
    Only for a single process that is the whole deployment (`manage.py serve`).
    """
    changed = Task.objects.filter(status__in=UNFINISHED).update(
        status=TaskStatus.QUEUED,
        claim_token=None,
        lease_until=None,
        worker="",
        dispatched_at=None,
        enqueued_at=timezone.now() - timedelta(seconds=settings.TASK_RELAY_GRACE_SECONDS + 1),
    )
    if changed:
        logger.info("unfinished tasks queued again after a restart", extra={"count": changed})
    return changed
