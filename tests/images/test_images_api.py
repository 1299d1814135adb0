"""The image API in-process: uploads, validation, ownership, updates, deletes, downloads, cache.

Processing runs here through `task_execute` in this process, as the actor would run it;
tests/images/test_images_e2e.py goes through a real worker. The tests where the storage
matters take `storage` and run twice: on MEDIA_ROOT and on an S3 bucket (tests/s3.py).
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection, transaction
from PIL import Image as PILImage
from rest_framework_simplejwt.tokens import AccessToken

from core.models import OutboxEvent
from images.models import Image
from images.processing import image_process_run
from images.services import image_delete, image_update
from tasks_api.models import Task
from tasks_api.services import TransientTaskError, task_execute
from tests.helpers import wait_for
from tests.images.conftest import EXTENSIONS, files_under, make_image, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def post_image(client, content: bytes, filename: str = "photo.jpg", **fields):
    return client.post("/api/images/", {"file": upload(content, filename), **fields}, format="multipart")


def process(image_id: str, *, can_retry: bool = False):
    """Run the image's processing task here, as the actor would with or without retries left."""
    handler = partial(image_process_run, can_retry=can_retry)
    return task_execute(task_id=Image.objects.get(id=image_id).task_id, handler=handler, can_retry=can_retry)


def download(client, image_id: str, rendition: str | None = None):
    query = f"?rendition={rendition}" if rendition else ""
    response = client.get(f"/api/images/{image_id}/file/{query}")
    body = b"".join(response) if response.status_code == 200 else response.content
    return response, body


def uploaded(client, **kwargs) -> dict:
    response = post_image(client, make_image("JPEG", (1000, 800)), **kwargs)
    assert response.status_code == 201, response.content
    return response.json()


# Every format on the local storage; one on S3 too, where the bytes go is the same whatever
# the format (and an S3 run costs seconds).
FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"]


@pytest.mark.parametrize(
    ("fmt", "storage"), [*((fmt, "local") for fmt in FORMATS), ("JPEG", "s3")], indirect=["storage"]
)
def test_upload_of_each_format_is_processed_into_renditions(owner_client, storage, fmt):
    content = make_image(fmt, (1200, 900), mode="P" if fmt == "GIF" else "RGB")
    response = post_image(owner_client, content, f"holiday.{EXTENSIONS[fmt]}", tags=["Sea", "sun"])

    assert response.status_code == 201, response.content
    body = response.json()
    original = Image.objects.get(id=body["id"]).file.name
    assert original == f"images/{body['id']}/original.{EXTENSIONS[fmt]}"
    assert storage.object_keys() == [original]
    assert storage.read(original) == content
    assert response["Location"] == f"/api/images/{body['id']}/"
    assert body["status"] == "processing"
    assert body["name"] == "holiday." + EXTENSIONS[fmt]
    assert (body["format"], body["size"], body["resolution"]) == (fmt, len(content), "1200x900")
    assert body["tags"] == ["sea", "sun"]
    assert body["renditions"] == []
    task = Task.objects.get(id=body["task"])
    assert (task.kind, task.status, task.params) == ("image_process", "queued", {"image_id": body["id"]})

    process(body["id"])

    image = owner_client.get(f"/api/images/{body['id']}/").json()
    assert image["status"] == "ready"
    assert (image["width"], image["height"], image["resolution"]) == (1200, 900, "1200x900")
    paths = {r["name"]: r["path"] for r in Image.objects.get(id=body["id"]).renditions}
    assert storage.object_keys() == sorted([original, *paths.values()])
    assert [(r["name"], r["width"], r["height"]) for r in image["renditions"]] == [
        ("100x100", 100, 75),
        ("500x500", 500, 375),
        ("grayscale", 500, 375),
    ]
    for rendition in image["renditions"]:
        response, data = download(owner_client, body["id"], rendition["name"])
        assert response.status_code == 200
        assert response.streaming
        assert data == storage.read(paths[rendition["name"]])
        assert int(response["Content-Length"]) == len(data) == rendition["size"]
        picture = PILImage.open(io.BytesIO(data))
        assert picture.size == (rendition["width"], rendition["height"])
        assert (picture.mode in {"L", "LA"}) is (rendition["name"] == "grayscale")
    response, data = download(owner_client, body["id"])
    assert data == content
    assert Task.objects.get(id=body["task"]).status == "succeeded"


