"""An image's files in Django's storage (local MEDIA_ROOT by default, S3 by setting)."""

from __future__ import annotations

import logging
import os
from contextlib import suppress
from uuid import UUID

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.storage import BucketStorage, FileChunks
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


def image_file_stream(*, name: str, chunk_size: int) -> tuple[int, FileChunks]:
    """One stored file's size and its bytes chunk by chunk; FileNotFoundError when it is gone.

    From a bucket the chunks come straight from the GET's body, so a download holds one
    chunk in memory whatever the file's size. Closing the chunks closes the file.
    """
    if isinstance(default_storage, BucketStorage):
        return default_storage.stream(name, chunk_size=chunk_size)
    handle = default_storage.open(name, "rb")
    return handle.size, FileChunks(read=handle.read, close=handle.close, chunk_size=chunk_size)


def image_file_presigned_url(*, name: str, filename: str, seconds: int) -> str | None:
    """A URL the bucket serves the file at for `seconds`, under `filename`; None off a bucket."""
    if not isinstance(default_storage, BucketStorage):
        return None
    disposition = {"ResponseContentDisposition": f'inline; filename="{filename}"'}
    return default_storage.url(name, parameters=disposition, expire=seconds)
