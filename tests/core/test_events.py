"""Publishing events to RabbitMQ: after commit, durable, persistent, retried, never fatal."""

from __future__ import annotations

import logging

import pika
import pytest
from django.conf import settings
from pika.exceptions import ChannelClosedByBroker

from core.events import event_publish_on_commit
from tests.images.event_queue import EventQueue

pytestmark = pytest.mark.django_db  # on_commit asks the connection whether a transaction is open
needs_rabbitmq = pytest.mark.skipif(not settings.RABBITMQ_URL, reason="needs RABBITMQ_URL")
EXCHANGE = "events-test"


@pytest.fixture
def queue():
    events = EventQueue(EXCHANGE)
    yield events
    events.close()


@pytest.fixture
def no_pauses(monkeypatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr("core.retry.time.sleep", pauses.append)
    return pauses


@needs_rabbitmq
def test_event_goes_out_after_commit_as_persistent_json(queue, django_capture_on_commit_callbacks):
    payload = {"event": "thing.happened", "id": 7, "data": {"list": [1, 2]}}
    with django_capture_on_commit_callbacks() as callbacks:
        event_publish_on_commit(exchange=EXCHANGE, routing_key="thing.happened", payload=payload)
        assert queue.events() == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert queue.wait_for_events(1) == [payload]
    routing_key, properties, _ = queue.received[0]
    assert routing_key == "thing.happened"
    assert properties.delivery_mode == pika.DeliveryMode.Persistent.value
    assert properties.content_type == "application/json"


@needs_rabbitmq
def test_the_exchange_is_a_durable_topic_exchange(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event_publish_on_commit(exchange=EXCHANGE, routing_key="a.b", payload={})
    queue.wait_for_events(1)
    connection = pika.BlockingConnection(pika.URLParameters(settings.RABBITMQ_URL))
    try:
        # Declaring it again with other properties is refused: it is durable and topic.
        with pytest.raises(ChannelClosedByBroker, match="PRECONDITION_FAILED"):
            connection.channel().exchange_declare(exchange=EXCHANGE, exchange_type="topic", durable=False)
        with pytest.raises(ChannelClosedByBroker, match="PRECONDITION_FAILED"):
            connection.channel().exchange_declare(exchange=EXCHANGE, exchange_type="fanout", durable=True)
    finally:
        connection.close()


def test_unreachable_broker_is_retried_three_times_then_logged_not_raised(
    settings, caplog, no_pauses, django_capture_on_commit_callbacks
):
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"  # nothing listens on port 1
    with caplog.at_level(logging.INFO, logger="core"), django_capture_on_commit_callbacks(execute=True):
        event_publish_on_commit(exchange=EXCHANGE, routing_key="x.y", payload={"n": 1})
    assert no_pauses == [1, 1]
    retries = [r for r in caplog.records if r.name == "core.retry"]
    assert [r.attempt for r in retries] == [1, 2]
    failure = next(r for r in caplog.records if r.getMessage() == "event not published")
    assert (failure.levelno, failure.event, failure.payload) == (logging.ERROR, "x.y", {"n": 1})


def test_without_rabbitmq_the_event_is_logged_in_process(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.RABBITMQ_URL = ""
    with (
        caplog.at_level(logging.INFO, logger="core.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event_publish_on_commit(exchange=EXCHANGE, routing_key="image.created", payload={"image_id": "1"})
    [record] = [r for r in caplog.records if r.name == "core.events"]
    assert record.getMessage() == "event image.created"
    assert record.payload == {"image_id": "1"}
