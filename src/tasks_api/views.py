from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import ApplicationError
from tasks_api import registry, selectors, services
from tasks_api.filters import TaskFilter
from tasks_api.models import Task
from tasks_api.sequential import KIND as SEQUENTIAL
from tasks_api.serializers import (
    LaneEntrySerializer,
    TaskCreateSerializer,
    TaskSerializer,
    task_submit_schema,
)


def _kinds_description() -> str:
    lines = [f"- `{kind.name}`: {kind.description}" for kind in registry.public_kinds()]
    return (
        "Submit a background job. It answers 202 at once; follow the task by its id.\n\nKinds:\n"
        + "\n".join(lines)
    )


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    queryset = Task.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return selectors.task_list(owner=self.request.user)

    @extend_schema(
        request=task_submit_schema(),
        responses={202: TaskSerializer, 200: TaskSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Send the same key again to get the first task back (200) instead of a new one.",
            )
        ],
        description=_kinds_description(),
    )
    def create(self, request: Request) -> Response:
        serializer = TaskCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 255:
            return Response({"detail": "Idempotency-Key is longer than 255 characters."}, status=400)
        task, created = services.task_create(
            owner=request.user, idempotency_key=key, **serializer.validated_data
        )
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
            headers={"Location": f"/api/tasks/{task.id}/"},
        )

    @extend_schema(
        request=None,
        responses={
            200: TaskSerializer,
            409: OpenApiResponse(
                description="The task is running or finished: only a queued one can be cancelled."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        if not registry.get(task.kind).public:
            # Clients submit only public kinds, and cancel only them: an internal task (an
            # image's processing) belongs to its object, whose own delete cancels it.
            raise ApplicationError(
                f"The {task.kind} task is started by the service itself and cannot be cancelled.",
                status_code=status.HTTP_409_CONFLICT,
            )
        task = services.task_cancel(task=task)
        return Response(TaskSerializer(task).data)

    @extend_schema(
        request=None,
        responses={
            202: TaskSerializer,
            409: OpenApiResponse(description="The task is not failed or cancelled: nothing to retry."),
        },
        description=(
            "Queue a failed or cancelled task again, from the start: same id, its earlier attempts kept."
        ),
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        if not registry.get(task.kind).public:
            # As with cancel: an internal task belongs to its object, which runs it again itself.
            raise ApplicationError(
                f"The {task.kind} task is started by the service itself and cannot be retried.",
                status_code=status.HTTP_409_CONFLICT,
            )
        task = services.task_requeue(task=task)
        return Response(TaskSerializer(task).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: LaneEntrySerializer(many=True)},
        description=(
            "Your unfinished `sequential` tasks in lane order. `position` counts every user's "
            "tasks (1 = running or next); `number` is the task's place in the lane's history."
        ),
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def queue(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.task_lane_queue(owner=request.user, lane=SEQUENTIAL))
        return self.get_paginated_response(LaneEntrySerializer(page, many=True).data)
