"""`GET /api/tasks/{id}/events/`: the task as Server-Sent Events, now and at every change.

An async view, so an open stream holds no server thread: it reads the row every
TASK_EVENTS_POLL_SECONDS and sends `data: <task JSON>` when anything a client sees has
changed (status, progress, position, result), then closes after the finished state. A
client that goes away cancels the generator under ASGI; its `finally` is where the stream
ends either way. A comment line now and then keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core.async_auth import user_or_401
from core.models import User
from tasks_api.models import FINISHED_STATUSES, Task
from tasks_api.serializers import TaskSerializer

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0


def _snapshot(*, owner: User, task_id: UUID) -> dict[str, Any] | None:
    task = Task.objects.filter(id=task_id, owner=owner).first()
    return None if task is None else dict(TaskSerializer(task).data)


def _event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data, cls=DjangoJSONEncoder)}\n\n".encode()


async def _events(*, owner: User, task_id: UUID, first: dict[str, Any]) -> AsyncIterator[bytes]:
    snapshot = sync_to_async(_snapshot)
    last = first
    quiet = 0.0
    try:
        yield _event(first)
        while last["status"] not in FINISHED_STATUSES:
            await asyncio.sleep(settings.TASK_EVENTS_POLL_SECONDS)
            current = await snapshot(owner=owner, task_id=task_id)
            if current is None:
                return  # deleted (its owner's account went): nothing more will happen
            if current != last:
                yield _event(current)
                last, quiet = current, 0.0
            else:
                quiet += settings.TASK_EVENTS_POLL_SECONDS
                if quiet >= KEEPALIVE_SECONDS:
                    yield b": keep-alive\n\n"
                    quiet = 0.0
    finally:
        logger.info("task event stream closed", extra={"task_id": str(task_id), "status": last["status"]})


@require_safe
async def task_events(request: HttpRequest, pk: UUID) -> HttpResponseBase:
    user = await user_or_401(request)
    if isinstance(user, JsonResponse):
        return user
    first = await sync_to_async(_snapshot)(owner=user, task_id=pk)
    if first is None:
        return JsonResponse({"detail": "No task with this id."}, status=404)
    response = StreamingHttpResponse(
        _events(owner=user, task_id=pk, first=first), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx would hold the events back otherwise
    return response
