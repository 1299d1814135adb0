"""The one domain error and the DRF exception handler that turns errors into 4xx answers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the domain was broken; the message is meant for the client.

    `status_code` picks the HTTP answer (400 unless a service says otherwise, such as 409
    for "this task is already running").
    """

    def __init__(
        self, message: str, *, status_code: int = status.HTTP_400_BAD_REQUEST, extra: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.extra = extra or {}


def _request_data_error(exc: Exception) -> Response | None:
    """Django's own request-data limits (raised while DRF reads or parses a body) as JSON.

    Left to Django they would be an HTML "Bad Request" page without a word on what was wrong.
    """
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body (files aside) is larger than the limit of {limit:,} bytes."
        return Response({"detail": message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        message = f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields."
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFilesSent):
        message = f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files."
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    if (answer := _request_data_error(exc)) is not None:
        return answer
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return exception_handler(exc, context)
