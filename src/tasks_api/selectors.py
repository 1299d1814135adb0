"""Reads of Task rows, always scoped to their owner."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.models import User
from tasks_api.lane import lane_position_expression, lane_tasks, lane_with_positions
from tasks_api.models import Task


def task_list(*, owner: User) -> QuerySet[Task]:
    """The caller's tasks, newest first, each with its lane `position` (one query a page)."""
    return Task.objects.filter(owner=owner).annotate(position=lane_position_expression())


def task_get(*, owner: User, task_id: str) -> Task:
    """The caller's task; another user's task is a 404, the same as a missing one."""
    return get_object_or_404(Task, id=task_id, owner=owner)


def task_lane_queue(*, owner: User, lane: str) -> QuerySet[Task]:
    """The caller's unfinished tasks of a lane in lane order, each with its `position`.

    Positions count every user's tasks ahead, so they say when the caller's turn comes.
    """
    return lane_with_positions(lane_tasks(lane=lane).filter(owner=owner))
