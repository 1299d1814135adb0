"""Images, their tags, and where their files live in storage."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ImageStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def image_directory(image_id: uuid.UUID | str) -> str:
    """Every file of one image lives under one storage directory, so delete can sweep it."""
    return f"images/{image_id}"


def original_upload_to(image: Image, filename: str) -> str:
    # The extension comes from the detected format (set before saving), not the client's name.
    return f"{image_directory(image.id)}/original.{image.extension}"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=original_upload_to, max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    width = models.PositiveIntegerField(
        null=True, blank=True, help_text="As displayed (EXIF orientation applied)."
    )
    height = models.PositiveIntegerField(
        null=True, blank=True, help_text="As displayed (EXIF orientation applied)."
    )
    size = models.PositiveBigIntegerField(help_text="Bytes of the original.")
    format = models.CharField(max_length=10, help_text="Pillow's name of the format: JPEG, PNG, ...")
    extension = models.CharField(max_length=5)
    mode = models.CharField(max_length=10, blank=True, help_text="Pillow's pixel mode: RGB, RGBA, L, ...")
    tags = models.ManyToManyField(Tag, blank=True, related_name="images")
    status = models.CharField(max_length=20, choices=ImageStatus.choices, default=ImageStatus.PROCESSING)
    error = models.TextField(blank=True, help_text="Why processing failed.")
    # [{name, width, height, size, path}]: a handful per image, always read together.
    renditions = models.JSONField(default=list, blank=True)
    task = models.ForeignKey(
        "tasks_api.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # The id breaks ties between equal timestamps, so pages never repeat or skip a row.
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["owner", "-uploaded_at"], name="image_owner_uploaded_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}" if self.width and self.height else ""

    def rendition(self, name: str) -> dict | None:
        return next((r for r in self.renditions if r["name"] == name), None)
