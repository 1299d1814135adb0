"""OpenAPI examples of the built-in kinds: the lane as `GET /api/tasks/queue/` lists it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from tasks_api.examples import CREATED, TASK_ID

LANE = [
    OpenApiExample(
        "Second in the lane",
        value={
            "id": TASK_ID,
            "number": 118,
            "position": 2,
            "status": "queued",
            "num": 7,
            "timeout": 5,
            "created_at": CREATED,
            "started_at": None,
        },
        response_only=True,
    )
]
