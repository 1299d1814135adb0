"""Image services at their edges: rolled-back deletes, and deletes that race the worker."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from images.imaging import ImageInfo
from images.models import Image
from images.services import image_delete, image_processed, image_processing_failed
from images.storage import image_file_write
from tests.images.conftest import files_under
from tests.images.test_images_api import process, uploaded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

INFO = ImageInfo(format="JPEG", extension="jpg", mode="RGB", width=10, height=10)


def test_a_rolled_back_delete_keeps_row_and_files(
    owner_client, media_root, django_capture_on_commit_callbacks
):
    image = uploaded(owner_client)
    process(image["id"])
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        image_delete(image=Image.objects.get(id=image["id"]))
        raise RuntimeError("something later in the same transaction failed")
    assert Image.objects.filter(id=image["id"]).exists()
    assert len(files_under(media_root)) == 4


def test_renditions_of_an_image_deleted_during_processing_are_swept(media_root):
    image_id = uuid.uuid4()
    image_file_write(image_id=image_id, filename="100x100.jpg", content=b"made after the delete")
    assert not image_processed(image_id=image_id, info=INFO, renditions=[])
    assert files_under(media_root) == []


def test_failing_an_image_that_is_gone_does_nothing():
    image_processing_failed(image_id=uuid.uuid4(), error="whatever")
    assert not Image.objects.exists()
