"""Auth endpoints and health probes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core import examples, health, services
from core.accounts import user_delete
from core.parsers import JSONParser
from core.schema import error_response
from core.serializers import (
    AccountDeleteSerializer,
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


class DeleteWithBodySchema(AutoSchema):
    """drf-spectacular documents no body for DELETE; the account deletion takes one (the password)."""

    def _get_request_body(self, direction: str = "request") -> dict | None:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"  # described as the body of an unsafe method, which it is
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


class MeView(APIView):
    schema = DeleteWithBodySchema()
    parser_classes = [JSONParser]

    def get_throttles(self):
        # A deletion checks the password: count it against the log-in budget (guessing).
        if self.request.method == "DELETE":
            return [AuthRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        summary="The caller's account",
        description="Who the token (or the session) belongs to.",
        responses=UserSerializer,
        examples=examples.ME,
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        summary="Delete your account and everything it owns",
        description=(
            "Confirm with the current password. Your code files and their checks go, your images "
            "go with their files (each publishes `image.deleted`), your unfinished tasks are "
            "cancelled, and then the account itself is deleted. Your tokens stop working."
        ),
        request=AccountDeleteSerializer,
        responses={
            204: OpenApiResponse(description="The account and everything it owned are deleted."),
            400: error_response("The password is missing or wrong; nothing was deleted.", fields=True),
        },
        examples=[
            OpenApiExample(
                "Confirm with the password", value={"password": "a-Strong-passw0rd!"}, request_only=True
            ),
            OpenApiExample(
                "Wrong password",
                value={"password": ["The password is not right."]},
                response_only=True,
                status_codes=[400],
            ),
        ],
    )
    def delete(self, request: Request) -> Response:
        serializer = AccountDeleteSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
