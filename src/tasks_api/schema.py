"""OpenAPI for the task event stream, an async Django view that drf-spectacular cannot see."""

from __future__ import annotations

from typing import Any

from core.schema import ERROR

EVENTS_PATH = "/api/tasks/{id}/events/"


def document_event_stream(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook that adds `GET /api/tasks/{id}/events/`."""
    # The error component is added by core.schema.document_error_responses, which runs after.
    detail = {"$ref": f"#/components/schemas/{ERROR}"}
    result["paths"][EVENTS_PATH] = {
        "get": {
            "operationId": "tasks_events_retrieve",
            "summary": "Follow a task as Server-Sent Events",
            "description": (
                "A `text/event-stream` (an async view): one `data: <task JSON>` event now and one "
                "at each change of status or progress (`progress_message` included), closed after "
                "the finished state."
            ),
            "tags": ["tasks"],
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
            ],
            "security": [{"jwtAuth": []}, {"cookieAuth": []}],
            "responses": {
                "200": {
                    "description": "Events whose `data` is the task, as `GET /api/tasks/{id}/` answers it.",
                    "content": {
                        "text/event-stream": {
                            "schema": {"type": "string"},
                            "example": 'data: {"id": "3f2b6c1e-8a4d-4e7b-9c1a-2d5e6f708192", '
                            '"kind": "sleep", "status": "running", "progress": 40, '
                            '"progress_message": "slept 1 of 2 s"}\n\n',
                        }
                    },
                },
                "401": {
                    "description": "No or bad credentials.",
                    "content": {"application/json": {"schema": detail}},
                },
                "404": {
                    "description": "No such task for this user.",
                    "content": {"application/json": {"schema": detail}},
                },
            },
        }
    }
    return result
