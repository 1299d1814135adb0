"""Answer 503 with Retry-After while the database is away, instead of a 500.

A request that cannot reach PostgreSQL (refused, reset, a connect that timed out) has done
nothing wrong and can be sent again once the database is back: the client is told so, in
JSON under /api/ like every other API error. The liveness probe `/healthz` does not touch
the database, so it stays 200; `/readyz` says "down".
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The database is unavailable; try again shortly."


class DatabaseOutageMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # InterfaceError: a connection the outage already closed, used again.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s %s", request.method, request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": DETAIL}, status=503)
        else:
            response = HttpResponse(DETAIL, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
