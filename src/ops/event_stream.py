"""`GET /api/ops/events/`: the /ops/ dashboard's state as Server-Sent Events, for staff.

A task's own stream answers its owner only, and the dashboard watches every user's tasks,
new ones included: this one sends ops.selectors.dashboard_summary now and at each change
of it (read every OPS_EVENTS_POLL_SECONDS, core.sse), and runs until the client goes away.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core.async_auth import staff_or_error
from core.sse import sse_changes, sse_response
from ops.selectors import dashboard_summary

logger = logging.getLogger(__name__)


@require_safe
async def ops_events(request: HttpRequest) -> HttpResponseBase:
    user = await staff_or_error(request)
    if isinstance(user, JsonResponse):
        return user
    summary = sync_to_async(dashboard_summary)

    def closed(last: dict[str, Any]) -> None:
        logger.info("ops event stream closed", extra={"user_id": user.pk})

    return sse_response(
        sse_changes(
            summary, first=await summary(), poll_seconds=settings.OPS_EVENTS_POLL_SECONDS, on_close=closed
        )
    )
