from __future__ import annotations

from rest_framework import serializers

from tasks_api.models import Worker


class WorkerSerializer(serializers.ModelSerializer):
    queues = serializers.ListField(child=serializers.CharField(), help_text="The queues it consumes.")
    running = serializers.ListField(child=serializers.UUIDField(), help_text="Ids of the tasks it runs now.")

    class Meta:
        model = Worker
        fields = ["id", "hostname", "pid", "queues", "started_at", "heartbeat_at", "running"]
        read_only_fields = fields


class QueueSerializer(serializers.Serializer):
    name = serializers.CharField()
    messages = serializers.IntegerField(help_text="Messages ready to be delivered now.")
    consumers = serializers.IntegerField(help_text="Consumers attached to the queue.")
    delayed = serializers.IntegerField(help_text="Messages waiting for their time (retries with backoff).")
    dead = serializers.IntegerField(help_text="Dead-lettered messages (out of retries).")


class ScheduleSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The periodic actor's name.")
    cron = serializers.CharField()
    last_run_at = serializers.DateTimeField(allow_null=True, help_text="When its last run started.")
    next_run_at = serializers.DateTimeField()
    last_outcome = serializers.CharField(
        allow_blank=True, help_text="running, succeeded, failed or skipped; empty before its first run."
    )


class RetryFailedSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="Retry every failed task of this kind.")


class RetryFailedResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    retried = serializers.IntegerField(help_text="How many failed tasks went back to the queue.")
