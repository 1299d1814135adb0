"""`GET /api/tasks/{id}/events/`: the task as Server-Sent Events, now and at every change.

The row is read every TASK_EVENTS_POLL_SECONDS (core.sse); an event goes out when anything a
client sees has changed (status, progress, position, result), and the stream closes after
the finished state, or when the task is deleted (its owner's account went).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core.async_auth import user_or_401
from core.models import User
from core.sse import sse_changes, sse_response
from tasks_api.models import FINISHED_STATUSES, Task
from tasks_api.serializers import TaskSerializer

logger = logging.getLogger(__name__)


def _snapshot(*, owner: User, task_id: UUID) -> dict[str, Any] | None:
    task = Task.objects.filter(id=task_id, owner=owner).first()
    return None if task is None else dict(TaskSerializer(task).data)


@require_safe
async def task_events(request: HttpRequest, pk: UUID) -> HttpResponseBase:
    user = await user_or_401(request)
    if isinstance(user, JsonResponse):
        return user
    snapshot = sync_to_async(_snapshot)
    first = await snapshot(owner=user, task_id=pk)
    if first is None:
        return JsonResponse({"detail": "No task with this id."}, status=404)

    def closed(last: dict[str, Any]) -> None:
        logger.info("task event stream closed", extra={"task_id": str(pk), "status": last["status"]})

    return sse_response(
        sse_changes(
            lambda: snapshot(owner=user, task_id=pk),
            first=first,
            poll_seconds=settings.TASK_EVENTS_POLL_SECONDS,
            on_close=closed,
            last_event=lambda task: task["status"] in FINISHED_STATUSES,
        )
    )
