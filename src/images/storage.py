"""An image's files in Django's storage (local MEDIA_ROOT by default, S3 by setting)."""

from __future__ import annotations

import logging
import os
from contextlib import suppress
from uuid import UUID

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from images.models import image_directory

logger = logging.getLogger(__name__)


def image_file_write(*, image_id: UUID | str, filename: str, content: bytes) -> str:
    """Write one file of the image under a fixed name (a redelivered message overwrites)."""
    name = f"{image_directory(image_id)}/{filename}"
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def image_files_delete(*, image_id: UUID | str) -> None:
    """Delete every file of the image: the original and all renditions."""
    directory = image_directory(image_id)
    try:
        _, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for filename in files:
        default_storage.delete(f"{directory}/{filename}")
    # Local storage leaves the empty directory behind; object stores have none to remove.
    with suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(directory))
    logger.info("image files deleted", extra={"image_id": str(image_id), "files": len(files)})
