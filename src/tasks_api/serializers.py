from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from tasks_api import registry
from tasks_api.models import Task, TaskStatus


class AttemptSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True, help_text="Null while this delivery runs.")
    error = serializers.CharField(allow_blank=True, help_text="Why this delivery ended without success.")


class TaskSerializer(serializers.ModelSerializer):
    params = serializers.JSONField(help_text="The parameters the task was submitted with.")
    result = serializers.JSONField(allow_null=True, help_text="The outcome, once succeeded.")
    position = serializers.SerializerMethodField(
        help_text="Place in the kind's queue (1 = next or running); null when not in a queue."
    )
    attempts = serializers.SerializerMethodField(
        help_text="Each delivery to a worker: {started_at, finished_at, error}, oldest first."
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "result",
            "error",
            "progress",
            "progress_message",
            "position",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
        ]
        read_only_fields = fields

    @extend_schema_field(AttemptSerializer(many=True))
    def get_attempts(self, task: Task) -> list[dict[str, Any]]:
        """Each delivery oldest first, the one running now last (still without finished_at)."""
        attempts = [
            {"started_at": entry["started_at"], "finished_at": entry["finished_at"], "error": entry["error"]}
            for entry in task.attempts
        ]
        if task.status == TaskStatus.RUNNING and task.claim_token is not None:
            attempts.append({"started_at": task.claimed_at, "finished_at": None, "error": ""})
        return AttemptSerializer(attempts, many=True).data  # type: ignore[return-value]  # a list: many=True

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_position(self, task: Task) -> int | None:
        if hasattr(task, "position"):  # annotated by the list's query (selectors.task_list)
            return task.position
        hook = registry.get(task.kind).position if not task.is_finished else None
        return hook(task) if hook else None


class TaskCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="One of the kinds listed in the endpoint's description.")
    params = serializers.JSONField(required=False, default=dict)

    def validate_kind(self, value: str) -> str:
        names = [kind.name for kind in registry.public_kinds()]
        if value not in names:
            raise serializers.ValidationError(
                f"Unknown task kind {value!r}. Choose one of: {', '.join(names)}."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        params = attrs.get("params")
        if not isinstance(params, dict):
            raise serializers.ValidationError({"params": ["Expected an object."]})
        serializer = registry.get(attrs["kind"]).params_serializer(data=params)
        if not serializer.is_valid():
            raise serializers.ValidationError({"params": serializer.errors})
        attrs["params"] = serializer.validated_data
        return attrs


def task_submit_schema() -> PolymorphicProxySerializer:
    """The request body of POST /api/tasks/ for OpenAPI: one shape per public kind.

    Validation itself is TaskCreateSerializer's; this only tells clients which params
    each kind takes, as a oneOf keyed by `kind`.
    """
    shapes = {
        kind.name: type(
            f"{kind.name.title().replace('_', '')}TaskSubmitSerializer",
            (serializers.Serializer,),
            {
                "kind": serializers.ChoiceField(choices=[kind.name], help_text=kind.description),
                "params": kind.params_serializer(),
            },
        )
        for kind in registry.public_kinds()
    }
    return PolymorphicProxySerializer(
        component_name="TaskSubmit", serializers=shapes, resource_type_field_name="kind"
    )
