import uuid

import django.utils.timezone

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_api", "0004_task_claimed_at"),
    ]

    operations = [
        migrations.RenameField(model_name="task", old_name="attempts", new_name="deliveries"),
        migrations.AlterField(
            model_name="task",
            name="deliveries",
            field=models.PositiveIntegerField(default=0, help_text="How many times a worker claimed it."),
        ),
        migrations.AddField(
            model_name="task",
            name="attempts",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Each delivery's {started_at, finished_at, error}, oldest first (the last few kept).",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="traceback",
            field=models.TextField(blank=True, help_text="The traceback of the last failed attempt, bounded."),
        ),
        migrations.AlterField(
            model_name="task",
            name="claimed_at",
            field=models.DateTimeField(
                blank=True, help_text="When the current delivery claimed it.", null=True
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="enqueued_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When it last needed a message: created, re-queued or put back.",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="claim_token",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="task",
            name="lease_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="task",
            name="worker",
            field=models.CharField(blank=True, help_text="host:pid of the worker running it.", max_length=255),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("dispatched_at__isnull", True), ("status__in", ["queued", "running"])),
                fields=["enqueued_at"],
                name="task_undispatched_idx",
            ),
        ),
        migrations.CreateModel(
            name="Worker",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("hostname", models.CharField(max_length=255)),
                ("pid", models.PositiveIntegerField()),
                ("queues", models.JSONField(blank=True, default=list)),
                ("started_at", models.DateTimeField()),
                ("heartbeat_at", models.DateTimeField(db_index=True)),
                ("running", models.JSONField(blank=True, default=list, help_text="Ids of the tasks it runs now.")),
            ],
            options={"ordering": ["hostname", "pid"]},
        ),
    ]
