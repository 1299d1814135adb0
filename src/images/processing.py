"""The `image_process` task kind: make the renditions of one uploaded image."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from rest_framework import serializers

from images.imaging import InvalidImage, renditions_make
from images.models import Image
from images.services import image_processed, image_processing_failed
from images.storage import image_file_write
from tasks_api.models import Task
from tasks_api.params import ParamsSerializer
from tasks_api.services import PermanentTaskError, TransientTaskError

logger = logging.getLogger(__name__)


# Per process: the worker's threads share it (the setting is read once, at start).
_large_decodes = threading.BoundedSemaphore(settings.IMAGE_LARGE_DECODES)


@contextmanager
def _decode_slot(nbytes: int) -> Iterator[None]:
    """Held while a picture is decoded and reduced: one whose decode takes more than
    IMAGE_LARGE_DECODE_MB waits until fewer than IMAGE_LARGE_DECODES others do, so a burst
    of 50 MP pictures on a many-threaded worker decodes a few at a time, not all at once."""
    if nbytes <= settings.IMAGE_LARGE_DECODE_MB * 1024 * 1024:
        yield
        return
    with _large_decodes:
        yield


class ImageProcessParamsSerializer(ParamsSerializer):
    image_id = serializers.UUIDField()


def image_process_run(task: Task, *, can_retry: bool) -> dict[str, Any]:
    """Read the original once, write every rendition, and record the outcome on the image.

    Runs again safely: the renditions have fixed names and are overwritten. A storage error
    (a full disk, an object store timing out) is retried while the actor has retries left,
    the image staying `processing`; whatever else stops the work marks the image `failed`
    with the reason, so it never stays `processing` behind a finished task.
    """
    image_id = task.params["image_id"]
    image = Image.objects.filter(id=image_id).first()
    if image is None:
        raise PermanentTaskError("The image was deleted before it was processed.")
    try:
        with default_storage.open(image.file.name, "rb") as original:
            info, renditions = renditions_make(
                original,
                sizes=settings.IMAGE_RENDITION_SIZES,
                max_pixels=settings.IMAGE_MAX_PIXELS,
                decoding=_decode_slot,
            )
        stored = [
            {
                "name": rendition.name,
                "width": rendition.width,
                "height": rendition.height,
                "size": len(rendition.content),
                "path": image_file_write(
                    image_id=image.id,
                    filename=f"{rendition.name}.{rendition.extension}",
                    content=rendition.content,
                ),
            }
            for rendition in renditions
        ]
    except InvalidImage as exc:
        image_processing_failed(image_id=image.id, error=str(exc))
        raise PermanentTaskError(str(exc)) from exc
    except FileNotFoundError as exc:
        error = "The original file is missing from storage."
        image_processing_failed(image_id=image.id, error=error)
        raise PermanentTaskError(error) from exc
    except OSError as exc:
        error = f"Storage error: {exc}"
        if can_retry:
            raise TransientTaskError(error) from exc
        image_processing_failed(image_id=image.id, error=error)
        raise PermanentTaskError(error) from exc
    except BaseException as exc:  # a crash or the time limit: say so on the image, then let the task fail
        image_processing_failed(image_id=image.id, error=f"Processing stopped: {type(exc).__name__}.")
        raise
    if not image_processed(image_id=image.id, info=info, renditions=stored):
        raise PermanentTaskError("The image was deleted while it was processed.")
    return {
        "image_id": str(image.id),
        "width": info.width,
        "height": info.height,
        "renditions": [r["name"] for r in stored],
    }
