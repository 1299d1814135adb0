"""Auth endpoints and health probes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core import examples, health, services
from core.schema import error_response
from core.serializers import (
    RegisteredUserSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from core.throttling import AuthRateThrottle


class AuthThrottleMixin:
    throttle_classes = [AuthRateThrottle]


class RegisterView(AuthThrottleMixin, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Create an account",
        description=(
            "Open to anyone (throttled per client address). The email is the login; the password "
            "must pass the password rules (length, not common, not all digits, not like the email). "
            "Then log in at `/api/auth/token/`."
        ),
        request=RegisterSerializer,
        responses={
            201: RegisteredUserSerializer,
            400: error_response("The email is taken or the password too weak.", fields=True),
        },
        examples=examples.REGISTER,
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        summary="Log in: trade email and password for tokens",
        description=(
            "Send the access token as `Authorization: Bearer <access>` on every other call; it "
            "expires after `JWT_ACCESS_MINUTES` (15 by default). Before then, trade the refresh "
            "token at `/api/auth/token/refresh/` for a new pair."
        ),
        responses={200: TokenPairSerializer, 401: error_response("Wrong email or password.")},
        examples=examples.TOKEN,
    )
)
class TokenView(AuthThrottleMixin, TokenObtainPairView):
    """Exchange email and password for an access and a refresh token."""


@extend_schema_view(
    post=extend_schema(
        summary="Trade a refresh token for a new pair",
        description=(
            "Refresh tokens rotate: the one sent is blacklisted and a new one comes back with the "
            "access token. A refresh token that is used already, expired, or issued before the "
            "account's last password change is refused with 401."
        ),
        examples=examples.TOKEN_REFRESH,
        responses={
            200: TokenPairSerializer,
            401: error_response("The refresh token is invalid, expired or used already."),
        },
    )
)
class TokenRefresh(AuthThrottleMixin, TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""


class MeView(APIView):
    @extend_schema(
        summary="The caller's account",
        description="Who the token (or the session) belongs to.",
        responses=UserSerializer,
        examples=examples.ME,
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


# What the API root lists: each resource's collection and the docs, by URL name.
API_ROOT = {
    "register": "auth:register",
    "token": "auth:token",
    "token-refresh": "auth:token-refresh",
    "me": "auth:me",
    "tasks": "task-list",
    "task-queue": "task-queue",
    "images": "images:image-list",
    "codecheck-files": "codefile-list",
    "codecheck-checks": "codecheck-list",
    "schema": "schema",
    "docs": "swagger-ui",
    "redoc": "redoc",
}


@extend_schema(exclude=True)  # a map of links for people and crawlers, as DRF's router root
class ApiRootView(APIView):
    """The API's entry point: where each resource and the API docs are."""

    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        return Response({key: reverse(name, request=request) for key, name in API_ROOT.items()})


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The database, the broker and the cache are reachable."""
    checks = health.run_checks()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A URL nothing answers to: JSON under /api/, as every other API error; the HTML page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unexpected error: JSON under /api/, the HTML page elsewhere (the log has the traceback)."""
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request)
