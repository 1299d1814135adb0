"""Reads of Task rows, always scoped to their owner, and the place of a task in a numbered queue.

A kind whose tasks run in order (a lane, such as jobs' `sequential`) numbers them in
`Task.number`; the reads here need nothing else of the kind, so every list shows the
`position` of such a task in one query.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from core.models import User
from tasks_api.models import Task, TaskStatus

UNFINISHED = (TaskStatus.QUEUED, TaskStatus.RUNNING)


def lane_tasks(*, lane: str) -> QuerySet[Task]:
    """Every user's unfinished tasks in the lane (cancelled ones have left it)."""
    return Task.objects.filter(kind=lane, status__in=UNFINISHED, number__isnull=False)


def lane_position_expression() -> Case:
    """`position` as a query expression: one query for a whole page of tasks of any kinds.

    1 + the unfinished tasks of the same lane with a lower number, for a task in a lane;
    NULL for every other task (finished ones, and kinds without a lane, which have no number).
    """
    ahead = (
        Task.objects.filter(
            kind=OuterRef("kind"), status__in=UNFINISHED, number__isnull=False, number__lt=OuterRef("number")
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Case(
        When(
            number__isnull=False,
            status__in=UNFINISHED,
            then=Coalesce(Subquery(ahead), Value(0)) + 1,
        ),
        default=None,
        output_field=IntegerField(),
    )


def tasks_owned(*, owner: User) -> QuerySet[Task]:
    """The caller's tasks, to find one by its id: no `position`, whose subquery costs more
    to compile than the rest of the read (the kind's own hook gives one task's, if any)."""
    return Task.objects.filter(owner=owner)


def task_list(*, owner: User) -> QuerySet[Task]:
    """The caller's tasks, newest first, each with its lane `position` (one query a page)."""
    return tasks_owned(owner=owner).annotate(position=lane_position_expression())


def task_get(*, owner: User, task_id: str) -> Task:
    """The caller's task; another user's task is a 404, the same as a missing one."""
    return get_object_or_404(Task, id=task_id, owner=owner)


def task_lane_queue(*, owner: User, lane: str) -> QuerySet[Task]:
    """The caller's unfinished tasks of a lane in lane order, each with its `position`.

    Positions count every user's tasks ahead, so they say when the caller's turn comes.
    """
    return (
        lane_tasks(lane=lane)
        .filter(owner=owner)
        .annotate(position=lane_position_expression())
        .order_by("number")
    )
