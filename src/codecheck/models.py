"""Uploaded Python files and the flake8 checks run on them.

A file keeps its current source and a version number that rises on every overwrite; a
check records the version it checked, so the history survives overwrites. A `new` or
`updated` file waits for its check; each check runs as a task (see codecheck.services.checks).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class FileStatus(models.TextChoices):
    NEW = "new", "New"
    UPDATED = "updated", "Updated"
    CHECKED = "checked", "Checked"
    DELETED = "deleted", "Deleted"


# A file in one of these waits for the check of its current version.
PENDING_STATUSES = (FileStatus.NEW, FileStatus.UPDATED)


class CheckResult(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class CodeFile(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_files")
    name = models.CharField(max_length=255)
    content = models.TextField(blank=True, help_text="The current source; emptied when the file is deleted.")
    size = models.PositiveIntegerField(help_text="Bytes of the current source.")
    status = models.CharField(max_length=10, choices=FileStatus.choices, default=FileStatus.NEW)
    version = models.PositiveIntegerField(default=1, help_text="Rises by one on every overwrite.")
    uploaded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="codefile_owner_updated_idx"),
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=PENDING_STATUSES),
                name="codefile_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Check(models.Model):
    file = models.ForeignKey(CodeFile, on_delete=models.CASCADE, related_name="checks")
    version = models.PositiveIntegerField(help_text="The version of the file this check ran on.")
    file_name = models.CharField(max_length=255, default="", help_text="The file's name in that version.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=CheckResult.choices)
    issue_count = models.PositiveIntegerField(help_text="Every issue flake8 reported.")
    issues = models.JSONField(
        default=list,
        help_text="[{line, column, code, message}] in file order: the first CODECHECK_MAX_ISSUES of them.",
    )
    # How many issues share each (code, stripped line text), keyed by a short hash of the
    # two: new and fixed issues are counted by it. One entry per distinct issue, however
    # many lines repeat it.
    fingerprints = models.JSONField(default=dict)
    new_issues = models.PositiveIntegerField()
    fixed_issues = models.PositiveIntegerField()
    # The task that ran the check and mailed its report. Tasks are pruned after
    # TASK_RETENTION_DAYS while checks stay, so the mail's outcome is copied here.
    task = models.OneToOneField(
        "tasks_api.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="code_check"
    )
    email_sent = models.BooleanField(default=False)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["file", "-finished_at"], name="check_file_finished_idx")]

    def __str__(self) -> str:
        return f"{self.file_name} v{self.version}: {self.result}"

    @property
    def more_issues(self) -> int:
        """Issues counted but not stored (beyond CODECHECK_MAX_ISSUES)."""
        return self.issue_count - len(self.issues)
