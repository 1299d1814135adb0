"""What only the S3 mode has: presigned download URLs, an object store that is unreachable.

Everything else (upload, renditions, downloads, updates, deletes, the admin, events end to
end) runs on both storages in the other image tests, through their `storage` fixture
(tests/images/conftest.py), against the same real S3 API (moto's server, tests/s3.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from images.models import Image
from tasks_api.services import TransientTaskError
from tests.conftest import free_port
from tests.images.conftest import make_image
from tests.images.test_images_api import post_image, process

pytestmark = pytest.mark.django_db

CONTENT = make_image("JPEG", (1000, 800))


def upload_ready(client) -> dict:
    response = post_image(client, CONTENT)
    assert response.status_code == 201, response.content
    process(response.json()["id"])
    return client.get(f"/api/images/{response.json()['id']}/").json()


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
