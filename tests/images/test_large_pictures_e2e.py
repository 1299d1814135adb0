"""50 MP pictures through a real worker process: correct renditions, bounded memory, and a
picture whose header passes but whose pixels do not ends `failed`.

Each test runs a fresh worker of its own (so its peak memory is its own) and stops the
session's worker meanwhile, so no message goes elsewhere; the session's worker is started
again afterwards.
"""

from __future__ import annotations

import io

import psutil
import pytest
from PIL import ExifTags
from PIL import Image as PILImage

from tests.helpers import wait_for
from tests.images.conftest import upload
from tests.images.test_images_e2e import detail, finished_task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIDE = 7071  # just under the default IMAGE_MAX_PIXELS (50 MP)
THREADS = 4


@pytest.fixture
def own_worker(worker, start_worker):
    worker.stop()
    try:
        yield start_worker(threads=THREADS, env={"IMAGE_LARGE_DECODES": "1"})
    finally:
        worker.restart()


def peak_rss(worker) -> int:
    """The peak resident memory (VmHWM, bytes) of the worker's busiest process."""
    peaks = []
    for pid in worker.child_pids():
        with open(f"/proc/{pid}/status") as status:
            peaks.append(next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")))
    return max(peaks)


def encoded(fmt: str, img: PILImage.Image, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def post(client, content: bytes, name: str) -> str:
    response = client.post("/api/images/", {"file": upload(content, name)}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def outcome(client, image_id: str) -> dict:
    return wait_for(
        lambda: (d := detail(client, image_id))["status"] != "processing" and d,
        timeout=120,
        what="the image to be processed",
    )


def test_50_mp_pictures_at_once_decode_one_at_a_time_with_right_renditions(
    own_worker, owner_client, made_images
):
    before = peak_rss(own_worker)
    assert psutil.Process(own_worker.child_pids()[0]).num_threads() >= THREADS
    # As many 50 MP PNGs as the worker has threads: without the gate each thread would
    # hold a decoded picture (200 MB) at once.
    png = encoded("PNG", PILImage.new("RGB", (SIDE, SIDE), "white"))
    ids = [post(owner_client, png, f"big-{n}.png") for n in range(THREADS)]
    made_images.extend(ids)
    for image_id in ids:
        image = outcome(owner_client, image_id)
        assert image["status"] == "ready", image["error"]
        sizes = {r["name"]: (r["width"], r["height"]) for r in image["renditions"]}
        assert sizes == {"100x100": (100, 100), "500x500": (500, 500), "grayscale": (500, 500)}
    decoded = SIDE * SIDE * 4
    grown = peak_rss(own_worker) - before
    assert grown < 2 * decoded, f"the worker grew by {grown / 2**20:.0f} MB"


def test_50_mp_phone_jpeg_is_turned_upright_and_never_enlarged(own_worker, owner_client, made_images):
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    stored = PILImage.new("RGB", (8660, 5773), "blue")  # 50 MP, stored on its side
    stored.paste("red", (0, 0, 4330, 5773))
    image_id = post(owner_client, encoded("JPEG", stored, exif=exif, quality=70), "big.jpg")
    small_id = post(owner_client, encoded("JPEG", PILImage.new("L", (80, 60), 128)), "small.jpg")
    made_images.extend([image_id, small_id])

    image = outcome(owner_client, image_id)
    assert (image["status"], image["resolution"]) == ("ready", "5773x8660")
    sizes = {r["name"]: (r["width"], r["height"]) for r in image["renditions"]}
    assert sizes == {"100x100": (67, 100), "500x500": (333, 500), "grayscale": (333, 500)}
    response = owner_client.get(f"/api/images/{image_id}/file/?rendition=500x500")
    picture = PILImage.open(io.BytesIO(b"".join(response))).convert("RGB")
    red, _, blue = picture.getpixel((picture.width // 2, 10))
    assert red > blue  # the stored left half is on top once turned upright
    gray = owner_client.get(f"/api/images/{image_id}/file/?rendition=grayscale")
    assert PILImage.open(io.BytesIO(b"".join(gray))).mode == "L"

    small = outcome(owner_client, small_id)
    assert {(r["width"], r["height"]) for r in small["renditions"]} == {(80, 60)}


def test_a_picture_whose_pixels_do_not_decode_ends_failed_with_its_task(
    own_worker, owner_client, made_images
):
    content = encoded("GIF", PILImage.effect_noise((2000, 1500), 60))
    image_id = post(owner_client, content[: len(content) // 2], "cut.gif")  # the header is whole
    made_images.append(image_id)
    image = outcome(owner_client, image_id)
    assert image["status"] == "failed"
    assert image["error"].startswith("The image is damaged or truncated")
    assert image["renditions"] == []
    task = finished_task(owner_client, image["task"])
    assert (task["status"], task["error"]) == ("failed", image["error"])
