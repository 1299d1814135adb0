"""Image services at their edges: rolled-back deletes, deletes that race the worker, stale updates."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from core.exceptions import ApplicationError
from images.imaging import ImageInfo
from images.models import Image
from images.services import image_delete, image_processed, image_processing_failed, image_update
from images.storage import image_file_write
from tests.images.test_images_api import process, uploaded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

INFO = ImageInfo(format="JPEG", extension="jpg", mode="RGB", width=10, height=10)


def test_a_rolled_back_delete_keeps_row_and_files(owner_client, storage, django_capture_on_commit_callbacks):
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
    assert len(storage.object_keys()) == 4


def test_renditions_of_an_image_deleted_during_processing_are_swept(storage):
    image_id = uuid.uuid4()
    image_file_write(image_id=image_id, filename="100x100.jpg", content=b"made after the delete")
    assert storage.object_keys() == [f"images/{image_id}/100x100.jpg"]
    assert not image_processed(image_id=image_id, info=INFO, renditions=[])
    assert storage.object_keys() == []


def test_failing_an_image_that_is_gone_does_nothing():
    image_processing_failed(image_id=uuid.uuid4(), error="whatever")
    assert not Image.objects.exists()


def test_an_update_changes_only_its_own_fields_of_the_row_as_it_is_now(owner_client):
    image = uploaded(owner_client, name="old", tags="a")
    stale = Image.objects.get(id=image["id"])  # read before another request renamed it
    image_update(image=Image.objects.get(id=image["id"]), name="new")
    updated = image_update(image=stale, tags=["b"])
    assert updated.name == "new"
    row = Image.objects.get(id=image["id"])
    assert (row.name, [tag.name for tag in row.tags.all()]) == ("new", ["b"])


def test_updating_an_image_deleted_meanwhile_is_not_found(owner_client):
    image = uploaded(owner_client)
    stale = Image.objects.get(id=image["id"])
    image_delete(image=Image.objects.get(id=image["id"]))
    with pytest.raises(ApplicationError) as error:
        image_update(image=stale, name="renamed")
    assert error.value.status_code == 404
    assert not Image.objects.exists()
