"""OpenAPI for the dashboard's event stream, an async Django view that drf-spectacular cannot see."""

from __future__ import annotations

import json
from typing import Any

EVENTS_PATH = "/api/ops/events/"

SUMMARY_EXAMPLE = {
    "activity": {"sleep": {"queued": 2, "running": 1, "succeeded": 40, "failed": 1, "cancelled": 0}},
    "running": [{"id": "3f2b6c1e-8a4d-4e7b-9c1a-2d5e6f708192", "progress": 40}],
    "failed": 3,
    "newest_failure": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "workers": ["6d1f0c2a-3b4e-4f5a-8b9c-0d1e2f3a4b5c"],
    "schedules": {"codecheck_sweep": {"last_run_at": "2026-12-02T09:30:00Z", "last_outcome": "succeeded"}},
}


def document_ops_event_stream(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook that adds `GET /api/ops/events/`.

    Its 401 and the error bodies are added by core.schema.document_error_responses, which runs after.
    """
    result["paths"][EVENTS_PATH] = {
        "get": {
            "operationId": "ops_events_retrieve",
            "summary": "Follow the dashboard as Server-Sent Events",
            "description": (
                "A `text/event-stream` for staff (an async view): one `data: <summary JSON>` event "
                "now and one at each change of what `/ops/` shows: per kind the tasks queued and "
                "running now and finished in the last hour by status, the running tasks' ids and "
                "progress, the count of failed tasks and the newest one's id, the live workers' "
                "ids, and each periodic job's last run. Ids, counts and times only: it is a cue to "
                "fetch the dashboard again. A `: keep-alive` comment goes out after 15 quiet "
                "seconds; the stream stays open until the client leaves."
            ),
            "tags": ["ops"],
            "security": [{"jwtAuth": []}, {"cookieAuth": []}],
            "responses": {
                "200": {
                    "description": "Events whose `data` is the dashboard's summary.",
                    "content": {
                        "text/event-stream": {
                            "schema": {"type": "string"},
                            "example": f"data: {json.dumps(SUMMARY_EXAMPLE)}\n\n",
                        }
                    },
                },
                "403": {"description": "The caller is not staff."},
            },
        }
    }
    return result
