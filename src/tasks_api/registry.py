"""The registry of task kinds.

Each domain app registers its kinds in its AppConfig.ready(): a name, the actor that runs
it, the serializer that validates its params, and whether clients may submit it through
`POST /api/tasks/`. The kind that runs in a lane also registers the queue that
`GET /api/tasks/queue/` lists. The task views and services know kinds only through this
registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

if TYPE_CHECKING:
    from tasks_api.models import Task


@dataclass(frozen=True)
class TaskKind:
    name: str
    actor_name: str
    params_serializer: type[serializers.Serializer]
    description: str
    public: bool = True
    # Optional: called whenever a task enters its kind's queue (created, or re-queued by an
    # admin), inside that transaction; the lane gives the task its place here.
    on_queue: Callable[[Task], None] | None = None
    # Optional: called when a queued task is cancelled, inside that transaction.
    on_cancel: Callable[[Task], None] | None = None
    # Optional: the task's place in its kind's queue (1 = next or running).
    position: Callable[[Task], int | None] | None = None


@dataclass(frozen=True)
class Queue:
    """What `GET /api/tasks/queue/` lists: the caller's unfinished tasks of a lane's kind, in order."""

    kind: str
    serializer: type[serializers.Serializer]
    examples: list[OpenApiExample]


_KINDS: dict[str, TaskKind] = {}
# GET /api/tasks/queue/ lists one lane: the dict holds one queue at most.
_QUEUES: dict[str, Queue] = {}


def register(kind: TaskKind) -> TaskKind:
    if kind.name in _KINDS and _KINDS[kind.name] != kind:
        raise ValueError(f"task kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> TaskKind:
    return _KINDS[name]


def all_kinds() -> list[TaskKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)


def public_kinds() -> list[TaskKind]:
    return [kind for kind in all_kinds() if kind.public]


def actor_names() -> set[str]:
    """The actors that run a task row (their first argument is the task id)."""
    return {kind.actor_name for kind in _KINDS.values()}


def register_queue(queue: Queue) -> Queue:
    """Make `queue` the one that `GET /api/tasks/queue/` lists; its kind is registered first."""
    if queue.kind not in _KINDS:
        raise ValueError(f"task kind {queue.kind!r} is not registered")
    if any(other != queue for other in _QUEUES.values()):
        raise ValueError("GET /api/tasks/queue/ lists one queue, and one is registered already")
    _QUEUES[queue.kind] = queue
    return queue


def queue() -> Queue:
    """The queue `GET /api/tasks/queue/` lists."""
    if not _QUEUES:
        raise LookupError("no task kind registered a queue for GET /api/tasks/queue/")
    return next(iter(_QUEUES.values()))
