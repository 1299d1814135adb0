"""Uploaded Python files and the flake8 checks run on them.

A file keeps its current source and a version number that rises on every overwrite; a
check records the version it checked, so the history survives overwrites. Whether a file
waits for a check is `needs_check` (set on upload, overwrite and "check now"), apart from
the status a person reads, so a re-check of an unchanged file does not pretend it changed.
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
    needs_check = models.BooleanField(default=True)
    # A worker checking the file holds a claim: a token and an expiry, so a worker that
    # died mid-check lets another take the file over once the claim has run out.
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="codefile_owner_updated_idx"),
            models.Index(
                fields=["updated_at"], condition=models.Q(needs_check=True), name="codefile_pending_idx"
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
    issue_count = models.PositiveIntegerField()
    issues = models.JSONField(default=list, help_text="[{line, column, code, message}], in file order.")
    # (code, stripped line text) per issue, the key new and fixed issues are counted by.
    fingerprints = models.JSONField(default=list)
    new_issues = models.PositiveIntegerField()
    fixed_issues = models.PositiveIntegerField()
    email_sent = models.BooleanField(default=False)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    notify_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the broker confirmed the report-mail message; empty until then.",
    )

    class Meta:
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["file", "-finished_at"], name="check_file_finished_idx")]

    def __str__(self) -> str:
        return f"{self.file_name} v{self.version}: {self.result}"
