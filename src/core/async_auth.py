"""Authentication for async Django views, which DRF does not serve: JWT first, then the session.

The answers follow the API's shape (`{"detail": ...}`, 401 with WWW-Authenticate).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from core.models import User


def unauthorized(detail: Any) -> JsonResponse:
    # A bad token's detail is already a dict ({"detail", "code", "messages"}), as DRF sends it.
    response = JsonResponse(detail if isinstance(detail, dict) else {"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


async def authenticate(request: HttpRequest) -> User | None:
    """The user of a valid Bearer token, else of the session; AuthenticationFailed on a bad token."""
    authenticated: tuple[Any, Any] | None = await sync_to_async(JWTAuthentication().authenticate)(request)
    if authenticated is not None:
        return authenticated[0]
    user = await request.auser()
    return user if user.is_authenticated else None


async def user_or_401(request: HttpRequest) -> User | JsonResponse:
    """The caller, or the 401 answer for a missing or bad token (the first thing a view does)."""
    try:
        user = await authenticate(request)
    except AuthenticationFailed as exc:
        return unauthorized(exc.detail)
    return user if user is not None else unauthorized("Authentication credentials were not provided.")


async def staff_or_error(request: HttpRequest) -> User | JsonResponse:
    """The caller if staff, else the 401 (not authenticated) or 403 answer, as IsAdminUser gives."""
    user = await user_or_401(request)
    if isinstance(user, JsonResponse) or user.is_staff:
        return user
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
