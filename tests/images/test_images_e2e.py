"""Images end to end: the API, a real worker process over RabbitMQ, Redis, the events
exchange, and the image-events listener as its own process.

The tests that take `worker_storage` run on both storages: on MEDIA_ROOT with the shared
worker (which reads the default MEDIA_ROOT from its environment, so these tests keep it
too, and remove every file they made), and on an S3 bucket with a worker of their own.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Callable

import pika
import pytest
from django.conf import settings
from django.db import connection, transaction
from PIL import Image as PILImage

from core.events import event_publish
from images.models import Image, image_directory
from tests.helpers import wait_for
from tests.images.conftest import make_image, upload
from tests.images.event_queue import EventQueue
from tests.images.listener import ListenerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def events():
    queue = EventQueue(settings.IMAGE_EVENTS_EXCHANGE, routing_key="image.*")
    yield queue
    queue.close()


@pytest.fixture
def listener_queue():
    """A durable queue name of the test's own for the listener, deleted afterwards."""
    name = f"image-events-test-{uuid.uuid4().hex[:8]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(settings.RABBITMQ_URL))
    connection.channel().queue_delete(queue=name)
    connection.close()


@pytest.fixture
def start_listener(tmp_path, listener_queue):
    started: list[ListenerProcess] = []

    def start(
        rabbitmq_url: str = settings.RABBITMQ_URL, env: dict[str, str] | None = None
    ) -> ListenerProcess:
        listener = ListenerProcess(
            log_dir=tmp_path / f"listener-{len(started) + 1}",
            env={"IMAGE_EVENTS_QUEUE": listener_queue, "RABBITMQ_URL": rabbitmq_url, **(env or {})},
        )
        started.append(listener)
        listener.wait_until_listening()
        return listener

    yield start
    for listener in started:
        listener.stop()


def hold_image_locks_after_commit(owner) -> Callable[[], None]:
    """Once the transaction commits, lock the owner's image rows from another connection
    until the returned function is called."""
    locked, released = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Image.objects.select_for_update().filter(owner=owner))
                locked.set()
                released.wait(timeout=60)
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=hold)
    transaction.on_commit(lambda: (thread.start(), locked.wait(timeout=30)))

    def release() -> None:
        released.set()
        thread.join()

    return release


def detail(client, image_id: str) -> dict:
    return client.get(f"/api/images/{image_id}/").json()


def finished_task(client, task_id: str) -> dict:
    return wait_for(
        lambda: (t := client.get(f"/api/tasks/{task_id}/").json())["finished_at"] and t,
        what="the task to finish",
    )


def test_phone_photo_upload_process_rename_delete_with_events(
    worker_storage, owner, owner_client, made_images, events, start_listener
):
    listener = start_listener()
    content = make_image("JPEG", (4000, 3000), orientation=6)  # a portrait, as phones store it
    with transaction.atomic():
        # Runs first after the commit, before the message goes out: the worker then waits
        # for this lock to record its outcome, so the cached "processing" below is certain.
        release = hold_image_locks_after_commit(owner)
        response = owner_client.post(
            "/api/images/",
            {"file": upload(content, "IMG_0001.JPG"), "tags": "phone,holiday"},
            format="multipart",
        )
    assert response.status_code == 201
    image_id = response.json()["id"]
    made_images.append(image_id)
    assert response.json()["status"] == "processing"
    assert detail(owner_client, image_id)["status"] == "processing"  # now cached in Redis
    release()

    # The worker's change reaches the cached detail: processing invalidates it.
    image = wait_for(lambda: (d := detail(owner_client, image_id))["status"] == "ready" and d, what="ready")
    assert (image["resolution"], image["format"], image["size"]) == ("3000x4000", "JPEG", len(content))
    sizes = {r["name"]: (r["width"], r["height"]) for r in image["renditions"]}
    assert sizes == {"100x100": (75, 100), "500x500": (375, 500), "grayscale": (375, 500)}
    for rendition in image["renditions"]:
        response = owner_client.get(rendition["url"])
        assert response.status_code == 200
        picture = PILImage.open(io.BytesIO(b"".join(response)))
        assert picture.size == sizes[rendition["name"]]
        assert (picture.mode == "L") is (rendition["name"] == "grayscale")
    task = finished_task(owner_client, image["task"])  # the task is written after the image
    assert (task["kind"], task["status"]) == ("image_process", "succeeded")
    assert len(worker_storage.object_keys(f"{image_directory(image_id)}/")) == 4

    response = owner_client.patch(
        f"/api/images/{image_id}/", {"name": "Portrait", "tags": ["family"]}, format="json"
    )
    assert (response.json()["name"], response.json()["tags"]) == ("Portrait", ["family"])
    assert detail(owner_client, image_id)["name"] == "Portrait"
    assert owner_client.delete(f"/api/images/{image_id}/").status_code == 204
    wait_for(lambda: not worker_storage.object_keys(f"{image_directory(image_id)}/"), what="the files to go")

    received = events.wait_for_events(4)
    assert [event["event"] for event in received] == [
        "image.created",
        "image.processed",
        "image.updated",
        "image.deleted",
    ]
    for event in received:
        assert event.keys() == {"event", "image_id", "owner_id", "occurred_at", "data", "sequence"}
        assert (event["image_id"], event["owner_id"]) == (image_id, owner.id)
    assert sorted(event["sequence"] for event in received) == [1, 2, 3, 4]
    assert received[0]["data"]["tags"] == ["phone", "holiday"]
    assert received[1]["data"] == {"status": "ready", "renditions": ["100x100", "500x500", "grayscale"]}
    assert received[2]["data"] == {"name": "Portrait", "tags": ["family"]}

    def logged() -> list[dict]:
        lines = [json.loads(line) for line in listener.lines if line.startswith("{")]
        return [line for line in lines if line.get("image_id") == image_id]

    lines = wait_for(lambda: len(logged()) >= 4 and logged(), what="the listener to log four events")
    assert [line["event"] for line in lines] == [event["event"] for event in received]
    assert all(line["routing_key"] == line["event"] for line in lines)


