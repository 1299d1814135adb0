from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_actions import apply_to_each
from tasks_api import services
from tasks_api.models import FINISHED_STATUSES, Lane, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "owner", "progress", "created_at", "started_at", "finished_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["id", "owner__email", "kind", "error"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "owner",
        "kind",
        "status",
        "params",
        "result",
        "error",
        "progress",
        "progress_message",
        "deliveries",
        "attempts",
        "traceback",
        "worker",
        "claimed_at",
        "lease_until",
        "idempotency_key",
        "enqueued_at",
        "dispatched_at",
        "created_at",
        "started_at",
        "finished_at",
    ]
    actions = ["requeue", "cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tasks are submitted through the API, which validates their params

    def has_delete_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        # Only finished tasks: deleting an unfinished one would strand what waits on it (an
        # image stays `processing`). Django asks this for every selected or cascaded task,
        # so a user with unfinished tasks cannot be deleted either until they finish.
        return obj is None or obj.status in FINISHED_STATUSES

    @admin.action(description="Re-queue the selected failed or cancelled tasks")
    def requeue(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            service=lambda task: services.task_requeue(task=task),
            label=lambda task: str(task.id),
            done="Re-queued {count} task(s).",
        )

    @admin.action(description="Cancel the selected queued or running tasks")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            service=lambda task: services.task_cancel(task=task),
            label=lambda task: str(task.id),
            done="Cancelled {count} task(s); running ones stop within seconds.",
        )


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    """Who holds each lane and until when: the first place to look when a lane seems stuck."""

    list_display = ["name", "last_number", "holder", "holder_label", "lease_until", "kicked_at"]
    readonly_fields = [*list_display, "lease_token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a lane's row is made by its first task

    def has_change_permission(self, request: HttpRequest, obj: Lane | None = None) -> bool:
        return False
