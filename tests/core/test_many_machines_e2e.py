"""Many machines: worker processes share nothing with the web process but PostgreSQL,
RabbitMQ, Redis and the bucket.

Each worker here has a MEDIA_ROOT of its own (as it would on a host of its own) and keeps
files in the S3 bucket (moto's server, tests/s3.py); this process plays the web server.
The session's worker, which shares this machine's MEDIA_ROOT, is stopped meanwhile, so
only these workers run the work.
"""

from __future__ import annotations

import hashlib

import pytest

from images.models import Image
from tests.codecheck.sources import DIRTY, py_upload
from tests.helpers import wait_for
from tests.images.conftest import files_under, make_image, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TASKS = "/api/tasks/"


def submit(client, kind: str, params: dict) -> str:
    response = client.post(TASKS, {"kind": kind, "params": params}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def finished(client, task_id: str, timeout: float = 60) -> dict:
    return wait_for(
        lambda: (task := client.get(f"{TASKS}{task_id}/").json())["finished_at"] and task,
        timeout=timeout,
        what=f"task {task_id} to finish",
    )


def started_kinds(worker) -> list[str]:
    return [record["kind"] for record in worker.log_records() if record["message"] == "task started"]


def upload_image(client, content: bytes) -> str:
    response = client.post("/api/images/", {"file": upload(content)}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def image_ready(client, image_id: str) -> dict:
    return wait_for(
        lambda: (image := client.get(f"/api/images/{image_id}/").json())["status"] != "processing" and image,
        what=f"image {image_id} to be processed",
    )


def test_two_workers_with_their_own_media_roots_run_every_capability(
    without_session_worker, start_worker, s3_bucket, smtp, owner_client, settings, tmp_path
):
    roots = {name: tmp_path / name for name in ("web", "worker-a", "worker-b")}
    settings.MEDIA_ROOT = roots["web"]
    settings.MD5_ALLOW_PRIVATE = True  # the bucket is on loopback (the workers allow it too)
    workers = [
        start_worker(threads=1, env={**s3_bucket.env, "MEDIA_ROOT": str(roots[name])})
        for name in ("worker-a", "worker-b")
    ]

    # Images: more uploads than one single-thread worker prefetches, so both take some.
    contents = [make_image("PNG", (300 + 10 * n, 200)) for n in range(6)]
    image_ids = [upload_image(owner_client, content) for content in contents]
    for image_id, content in zip(image_ids, contents, strict=True):
        image = image_ready(owner_client, image_id)
        assert image["status"] == "ready", image
        response = owner_client.get(f"/api/images/{image_id}/file/")
        assert b"".join(response) == content
        thumbnail = owner_client.get(f"/api/images/{image_id}/file/?rendition=100x100")
        [stored] = [r["path"] for r in Image.objects.get(id=image_id).renditions if r["name"] == "100x100"]
        assert b"".join(thumbnail) == s3_bucket.read(stored)
    for worker in workers:
        assert "image_process" in started_kinds(worker)

    # md5 of an object in the bucket, fetched by a worker over HTTP with a presigned URL.
    key = f"images/{image_ids[0]}/original.png"
    url = s3_bucket.server.client().generate_presigned_url(
        "get_object", Params={"Bucket": s3_bucket.name, "Key": key}, ExpiresIn=300
    )
    md5 = finished(owner_client, submit(owner_client, "md5", {"url": url}))
    assert md5["status"] == "succeeded", md5["error"]
    assert md5["result"]["md5"] == hashlib.md5(contents[0]).hexdigest()

    # sleep, and two sequential tasks: the second starts after the first finished.
    sleep = finished(owner_client, submit(owner_client, "sleep", {"seconds": 1}))
    assert (sleep["status"], sleep["result"]) == ("succeeded", {"slept": 1})
    lane = [submit(owner_client, "sequential", {"num": n, "timeout": 1}) for n in (1, 2)]
    first, second = (finished(owner_client, task_id) for task_id in lane)
    assert (first["result"], second["result"]) == ({"num": 1}, {"num": 2})
    assert second["started_at"] >= first["finished_at"]

    # A code check, "now", with its report mailed.
    response = owner_client.post("/api/codecheck/files/", {"file": py_upload(DIRTY)}, format="multipart")
    file_id = response.json()["id"]
    assert owner_client.post(f"/api/codecheck/files/{file_id}/check/").status_code == 202

    def emailed_checks() -> list[dict]:
        checks = owner_client.get("/api/codecheck/checks/", {"file": file_id}).json()["results"]
        return [check for check in checks if check["email_sent"]]

    [check] = wait_for(emailed_checks, what="the check and its mail")
    assert (check["result"], check["issue_count"]) == ("failed", 3)
    assert len(smtp.messages) == 1

    # Deleting removes the objects (after commit, from this process): none were on a disk.
    for image_id in image_ids:
        assert owner_client.delete(f"/api/images/{image_id}/").status_code == 204
    assert s3_bucket.object_keys() == []
    for root in roots.values():
        assert files_under(root) == []


def test_a_worker_per_queue_keeps_images_moving_under_a_flood_of_sleeps(
    without_session_worker, start_worker, owner_client, s3_bucket
):
    sleeper = start_worker(threads=1, queues=["sleep"], env=s3_bucket.env)
    imager = start_worker(threads=1, queues=["images"], env=s3_bucket.env)
    flood = [submit(owner_client, "sleep", {"seconds": 20}) for _ in range(5)]
    wait_for(lambda: "sleep" in started_kinds(sleeper), what="the sleep worker to start a sleep")

    image = image_ready(owner_client, upload_image(owner_client, make_image("JPEG", (640, 480))))
    assert image["status"] == "ready", image
    statuses = [owner_client.get(f"{TASKS}{task_id}/").json()["status"] for task_id in flood]
    assert statuses.count("queued") == 4  # the flood is still waiting for its one thread
    assert started_kinds(imager) == ["image_process"]
    assert set(started_kinds(sleeper)) == {"sleep"}
    for task_id in flood:
        owner_client.post(f"{TASKS}{task_id}/cancel/")
