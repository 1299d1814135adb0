"""OpenAPI examples for the task endpoints: what a client sends and gets back."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

TASK_ID = "3f2b6c1e-8a4d-4e7b-9c1a-2d5e6f708192"
CREATED = "2026-12-02T09:30:00.120000Z"
STARTED = "2026-12-02T09:30:00.480000Z"
FINISHED = "2026-12-02T09:30:02.490000Z"

QUEUED: dict[str, Any] = {
    "id": TASK_ID,
    "kind": "sleep",
    "status": "queued",
    "params": {"seconds": 2},
    "result": None,
    "error": "",
    "progress": 0,
    "progress_message": "",
    "position": None,
    "created_at": CREATED,
    "started_at": None,
    "finished_at": None,
    "attempts": [],
}
RUNNING = {
    **QUEUED,
    "status": "running",
    "progress": 40,
    "progress_message": "slept 1 of 2 s",
    "started_at": STARTED,
    "attempts": [{"started_at": STARTED, "finished_at": None, "error": ""}],
}
SUCCEEDED = {
    **RUNNING,
    "status": "succeeded",
    "result": {"slept": 2},
    "progress": 100,
    "progress_message": "",
    "finished_at": FINISHED,
    "attempts": [{"started_at": STARTED, "finished_at": FINISHED, "error": ""}],
}
FAILED = {
    **QUEUED,
    "id": "9a0c5d2e-1b3f-4c6d-8e7f-0a1b2c3d4e5f",
    "kind": "md5",
    "params": {"url": "https://example.com/missing.iso"},
    "status": "failed",
    "error": "HTTP 404 Not Found from https://example.com/missing.iso",
    "started_at": STARTED,
    "finished_at": FINISHED,
    "attempts": [
        {
            "started_at": STARTED,
            "finished_at": FINISHED,
            "error": "HTTP 404 Not Found from https://example.com/missing.iso",
        }
    ],
}
CANCELLED = {**QUEUED, "status": "cancelled", "finished_at": STARTED}

SUBMIT = [
    OpenApiExample("Sleep", value={"kind": "sleep", "params": {"seconds": 2}}, request_only=True),
    OpenApiExample(
        "MD5 of a URL, mailed",
        value={"kind": "md5", "params": {"url": "https://example.com/big.iso", "email": "ada@example.com"}},
        request_only=True,
    ),
    OpenApiExample(
        "Sequential", value={"kind": "sequential", "params": {"num": 7, "timeout": 5}}, request_only=True
    ),
    OpenApiExample(
        "Accepted",
        value=QUEUED,
        response_only=True,
        status_codes=[202],
        description="Follow it at the `Location` header: `/api/tasks/{id}/`.",
    ),
    OpenApiExample(
        "Same Idempotency-Key again",
        value=RUNNING,
        response_only=True,
        status_codes=[200],
        description="The first task with this key, as it is now; no second task was made.",
    ),
    OpenApiExample(
        "Unknown kind",
        value={"kind": ["Unknown task kind 'nap'. Choose one of: sleep, md5, sequential."]},
        response_only=True,
        status_codes=[400],
    ),
    OpenApiExample(
        "Bad params",
        value={"params": {"seconds": ["Ensure this value is less than or equal to 3600."]}},
        response_only=True,
        status_codes=[400],
    ),
]

TASKS = [OpenApiExample("A task", value=SUCCEEDED, response_only=True)]

TASK = [
    OpenApiExample("Running", value=RUNNING, response_only=True),
    OpenApiExample("Succeeded", value=SUCCEEDED, response_only=True),
    OpenApiExample("Failed", value=FAILED, response_only=True),
]

CANCEL = [
    OpenApiExample("Cancelled", value=CANCELLED, response_only=True),
    OpenApiExample(
        "Too late",
        value={"detail": "The task is succeeded and can no longer be cancelled."},
        response_only=True,
        status_codes=[409],
    ),
]

RETRY = [
    OpenApiExample(
        "Queued again",
        value={**FAILED, **{k: QUEUED[k] for k in ("status", "error", "started_at", "finished_at")}},
        response_only=True,
        status_codes=[202],
    ),
    OpenApiExample(
        "Not failed or cancelled",
        value={"detail": "The task is running; only failed or cancelled tasks can be re-queued."},
        response_only=True,
        status_codes=[409],
    ),
]