def test_phone_photo_with_exif_orientation_is_turned_upright(owner_client):
    # Stored landscape with "rotate 90 clockwise" in EXIF, as phones write portraits.
    body = post_image(owner_client, make_image("JPEG", (4000, 3000), orientation=6)).json()
    assert body["resolution"] == "3000x4000"
    process(body["id"])
    image = owner_client.get(f"/api/images/{body['id']}/").json()
    assert [(r["name"], r["width"], r["height"]) for r in image["renditions"]] == [
        ("100x100", 75, 100),
        ("500x500", 375, 500),
        ("grayscale", 375, 500),
    ]
    _, data = download(owner_client, body["id"], "500x500")
    red, _, blue = PILImage.open(io.BytesIO(data)).convert("RGB").getpixel((187, 5))
    assert red > blue  # the stored left half (red) is now on top


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_an_unreadable_exif_block_is_ignored_not_a_500(owner_client, fmt):
    buffer = io.BytesIO()
    PILImage.new("RGB", (400, 300), "red").save(buffer, fmt, exif=b"Exif\x00\x00not a TIFF header")
    response = post_image(owner_client, buffer.getvalue(), f"odd.{EXTENSIONS[fmt]}")
    assert response.status_code == 201, response.content
    assert response.json()["resolution"] == "400x300"
    process(response.json()["id"])
    image = owner_client.get(f"/api/images/{response.json()['id']}/").json()
    assert image["status"] == "ready", image["error"]
    assert [(r["width"], r["height"]) for r in image["renditions"]] == [(100, 75), (400, 300), (400, 300)]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["b", "a"], ["a", "b"]),
        ("red, Blue ,,red", ["blue", "red"]),
        (["x,y", "z"], ["x", "y", "z"]),
        ([], []),
    ],
    ids=["repeated-fields", "comma-separated", "mixed", "none"],
)
def test_tags_as_repeated_fields_or_one_comma_separated_value(owner_client, tags, expected):
    assert post_image(owner_client, make_image(), tags=tags).json()["tags"] == expected


@pytest.mark.parametrize(
    ("content", "filename", "fields", "status", "message"),
    [
        (b"hello, this is a text file", "notes.txt", {}, 400, "not an image"),
        (b"this is text with a .jpg name", "photo.jpg", {}, 400, "not an image"),
        (make_image("JPEG", (800, 600))[:3000], "cut.jpg", {}, 400, "truncated"),
        (make_image("PNG", (800, 600), mode="RGBA")[:-30], "cut.png", {}, 400, "truncated"),
        (make_image("PNG", (8000, 8000), mode="1"), "bomb.png", {}, 400, "too many pixels"),
        (make_image("PNG", (20000, 10000), mode="1"), "bigger-bomb.png", {}, 400, "too many pixels"),
        (make_image("PPM", (50, 50)), "image.ppm", {}, 400, "PPM images are not accepted"),
        (b"", "empty.jpg", {}, 400, "empty"),
        (make_image(), "photo.jpg", {"tags": ["x" * 51]}, 400, "at most 50 characters"),
        (make_image(), "photo.jpg", {"tags": [f"t{n}" for n in range(21)]}, 400, "At most 20 tags"),
    ],
    ids=[
        "text",
        "jpg-named-text",
        "truncated-jpeg",
        "truncated-png",
        "pixel-bomb",
        "pillow-bomb",
        "unsupported-format",
        "empty",
        "long-tag",
        "too-many-tags",
    ],
)
def test_bad_upload_is_refused_and_leaves_nothing(
    owner_client, storage, content, filename, fields, status, message
):
    response = post_image(owner_client, content, filename, **fields)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Image.objects.exists()
    assert not Task.objects.exists()
    assert storage.object_keys() == []


