"""What the ops views read that no other table holds: the runs of the periodic jobs."""

from __future__ import annotations

from django.db import models


class RunOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (too late to run)"


class PeriodicJob(models.Model):
    """The last run of one periodic actor, written by the workers' PeriodicRunsMiddleware.

    The cron and the next run are not stored: they come from the actor's `periodic` option,
    so a changed setting shows at once.
    """

    name = models.CharField(max_length=100, primary_key=True, help_text="The actor's name.")
    last_run_at = models.DateTimeField(null=True, blank=True, help_text="When its last run started.")
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=20, choices=RunOutcome.choices, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name
