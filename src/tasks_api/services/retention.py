"""Retention: finished tasks older than TASK_RETENTION_DAYS go."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tasks_api.models import FINISHED_STATUSES, Task

logger = logging.getLogger(__name__)


def tasks_prune(*, older_than_days: int | None = None) -> int:
    """Delete finished tasks older than the retention period; returns how many went."""
    days = settings.TASK_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    _, per_model = Task.objects.filter(status__in=FINISHED_STATUSES, finished_at__lt=cutoff).delete()
    deleted = per_model.get(Task._meta.label, 0)
    logger.info("tasks pruned", extra={"deleted": deleted, "older_than_days": days})
    return deleted
