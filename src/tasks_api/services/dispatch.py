"""Sending a task's message: the row is the outbox, `dispatched_at` says the message went out.

With the broker away a row keeps no `dispatched_at`, and the relay
(tasks_api.recovery.tasks_dispatch_pending) sends it as soon as the broker is back.
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.utils import timezone

from core.dispatch import enqueue_on_commit, send_actor
from tasks_api import registry
from tasks_api.models import Task

logger = logging.getLogger(__name__)


def _mark_dispatched(task_id: UUID | str) -> None:
    Task.objects.filter(id=task_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())


def task_dispatch_on_commit(*, task: Task) -> None:
    """Send the task's message once the open transaction commits."""
    task_id = task.id
    enqueue_on_commit(
        registry.get(task.kind).actor_name, str(task_id), on_sent=lambda: _mark_dispatched(task_id)
    )


def task_dispatch_now(*, task_id: UUID, kind: str) -> None:
    """Send a message for the task now (no transaction is open); the relay covers a failure."""
    try:
        send_actor(registry.get(kind).actor_name, str(task_id))
    except Exception:
        logger.warning("task not dispatched, the relay will", extra={"task_id": str(task_id)}, exc_info=True)
        return
    _mark_dispatched(task_id)
