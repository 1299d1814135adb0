"""Images kept in an S3-compatible bucket (a real S3 HTTP API: moto's server, tests/s3.py).

Upload, processing, download and delete go through the API as in test_images_api.py; what
is in the bucket is read back with boto3 directly, and MEDIA_ROOT must stay empty.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from images.models import Image
from tasks_api.services import TransientTaskError
from tests.conftest import free_port
from tests.images.conftest import files_under, make_image
from tests.images.test_images_api import download, post_image, process

pytestmark = pytest.mark.django_db

CONTENT = make_image("JPEG", (1000, 800))


def upload_ready(client) -> dict:
    response = post_image(client, CONTENT)
    assert response.status_code == 201, response.content
    process(response.json()["id"])
    return client.get(f"/api/images/{response.json()['id']}/").json()


def test_upload_renditions_download_and_delete_all_go_through_the_bucket(
    owner_client, s3_bucket, settings, django_capture_on_commit_callbacks
):
    response = post_image(owner_client, CONTENT)
    assert response.status_code == 201, response.content
    image_id = response.json()["id"]
    original = f"images/{image_id}/original.jpg"
    assert s3_bucket.object_keys() == [original]
    assert s3_bucket.read(original) == CONTENT

    process(image_id)
    image = owner_client.get(f"/api/images/{image_id}/").json()
    assert image["status"] == "ready"
    paths = {r["name"]: r["path"] for r in Image.objects.get(id=image_id).renditions}
    assert s3_bucket.object_keys() == sorted([original, *paths.values()])
    for rendition in image["renditions"]:
        response, body = download(owner_client, image_id, rendition["name"])
        assert response.status_code == 200
        assert response.streaming
        assert body == s3_bucket.read(paths[rendition["name"]])
        assert int(response["Content-Length"]) == len(body) == rendition["size"]
    response, body = download(owner_client, image_id)
    assert (response["Content-Type"], body) == ("image/jpeg", CONTENT)
    assert files_under(settings.MEDIA_ROOT) == []

    with django_capture_on_commit_callbacks() as after_commit:
        assert owner_client.delete(f"/api/images/{image_id}/").status_code == 204
    assert len(s3_bucket.object_keys()) == 4  # nothing goes before the delete commits
    for callback in after_commit:
        callback()
    assert s3_bucket.object_keys() == []
    assert files_under(settings.MEDIA_ROOT) == []


def test_downloads_can_redirect_to_a_short_lived_presigned_url(owner_client, s3_bucket, settings):
    settings.S3_PRESIGNED_SECONDS = 60
    image = upload_ready(owner_client)

    response = owner_client.get(f"/api/images/{image['id']}/file/?rendition=100x100")
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == s3_bucket.server.url
    assert parse_qs(location.query)["X-Amz-Expires"] == ["60"]
    fetched = requests.get(response["Location"], timeout=10)  # no credentials: the URL is the grant
    assert fetched.status_code == 200
    assert fetched.headers["Content-Disposition"] == 'inline; filename="100x100.jpg"'
    assert len(fetched.content) == image["renditions"][0]["size"]
    unsigned = requests.get(f"{s3_bucket.server.url}{location.path}", timeout=10)
    assert unsigned.status_code == 403

    schema = owner_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "302" in schema["paths"]["/api/images/{id}/file/"]["get"]["responses"]


def test_an_object_gone_from_the_bucket_is_a_404_and_fails_processing(owner_client, s3_bucket):
    image_id = post_image(owner_client, CONTENT).json()["id"]
    s3_bucket.server.client().delete_object(Bucket=s3_bucket.name, Key=f"images/{image_id}/original.jpg")

    response, _ = download(owner_client, image_id)
    assert response.status_code == 404
    assert response.json() == {"detail": "The file is missing from storage."}
    process(image_id)
    image = Image.objects.get(id=image_id)
    assert (image.status, image.error) == ("failed", "The original file is missing from storage.")


def test_an_unreachable_object_store_is_a_storage_error_that_is_retried(owner_client, s3_bucket, settings):
    image_id = post_image(owner_client, CONTENT).json()["id"]
    reachable = settings.STORAGES
    settings.STORAGES = {
        **reachable,
        "default": s3_bucket.storage_settings(endpoint_url=f"http://127.0.0.1:{free_port()}"),
    }
    with pytest.raises(TransientTaskError, match="Storage error: Object store unreachable"):
        process(image_id, can_retry=True)
    assert Image.objects.get(id=image_id).status == "processing"

    settings.STORAGES = reachable
    process(image_id, can_retry=True)
    assert Image.objects.get(id=image_id).status == "ready"
    assert len(s3_bucket.object_keys(f"images/{image_id}/")) == 4


def test_an_owner_deleted_in_the_admin_takes_the_objects_along(
    admin_client, owner, owner_client, s3_bucket, django_capture_on_commit_callbacks
):
    image = upload_ready(owner_client)
    page = admin_client.get(f"/admin/images/image/{image['id']}/change/").content.decode()
    assert 'src="data:image/jpeg;base64,' in page  # the thumbnail, read from the bucket

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/core/user/{owner.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert s3_bucket.object_keys() == []
