"""Reads of Task rows, always scoped to their owner."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.models import User
from tasks_api.models import Task


def task_list(*, owner: User) -> QuerySet[Task]:
    return Task.objects.filter(owner=owner)


def task_get(*, owner: User, task_id: str) -> Task:
    """The caller's task; another user's task is a 404, the same as a missing one."""
    return get_object_or_404(Task, id=task_id, owner=owner)
