"""The staff-only ops API (SPEC §6): anonymous 401 (JWT comes first), other users 403."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ops import examples, selectors, services
from ops.metrics import metrics_text
from ops.queues import queues_stats
from ops.serializers import (
    QueueSerializer,
    RetryFailedResultSerializer,
    RetryFailedSerializer,
    ScheduleSerializer,
    WorkerSerializer,
)


class StaffAPIView(APIView):
    permission_classes = [IsAdminUser]


NOT_STAFF = {403: OpenApiResponse(description="The caller is not staff.")}


class WorkerListView(StaffAPIView):
    @extend_schema(
        summary="Live worker processes",
        responses={200: WorkerSerializer(many=True), **NOT_STAFF},
        description="The live worker processes: a heartbeat within the last 30 seconds.",
        examples=examples.WORKERS,
    )
    def get(self, request: Request) -> Response:
        return Response(WorkerSerializer(selectors.workers_live(), many=True).data)


class QueueListView(StaffAPIView):
    @extend_schema(
        responses={
            200: QueueSerializer(many=True),
            503: OpenApiResponse(description="The broker cannot be reached."),
            **NOT_STAFF,
        },
        summary="Queues and their depth",
        description="Every queue the workers consume, with counts read from the broker; 503 if it is away.",
        examples=examples.QUEUES,
    )
    def get(self, request: Request) -> Response:
        return Response(QueueSerializer(queues_stats(), many=True).data)


class ScheduleListView(StaffAPIView):
    @extend_schema(
        responses={200: ScheduleSerializer(many=True), **NOT_STAFF},
        summary="Periodic jobs",
        description="Every periodic job: its cron, next run, and last run as the workers recorded it.",
        examples=examples.SCHEDULES,
    )
    def get(self, request: Request) -> Response:
        return Response(ScheduleSerializer(selectors.schedules_list(), many=True).data)


class RetryFailedView(StaffAPIView):
    @extend_schema(
        request=RetryFailedSerializer,
        responses={
            202: RetryFailedResultSerializer,
            400: OpenApiResponse(description="Unknown kind."),
            **NOT_STAFF,
        },
        summary="Retry every failed task of a kind",
        description="Queues again, from the start, every failed task of `kind`; answers how many.",
        examples=examples.RETRY_FAILED,
    )
    def post(self, request: Request) -> Response:
        serializer = RetryFailedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind = serializer.validated_data["kind"]
        retried = services.tasks_retry_failed(kind=kind)
        return Response({"kind": kind, "retried": retried}, status=status.HTTP_202_ACCEPTED)


# The text format every Prometheus reads (generate_latest writes it); newer clients label it
# 1.0.0 by default, which Prometheus 2 does not know.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metrics_allowed(request: HttpRequest) -> HttpResponse | None:
    """None when the scrape may go on, else the answer that refuses it."""
    try:
        if ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback:
            return None
    except ValueError:
        pass
    token = settings.METRICS_TOKEN
    if not token:
        return JsonResponse(
            {"detail": "Metrics are open to loopback only here: set METRICS_TOKEN to scrape from elsewhere."},
            status=403,
        )
    if hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        return None
    response = JsonResponse({"detail": "Send Authorization: Bearer <METRICS_TOKEN>."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """`GET /metrics`: Prometheus text, open to loopback, elsewhere with the metrics token."""
    refusal = _metrics_allowed(request)
    if refusal is not None:
        return refusal
    return HttpResponse(metrics_text(), content_type=METRICS_CONTENT_TYPE)