def test_upload_over_the_size_limit_is_413(owner_client, storage, settings):
    content = make_image("PNG", (300, 300))
    settings.IMAGE_MAX_BYTES = len(content) - 1
    response = post_image(owner_client, content, "big.png")
    assert response.status_code == 413
    assert f"at most {len(content) - 1:,} bytes" in response.json()["detail"]
    assert not Image.objects.exists()
    assert storage.object_keys() == []


@pytest.mark.parametrize(
    "data", [{"name": "no file"}, {"file": "not a file"}], ids=["missing-file", "file-as-text"]
)
def test_missing_file_field_is_400(owner_client, media_root, data):
    response = owner_client.post("/api/images/", data, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Image.objects.exists()


def test_json_body_instead_of_multipart_is_415(owner_client):
    response = owner_client.post("/api/images/", {"name": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["detail"] == 'Unsupported media type "application/json" in request.'
    assert not Image.objects.exists()


def test_multipart_body_for_a_change_of_name_is_415(owner_client, media_root):
    url = f"/api/images/{uploaded(owner_client)['id']}/"
    response = owner_client.patch(url, {"name": "Renamed"}, format="multipart")
    assert response.status_code == 415
    assert owner_client.get(url).json()["name"] != "Renamed"


def test_file_that_fails_later_is_removed_again(owner_client, storage, monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("the task could not be created")

    monkeypatch.setattr("images.services.task_create", refuse)
    with pytest.raises(RuntimeError):
        post_image(owner_client, make_image())
    assert not Image.objects.exists()
    assert storage.object_keys() == []


def test_list_is_scoped_to_the_owner_and_filters_by_tag_and_name(owner_client, other_client):
    uploaded(owner_client, name="Beach at dawn", tags="sea,sun")
    uploaded(owner_client, name="Mountain", tags="snow")
    uploaded(other_client, name="Beach of someone else", tags="sea")

    def names(query: str = "") -> list[str]:
        body = owner_client.get(f"/api/images/{query}").json()
        assert body["count"] == len(body["results"])
        return sorted(image["name"] for image in body["results"])

    assert names() == ["Beach at dawn", "Mountain"]
    assert names("?tag=sea") == ["Beach at dawn"]
    assert names("?tag=SEA") == ["Beach at dawn"]
    assert names("?search=beach") == ["Beach at dawn"]
    assert names("?search=mount&tag=snow") == ["Mountain"]
    assert names("?tag=nothing") == []


def test_patch_renames_and_retags(owner_client, storage, django_capture_on_commit_callbacks):
    image = uploaded(owner_client, tags="old")
    url = f"/api/images/{image['id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["tags"]) == ("Renamed", ["old"])
    response = owner_client.patch(url, {"tags": ["new", "more"]}, format="json")
    assert (response.json()["name"], response.json()["tags"]) == ("Renamed", ["more", "new"])
    assert owner_client.get(url).json()["tags"] == ["more", "new"]
    assert storage.object_keys() == [f"images/{image['id']}/original.jpg"]  # the files stay as they were


def test_put_replaces_name_and_tags(owner_client):
    image = uploaded(owner_client, tags="old")
    url = f"/api/images/{image['id']}/"
    response = owner_client.put(url, {"name": "Whole"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["tags"]) == ("Whole", [])
    assert owner_client.put(url, {"tags": ["a"]}, format="json").status_code == 400  # name is required
    response = owner_client.patch(url, {"name": "  "}, format="json")
    assert response.status_code == 400
    assert Image.objects.get(id=image["id"]).name == "Whole"


def test_delete_removes_row_and_files_after_commit(owner_client, storage, django_capture_on_commit_callbacks):
    image = uploaded(owner_client)
    process(image["id"])
    assert len(storage.object_keys()) == 4
    with django_capture_on_commit_callbacks() as after_commit:
        response = owner_client.delete(f"/api/images/{image['id']}/")
    assert response.status_code == 204
    assert not Image.objects.exists()
    assert len(storage.object_keys()) == 4  # nothing goes before the delete commits
    for callback in after_commit:
        callback()
    assert storage.object_keys() == []
    assert owner_client.get(f"/api/images/{image['id']}/").status_code == 404
    assert download(owner_client, image["id"])[0].status_code == 404


def test_delete_before_processing_cancels_the_task(owner_client, storage, django_capture_on_commit_callbacks):
    image = uploaded(owner_client)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.delete(f"/api/images/{image['id']}/")
    assert Task.objects.get(id=image["task"]).status == "cancelled"
    assert storage.object_keys() == []


def test_processing_a_damaged_original_marks_the_image_failed(owner_client, storage):
    image = uploaded(owner_client)
    original = Image.objects.get(id=image["id"]).file.name
    storage.write(original, storage.read(original)[:2000])
    process(image["id"])
    body = owner_client.get(f"/api/images/{image['id']}/").json()
    assert body["status"] == "failed"
    assert "truncated" in body["error"]
    task = Task.objects.get(id=image["task"])
    assert task.status == "failed"
    assert task.error == body["error"]
    response, _ = download(owner_client, image["id"], "100x100")
    assert response.status_code == 404
    assert "not ready (the image is failed)" in response.json()["detail"]


def test_a_missing_original_is_a_404_and_fails_processing(owner_client, storage):
    image = uploaded(owner_client)
    storage.delete(Image.objects.get(id=image["id"]).file.name)
    response, _ = download(owner_client, image["id"])
    assert response.status_code == 404
    assert response.json() == {"detail": "The file is missing from storage."}
    process(image["id"])
    row = Image.objects.get(id=image["id"])
    assert (row.status, row.error) == ("failed", "The original file is missing from storage.")


def test_processing_twice_gives_the_same_files(owner_client, storage):
    image = uploaded(owner_client)
    process(image["id"])
    first = {key: storage.read(key) for key in storage.object_keys()}
    Task.objects.filter(id=image["task"]).update(status="running")  # the message came back
    process(image["id"])
    assert {key: storage.read(key) for key in storage.object_keys()} == first


def test_rendition_is_404_until_ready_and_unknown_names_400(owner_client, storage):
    image = uploaded(owner_client)
    response, _ = download(owner_client, image["id"], "100x100")
    assert response.status_code == 404
    assert "not ready" in response.json()["detail"]
    assert download(owner_client, image["id"])[0].status_code == 200  # the original is there at once
    response, _ = download(owner_client, image["id"], "huge")
    assert response.status_code == 400
    assert "Unknown rendition 'huge'" in response.json()["rendition"][0]
    process(image["id"])
    response, data = download(owner_client, image["id"], "100x100")
    assert PILImage.open(io.BytesIO(data)).size == (100, 80)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_renditions_made_under_an_older_setting_stay_downloadable(owner_client, settings):
    image = uploaded(owner_client)
    process(image["id"])
    settings.IMAGE_RENDITION_SIZES = [200]  # changed after this image was processed
    listed = owner_client.get(f"/api/images/{image['id']}/").json()["renditions"]
    assert [r["name"] for r in listed] == ["100x100", "500x500", "grayscale"]
    for rendition in listed:
        response = owner_client.get(rendition["url"])
        assert response.status_code == 200, response.content
        assert len(b"".join(response)) == rendition["size"]
    # A name this image never had is unknown, even when the setting now makes it.
    response, _ = download(owner_client, image["id"], "200x200")
    assert response.status_code == 400
    assert response.json() == {
        "rendition": ["Unknown rendition '200x200'. Choose one of: original, 100x100, 500x500, grayscale."]
    }
    # An image still processing will get the configured names: not ready yet, not unknown.
    fresh = uploaded(owner_client)
    response, _ = download(owner_client, fresh["id"], "200x200")
    assert response.status_code == 404
    assert "not ready" in response.json()["detail"]
    response, _ = download(owner_client, fresh["id"], "500x500")
    assert response.status_code == 400
    assert "Choose one of: original, 200x200, grayscale." in response.json()["rendition"][0]


def test_download_is_a_stream(owner_client, storage):
    image = uploaded(owner_client)
    response = owner_client.get(f"/api/images/{image['id']}/file/")
    assert response.streaming
    assert response["Content-Disposition"] == 'inline; filename="original.jpg"'


def test_another_users_image_is_404_everywhere(owner_client, other_client):
    image = uploaded(owner_client)
    process(image["id"])
    url = f"/api/images/{image['id']}/"
    assert other_client.get(url).status_code == 404
    assert other_client.patch(url, {"name": "mine now"}, format="json").status_code == 404
    assert other_client.put(url, {"name": "mine now"}, format="json").status_code == 404
    assert other_client.delete(url).status_code == 404
    for rendition in [None, "100x100", "grayscale"]:
        assert download(other_client, image["id"], rendition)[0].status_code == 404
    assert other_client.get("/api/images/").json()["count"] == 0
    assert Image.objects.get(id=image["id"]).name == image["name"]


def test_anonymous_and_forged_tokens_get_401(owner_client, anon_client):
    image = uploaded(owner_client)
    url = f"/api/images/{image['id']}/"
    assert anon_client.get("/api/images/").status_code == 401
    assert anon_client.get(url).status_code == 401
    assert (
        anon_client.post("/api/images/", {"file": upload(make_image())}, format="multipart").status_code
        == 401
    )
    assert anon_client.patch(url, {"name": "x"}, format="json").status_code == 401
    assert anon_client.delete(url).status_code == 401
    response, _ = download(anon_client, image["id"])
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response, _ = download(anon_client, image["id"])
    assert response.status_code == 401
    assert response.json()["detail"] == anon_client.get(url).json()["detail"]  # as the DRF views say it
    assert anon_client.get(url).status_code == 401


def test_image_process_is_not_a_public_kind(owner_client):
    response = owner_client.post(
        "/api/tasks/", {"kind": "image_process", "params": {"image_id": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert "Unknown task kind" in response.json()["kind"][0]


def test_upload_task_is_listed_among_the_owners_tasks(owner_client):
    image = uploaded(owner_client)
    tasks = owner_client.get("/api/tasks/?kind=image_process").json()["results"]
    assert [task["id"] for task in tasks] == [image["task"]]


def test_upload_succeeds_and_keeps_its_event_when_it_cannot_be_published(
    owner_client, settings, django_capture_on_commit_callbacks
):
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"  # the events' broker is down
    with django_capture_on_commit_callbacks(execute=True):
        response = post_image(owner_client, make_image())
    assert response.status_code == 201
    assert Image.objects.filter(id=response.json()["id"]).exists()
    # In the outbox, written with the image: the relay publishes it once the broker is back.
    [event] = OutboxEvent.objects.all()
    assert (event.routing_key, event.payload["image_id"]) == ("image.created", response.json()["id"])


def test_oversized_body_is_413_before_it_is_read(owner_client, media_root, settings):
    settings.IMAGE_MAX_BYTES = 1000
    response = post_image(owner_client, make_image("BMP", (300, 300)), "big.bmp")  # 270 KB
    assert response.status_code == 413
    assert response.json()["detail"] == "Images may be at most 1,000 bytes."
    assert not Image.objects.exists()
    assert files_under(media_root) == []


def expired_token(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


@pytest.mark.parametrize(
    "token",
    [expired_token, lambda user: "forged." + str(AccessToken.for_user(user)).split(".", 1)[1]],
    ids=["expired", "forged"],
)
@pytest.mark.parametrize("path", ["", "file/", "file/?rendition=100x100"])
def test_expired_or_forged_token_is_401_on_every_image_endpoint(
    owner, owner_client, anon_client, token, path
):
    image = uploaded(owner_client)
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token(owner)}")
    response = anon_client.get(f"/api/images/{image['id']}/{path}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_browsable_api_offers_upload_and_edit_forms(owner, owner_client):
    image = uploaded(owner_client, tags="sea")
    owner_client.force_authenticate(owner)
    page = owner_client.get("/api/images/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert 'name="file"' in page.content.decode()
    page = owner_client.get(f"/api/images/{image['id']}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    # A change of name or tags is JSON only: the page offers the raw JSON form, no file field.
    html = page.content.decode()
    assert 'name="_content"' in html and 'value="application/json"' in html
    assert 'name="file"' not in html and "multipart/form-data" not in html


def test_a_storage_error_is_retried_and_the_image_stays_processing(owner_client, media_root):
    image = uploaded(owner_client)
    # A directory (not empty) where a rendition goes: writing it fails with an OSError, as
    # a full disk or an object store timing out would.
    blocker = media_root / "images" / image["id"] / "100x100.jpg"
    blocker.mkdir(parents=True)
    (blocker / "in-the-way").write_bytes(b"")
    with pytest.raises(TransientTaskError, match="Storage error"):
        process(image["id"], can_retry=True)
    row = Image.objects.get(id=image["id"])
    assert (row.status, row.task.status) == ("processing", "queued")
    assert row.task.error.startswith("Delivery 1 failed, retrying: Storage error")

    (blocker / "in-the-way").unlink()
    blocker.rmdir()
    process(image["id"], can_retry=True)
    assert owner_client.get(f"/api/images/{image['id']}/").json()["status"] == "ready"


def test_a_storage_error_on_the_last_try_fails_the_image_with_the_reason(owner_client, media_root):
    image = uploaded(owner_client)
    blocker = media_root / "images" / image["id"] / "100x100.jpg"
    blocker.mkdir(parents=True)
    (blocker / "in-the-way").write_bytes(b"")
    process(image["id"], can_retry=False)
    shown = owner_client.get(f"/api/images/{image['id']}/").json()
    assert shown["status"] == "failed"
    assert shown["error"].startswith("Storage error")


# --- Updates that race other requests -------------------------------------------------
# Two transactions at once: the test holds a change open on the image's row while a PATCH
# runs on a thread (with its own database connection), waits until that PATCH is waiting
# for the row, then commits. Nothing is enqueued, and with RABBITMQ_URL unset the image
# events are logged here instead of reaching the shared broker.


def stored_image(owner, *, name: str) -> Image:
    """An image row as an upload leaves it, without the upload's processing task."""
    return Image.objects.create(owner=owner, name=name, file="x", size=1, format="JPEG", extension="jpg")


def on_own_connection(call):
    def run():
        try:
            return call()
        finally:
            connection.close()

    return run


def a_query_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps showing its first look at pg_stat_activity.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def racing(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    settings.RABBITMQ_URL = ""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


@pytest.mark.django_db(transaction=True)
def test_a_tags_only_patch_keeps_a_rename_that_committed_meanwhile(racing, owner, owner_client):
    image = stored_image(owner, name="old")
    url = f"/api/images/{image.id}/"
    with transaction.atomic():
        image_update(image=Image.objects.get(id=image.id), name="new")  # another request's rename
        patch = racing.submit(
            on_own_connection(lambda: owner_client.patch(url, {"tags": ["x"]}, format="json"))
        )
        wait_for(a_query_waits_for_a_lock, timeout=10, what="the PATCH to wait for the renamed row")
    response = patch.result(timeout=10)
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["tags"]) == ("new", ["x"])
    assert Image.objects.get(id=image.id).name == "new"


@pytest.mark.django_db(transaction=True)
def test_a_patch_racing_a_delete_is_404_like_any_missing_image(racing, owner, owner_client):
    image = stored_image(owner, name="old")
    url = f"/api/images/{image.id}/"
    owner_client.raise_request_exception = False  # a 500 comes back as a response
    with transaction.atomic():
        image_delete(image=Image.objects.get(id=image.id))
        patch = racing.submit(
            on_own_connection(lambda: owner_client.patch(url, {"name": "n"}, format="json"))
        )
        wait_for(a_query_waits_for_a_lock, timeout=10, what="the PATCH to wait for the deleted row")
    response = patch.result(timeout=10)
    assert response.status_code == 404, response.content
    missing = owner_client.patch(url, {"name": "n"}, format="json")
    assert (missing.status_code, missing.json()) == (404, response.json())
