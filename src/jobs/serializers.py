"""Serializers of the built-in kinds beyond their params: the lane as `GET /api/tasks/queue/` lists it."""

from __future__ import annotations

from rest_framework import serializers

from jobs.params import SecondsField
from tasks_api.models import Task


class LaneEntrySerializer(serializers.ModelSerializer):
    """One unfinished task of the sequential lane, as `GET /api/tasks/queue/` lists it."""

    number = serializers.IntegerField(help_text="The task's place in the lane's whole history.")
    position = serializers.IntegerField(help_text="1 = running or next, counted over every user's tasks.")
    num = serializers.IntegerField(source="params.num")
    timeout = SecondsField(source="params.timeout", help_text="Seconds it waits.")

    class Meta:
        model = Task
        fields = ["id", "number", "position", "status", "num", "timeout", "created_at", "started_at"]
        read_only_fields = fields
