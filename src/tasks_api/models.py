"""The Task row: every background job writes its status and outcome back here."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class TaskStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED)
PROGRESS_MESSAGE_MAX_CHARS = 200


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0 to 100.")
    progress_message = models.CharField(
        max_length=PROGRESS_MESSAGE_MAX_CHARS,
        blank=True,
        help_text='What the run is doing, in a few words ("hashed 312 of 1024 MiB"); empty once succeeded.',
    )
    deliveries = models.PositiveIntegerField(default=0, help_text="How many times a worker claimed it.")
    attempts = models.JSONField(
        default=list,
        blank=True,
        help_text="Each delivery's {started_at, finished_at, error}, oldest first (the last few kept).",
    )
    traceback = models.TextField(blank=True, help_text="The traceback of the last failed attempt, bounded.")
    idempotency_key = models.CharField(max_length=255, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker confirmed the task's message; empty until then."
    )
    enqueued_at = models.DateTimeField(
        default=timezone.now, help_text="When it last needed a message: created, re-queued or put back."
    )
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current delivery claimed it."
    )
    # The claim of the delivery that runs it now: a token telling this run from a later one,
    # and a lease its worker's heartbeat renews. A lease that ran out means the worker died.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    worker = models.CharField(max_length=255, blank=True, help_text="host:pid of the worker running it.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Only for kinds with a lane (`sequential`): the task's place in the lane's whole history.
    number = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        # The id breaks ties between equal timestamps, so pages never repeat or skip a row.
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="task_owner_created_idx"),
            models.Index(fields=["kind", "status"], name="task_kind_status_idx"),
            models.Index(fields=["status", "finished_at"], name="task_status_finished_idx"),
            # The relay's question, every second: which unfinished tasks have no message yet.
            models.Index(
                fields=["enqueued_at"],
                condition=models.Q(dispatched_at__isnull=True, status__in=["queued", "running"]),
                name="task_undispatched_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="task_unique_idempotency_key_per_owner",
            ),
            models.UniqueConstraint(
                fields=["kind", "number"],
                condition=models.Q(number__isnull=False),
                name="task_unique_number_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class Lane(models.Model):
    """A queue whose tasks run strictly one at a time, in the order of their `number`.

    The row numbers the lane's tasks and holds its lease: the task that runs owns it until
    `lease_until`, renewing it as it goes. A worker that dies stops renewing, the lease runs
    out, and the task is claimed again; a conditional UPDATE claims it, which PostgreSQL and
    SQLite both do atomically.
    """

    name = models.CharField(max_length=50, primary_key=True)
    last_number = models.PositiveBigIntegerField(default=0)
    holder = models.UUIDField(null=True, blank=True, help_text="The task that holds the lease.")
    lease_token = models.UUIDField(null=True, blank=True, help_text="Which run of the task holds it.")
    lease_until = models.DateTimeField(null=True, blank=True)
    holder_label = models.CharField(max_length=255, blank=True, help_text="host:pid of the holding worker.")
    kicked_at = models.DateTimeField(null=True, blank=True, help_text="When a message last woke the head.")

    def __str__(self) -> str:
        return f"lane {self.name}"


class TaskEmail(models.Model):
    """The one email a task sends, so a redelivered message does not mail twice.

    Creating the row claims the sending; `sent_at` says the mail server accepted it.
    """

    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="email")
    to = models.EmailField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"email for {self.task_id} to {self.to}"


class Worker(models.Model):
    """A live worker process, as its heartbeat last wrote it (see tasks_api.heartbeat)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(db_index=True)
    running = models.JSONField(default=list, blank=True, help_text="Ids of the tasks it runs now.")

    class Meta:
        ordering = ["hostname", "pid"]

    def __str__(self) -> str:
        return f"worker {self.hostname}:{self.pid}"
