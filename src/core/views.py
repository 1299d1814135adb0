"""Auth endpoints and health probes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core import health, services
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

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredUserSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        responses={200: TokenPairSerializer, 401: OpenApiResponse(description="Wrong email or password.")}
    )
)
class TokenView(AuthThrottleMixin, TokenObtainPairView):
    """Exchange email and password for an access and a refresh token."""


@extend_schema_view(
    post=extend_schema(
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="The refresh token is invalid, expired or used already."),
        }
    )
)
class TokenRefresh(AuthThrottleMixin, TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""


class MeView(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The database, the broker and the cache are reachable: each "ok" or "down"."""
    states = health.run_checks()
    return JsonResponse(states, status=200 if all(s == "ok" for s in states.values()) else 503)


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
