from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import ApplicationError
from core.schema import error_response
from tasks_api import examples, registry, selectors, services
from tasks_api.filters import TaskFilter
from tasks_api.models import Task
from tasks_api.serializers import TaskCreateSerializer, TaskSerializer, task_submit_schema


def _kinds_description() -> str:
    lines = [f"- `{kind.name}`: {kind.description}" for kind in registry.public_kinds()]
    return (
        "Submit a background job. It answers 202 at once; follow the task by its id.\n\nKinds:\n"
        + "\n".join(lines)
    )


# Registered by its app (jobs: the `sequential` lane) before the URLs load, as are the kinds
# the submit description lists.
QUEUE = registry.queue()


@extend_schema_view(
    list=extend_schema(
        summary="List your tasks, newest first",
        description=(
            "Every background job of yours, with the kinds the service starts itself (such as an "
            "image's processing). Filter with `kind` and `status`."
        ),
        examples=examples.TASKS,
    ),
    retrieve=extend_schema(
        summary="A task: its status, progress and result",
        description=(
            "Poll this to follow a task: `status` goes `queued`, `running`, then `succeeded` (with "
            "`result`), `failed` (with a one-line `error`) or `cancelled`; `progress` is 0 to 100, "
            "and `progress_message` says in a few words what the run is doing (`hashed 312 of 1024 "
            "MiB`, `slept 4 of 10 s`; empty before the first report and once succeeded)."
        ),
        examples=examples.TASK,
    ),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    queryset = Task.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        if self.detail:
            return selectors.tasks_owned(owner=self.request.user)
        return selectors.task_list(owner=self.request.user)

    def filter_queryset(self, queryset):
        # `kind` and `status` narrow the list; one task is found by its id alone.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        summary="Submit a task",
        request=task_submit_schema(),
        responses={
            202: TaskSerializer,
            200: TaskSerializer,
            400: error_response("Unknown kind or bad params: see the messages.", fields=True),
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Send the same key again to get the first task back (200) instead of a new one.",
            )
        ],
        description=_kinds_description(),
        examples=examples.SUBMIT,
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
        summary="Cancel a task",
        description=(
            "A queued task is cancelled and never starts; a running one stops within a few seconds "
            "and ends `cancelled`. A finished task, and one the service started itself (cancel its "
            "object instead), answers 409."
        ),
        request=None,
        responses={
            200: TaskSerializer,
            409: error_response("The task can no longer be cancelled."),
        },
        examples=examples.CANCEL,
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
        summary="Run a failed or cancelled task again",
        description=(
            "Queue a failed or cancelled task again, from the start: same id, its earlier attempts kept. "
            "Any other status, and a task the service started itself, answers 409."
        ),
        request=None,
        responses={202: TaskSerializer, 409: error_response("The task is not failed or cancelled.")},
        examples=examples.RETRY,
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
        summary=f"Your tasks in the {QUEUE.kind} lane, in order",
        responses={200: QUEUE.serializer(many=True)},
        examples=QUEUE.examples,
        description=(
            f"Your unfinished `{QUEUE.kind}` tasks in lane order. `position` counts every user's "
            "tasks (1 = running or next); `number` is the task's place in the lane's history."
        ),
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def queue(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.task_lane_queue(owner=request.user, lane=QUEUE.kind))
        return self.get_paginated_response(QUEUE.serializer(page, many=True).data)