def test_original_damaged_in_storage_marks_image_and_task_failed(
    worker_storage, owner_client, made_images, events
):
    # The message goes out when the block commits, after the original was cut short.
    with transaction.atomic():
        response = owner_client.post(
            "/api/images/", {"file": upload(make_image("JPEG", (800, 600)))}, format="multipart"
        )
        image_id = response.json()["id"]
        made_images.append(image_id)
        original = Image.objects.get(id=image_id).file.name
        worker_storage.write(original, worker_storage.read(original)[:1500])
    image = wait_for(
        lambda: (d := detail(owner_client, image_id))["status"] != "processing" and d, what="the outcome"
    )
    assert image["status"] == "failed"
    assert "truncated" in image["error"]
    assert image["renditions"] == []
    task = finished_task(owner_client, image["task"])
    assert (task["status"], task["error"]) == ("failed", image["error"])
    processed = events.wait_for_events(2)[1]  # image.created always goes out first
    assert processed["event"] == "image.processed"
    assert processed["data"] == {"status": "failed", "error": image["error"]}


def test_listener_reconnects_when_the_broker_goes_away_and_comes_back(start_listener, broker_proxy):
    listener = start_listener(broker_proxy.url)
    broker_proxy.cut()  # what a RabbitMQ restart does to its clients: dropped, then refused
    wait_for(lambda: "unreachable" in listener.errors, what="the listener to find RabbitMQ gone")
    assert "connection lost" in listener.errors
    broker_proxy.restore()
    listener.wait_until_listening(times=2)

    event_publish(
        exchange=settings.IMAGE_EVENTS_EXCHANGE,
        routing_key="image.updated",
        body=json.dumps({"event": "image.updated", "image_id": "after-reconnect"}).encode(),
    )
    wait_for(
        lambda: any("after-reconnect" in line for line in listener.lines),
        what="the event after reconnecting",
    )


def test_listener_reconnects_when_the_broker_stops_answering(start_listener, broker_proxy):
    listener = start_listener(broker_proxy.url, {"RABBITMQ_HEARTBEAT": "2"})
    broker_proxy.hold()  # a broker that keeps the connection and says nothing more
    wait_for(lambda: "connection lost" in listener.errors, what="the listener to give up the hung connection")
    broker_proxy.restore()
    listener.wait_until_listening(times=2)


def test_listener_gets_events_published_while_it_was_down(start_listener):
    first = start_listener()
    first.stop()
    event_publish(
        exchange=settings.IMAGE_EVENTS_EXCHANGE,
        routing_key="image.deleted",
        body=json.dumps({"event": "image.deleted", "image_id": "while-down"}).encode(),
    )
    event_publish(exchange=settings.IMAGE_EVENTS_EXCHANGE, routing_key="image.updated", body=b"not json")
    second = start_listener()
    lines = wait_for(lambda: len(second.lines) >= 3 and second.lines, what="the queued events")
    assert json.loads(lines[1]) == {
        "event": "image.deleted",
        "image_id": "while-down",
        "routing_key": "image.deleted",
    }
    assert json.loads(lines[2]) == {"routing_key": "image.updated", "unparsed": "not json"}
