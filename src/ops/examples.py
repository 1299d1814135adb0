"""OpenAPI examples for the staff-only ops endpoints (one item each: the lists wrap them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

WORKERS = [
    OpenApiExample(
        "One worker running one task",
        value={
            "id": "6d1f0c2a-3b4e-4f5a-8b9c-0d1e2f3a4b5c",
            "hostname": "worker-1",
            "pid": 4242,
            "queues": ["images", "md5", "sleep"],
            "started_at": "2026-12-02T09:00:00Z",
            "heartbeat_at": "2026-12-02T09:30:01Z",
            "running": ["3f2b6c1e-8a4d-4e7b-9c1a-2d5e6f708192"],
        },
        response_only=True,
    )
]
QUEUES = [
    OpenApiExample(
        "Queues",
        value={"name": "sleep", "messages": 12, "consumers": 2, "delayed": 0, "dead": 0},
        response_only=True,
    )
]
SCHEDULES = [
    OpenApiExample(
        "The code-check sweep",
        value={
            "name": "codecheck_sweep",
            "cron": "* * * * *",
            "last_run_at": "2026-12-02T09:30:00Z",
            "next_run_at": "2026-12-02T09:31:00Z",
            "last_outcome": "succeeded",
        },
        response_only=True,
    )
]
RETRY_FAILED = [
    OpenApiExample("Retry every failed md5 task", value={"kind": "md5"}, request_only=True),
    OpenApiExample(
        "Queued again", value={"kind": "md5", "retried": 3}, response_only=True, status_codes=[202]
    ),
]
