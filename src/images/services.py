"""Writes on images: upload, rename and tag, delete, and the outcome of processing.

Every change invalidates the owner's cached reads and publishes its event, both after
the transaction commits; files go from storage after commit too, so a rolled-back
delete never loses them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import suppress
from pathlib import PurePath
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from rest_framework import status

from core.exceptions import ApplicationError
from core.models import User
from images.cache import image_cache_invalidate
from images.events import image_event_publish
from images.imaging import ImageInfo, InvalidImage, image_inspect
from images.models import Image, ImageStatus, Tag
from images.storage import image_files_delete
from tasks_api.models import TaskStatus
from tasks_api.services import task_cancel, task_create

logger = logging.getLogger(__name__)

IMAGE_PROCESS_KIND = "image_process"


def _after_change(*, image: Image, event: str, data: dict[str, Any]) -> None:
    # robust: the change is committed; a cache outage is logged, not turned into a 500.
    # (A lambda, not functools.partial: Django's robust on_commit logs the callback's
    # __qualname__, which a partial lacks, and would turn the failure into a 500.)
    owner_id = image.owner_id
    transaction.on_commit(lambda: image_cache_invalidate(owner_id=owner_id), robust=True)
    image_event_publish(event=event, image_id=image.id, owner_id=image.owner_id, data=data)


def _tags(names: Sequence[str]) -> list[Tag]:
    return [Tag.objects.get_or_create(name=name)[0] for name in names]


def _upload_inspect(file: UploadedFile) -> ImageInfo:
    if file.size > settings.IMAGE_MAX_BYTES:
        raise ApplicationError(
            f"The file is {file.size:,} bytes; images may be at most {settings.IMAGE_MAX_BYTES:,} bytes.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if not file.size:
        raise ApplicationError("The file is empty.")
    try:
        info = image_inspect(file, max_pixels=settings.IMAGE_MAX_PIXELS)
    except InvalidImage as exc:
        raise ApplicationError(str(exc), extra={"file": [str(exc)]}) from exc
    file.seek(0)
    return info


@transaction.atomic
def image_create(*, owner: User, file: UploadedFile, name: str = "", tags: Sequence[str] = ()) -> Image:
    """Store an upload that Pillow recognises, and queue its processing.

    The image is checked before anything is written; if a later step fails, the stored
    original is removed again, so a rejected upload leaves neither row nor file.
    """
    info = _upload_inspect(file)
    image = Image(
        owner=owner,
        name=name.strip() or PurePath(file.name or "image").name[:255],
        size=file.size,
        format=info.format,
        extension=info.extension,
        mode=info.mode,
        width=info.width,
        height=info.height,
    )
    try:
        image.file.save("original", file, save=False)
        # Before the task: on commit, `image.created` then goes out before the worker can
        # even start, so no consumer sees `image.processed` first. The row goes in last,
        # with its task, in one INSERT.
        _after_change(
            image=image, event="created", data={"name": image.name, "size": image.size, "tags": list(tags)}
        )
        image.task, _ = task_create(owner=owner, kind=IMAGE_PROCESS_KIND, params={"image_id": str(image.id)})
        image.save(force_insert=True)
        if tags:
            image.tags.add(*_tags(tags))
    except BaseException:
        image_files_delete(image_id=image.id)
        raise
    logger.info("image uploaded", extra={"image_id": str(image.id), "task_id": str(image.task_id)})
    return image


@transaction.atomic
def image_update(*, image: Image, name: str | None = None, tags: Sequence[str] | None = None) -> Image:
    """Rename and/or retag the image; what is None stays as it is. Returns the updated row.

    `image` may have been read before another request changed or deleted the row (the
    view reads it before this transaction), so the row is read again and locked here, and
    only the fields given are written: a tags-only change never writes back an old name,
    and an image deleted meanwhile is a 404 like any missing image.
    """
    try:
        image = Image.objects.select_for_update().get(id=image.id)
    except Image.DoesNotExist:
        raise ApplicationError("Not found.", status_code=status.HTTP_404_NOT_FOUND) from None
    changed: dict[str, Any] = {}
    update_fields = ["updated_at"]
    if name is not None:
        image.name = changed["name"] = name.strip()
        update_fields.append("name")
    if tags is not None:
        image.tags.set(_tags(tags))
        changed["tags"] = list(tags)
    image.save(update_fields=update_fields)
    _after_change(image=image, event="updated", data=changed)
    return image


@transaction.atomic
def image_delete(*, image: Image) -> None:
    """Delete the row now and its files once that commits; a queued processing is cancelled.

    The files go through images.signals, which does the same for a row deleted by a cascade.
    """
    image_id = image.id
    task = image.task
    image.delete()
    image.id = image_id  # Django clears the pk on delete; the event and files still need it
    if task is not None and task.status == TaskStatus.QUEUED:
        # The worker may have claimed it meanwhile: then it finds the image gone.
        with suppress(ApplicationError):
            task_cancel(task=task)
    _after_change(image=image, event="deleted", data={"name": image.name})


@transaction.atomic
def images_delete_for_owner(*, owner: User) -> int:
    """Delete every image of an account being deleted, each through image_delete; returns how many.

    So each goes as a delete by its owner would: `image.deleted`, files, queued processing.
    """
    images = list(Image.objects.filter(owner=owner).select_related("task"))
    for image in images:
        image_delete(image=image)
    return len(images)


@transaction.atomic
def image_processed(*, image_id: UUID | str, info: ImageInfo, renditions: list[dict[str, Any]]) -> bool:
    """Record the renditions and metadata; False when the image was deleted meanwhile.

    The row is locked so a concurrent delete either sees the renditions (and sweeps them
    after its commit) or has committed already (and this sweeps them here).
    """
    image = Image.objects.select_for_update().filter(id=image_id).first()
    if image is None:
        image_files_delete(image_id=image_id)
        return False
    image.status = ImageStatus.READY
    image.error = ""
    image.renditions = renditions
    image.format, image.mode, image.width, image.height = info.format, info.mode, info.width, info.height
    image.save(
        update_fields=["status", "error", "renditions", "format", "mode", "width", "height", "updated_at"]
    )
    _after_change(
        image=image,
        event="processed",
        data={"status": image.status, "renditions": [r["name"] for r in renditions]},
    )
    return True


@transaction.atomic
def image_processing_failed(*, image_id: UUID | str, error: str) -> None:
    image = Image.objects.select_for_update().filter(id=image_id).first()
    if image is None:
        return
    image.status = ImageStatus.FAILED
    image.error = error
    image.save(update_fields=["status", "error", "updated_at"])
    _after_change(image=image, event="processed", data={"status": image.status, "error": error})
