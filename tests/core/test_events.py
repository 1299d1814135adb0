"""Publishing events through the outbox: a row in the change's transaction, then RabbitMQ.

The tests commit for real (`transaction=True`): the publish happens on a thread of its own
after commit, and the relay's publishing reads committed rows.
"""

from __future__ import annotations

import logging

import pika
import pytest
from django.conf import settings
from django.db import transaction
from pika.exceptions import ChannelClosedByBroker

from core.events import event_publish_on_commit, events_publish_pending
from core.models import OutboxEvent
from tests.helpers import wait_for
from tests.images.event_queue import EventQueue

pytestmark = pytest.mark.django_db(transaction=True)
needs_rabbitmq = pytest.mark.skipif(not settings.RABBITMQ_URL, reason="needs RABBITMQ_URL")
EXCHANGE = "events-test"


@pytest.fixture
def queue():
    events = EventQueue(EXCHANGE)
    yield events
    events.close()


@pytest.fixture
def no_pauses(monkeypatch) -> None:
    """The retry decorator's pauses (and every other time.sleep) return at once."""
    monkeypatch.setattr("core.retry.time.sleep", lambda seconds: None)


def sent(event: OutboxEvent) -> bool:
    return OutboxEvent.objects.get(id=event.id).sent_at is not None


@needs_rabbitmq
def test_event_goes_out_after_commit_as_persistent_json_and_is_marked_sent(queue):
    payload = {"event": "thing.happened", "id": 7, "data": {"list": [1, 2]}}
    with transaction.atomic():
        event = event_publish_on_commit(exchange=EXCHANGE, routing_key="thing.happened", payload=payload)
        assert queue.events() == []  # nothing before the commit
    assert queue.wait_for_events(1) == [payload]
    routing_key, properties, _ = queue.received[0]
    assert routing_key == "thing.happened"
    assert properties.delivery_mode == pika.DeliveryMode.Persistent.value
    assert properties.content_type == "application/json"
    wait_for(lambda: sent(event), what="the event marked sent")


@needs_rabbitmq
def test_a_rolled_back_change_publishes_nothing(queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_publish_on_commit(exchange=EXCHANGE, routing_key="a.b", payload={})
        raise RuntimeError("the change fails")
    assert not OutboxEvent.objects.exists()
    assert events_publish_pending(grace_seconds=0) == 0
    assert queue.events() == []


@needs_rabbitmq
def test_the_exchange_is_a_durable_topic_exchange(queue):
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


def gave_up(caplog) -> bool:
    return any(r.getMessage() == "event not published yet, the relay will" for r in caplog.records)


@needs_rabbitmq
def test_an_event_no_queue_would_take_is_kept_until_one_does(no_pauses, caplog):
    # mandatory: with no queue bound, the broker returns the message; it stays pending.
    event = event_publish_on_commit(exchange=EXCHANGE, routing_key="nobody.listens", payload={"n": 1})
    wait_for(lambda: gave_up(caplog), what="the publish to be tried three times")
    assert not sent(event)
    queue = EventQueue(EXCHANGE)
    try:
        assert events_publish_pending(grace_seconds=0) == 1
        assert queue.wait_for_events(1) == [{"n": 1}]
    finally:
        queue.close()
    assert sent(event)


@needs_rabbitmq
def test_with_the_broker_away_the_event_waits_and_the_relay_sends_it_when_back(
    settings, queue, no_pauses, caplog
):
    url = settings.RABBITMQ_URL
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"  # nothing listens on port 1
    event = event_publish_on_commit(exchange=EXCHANGE, routing_key="x.y", payload={"n": 1})
    wait_for(lambda: gave_up(caplog), what="three tries")
    assert [r.attempt for r in caplog.records if r.name == "core.retry"] == [1, 2]
    assert not sent(event)
    settings.RABBITMQ_URL = url
    assert events_publish_pending(grace_seconds=0) == 1
    assert queue.wait_for_events(1) == [{"n": 1}]
    assert events_publish_pending(grace_seconds=0) == 0  # sent once


def test_events_of_one_subject_are_numbered_in_commit_order(settings):
    settings.RABBITMQ_URL = ""
    numbers = [
        event_publish_on_commit(exchange=EXCHANGE, routing_key="a.b", payload={}, sequence_key=key).payload[
            "sequence"
        ]
        for key in ["image:1", "image:1", "image:2", "image:1"]
    ]
    assert numbers == [1, 2, 1, 3]


def test_without_rabbitmq_the_event_is_logged_in_process(settings, caplog):
    settings.RABBITMQ_URL = ""
    with caplog.at_level(logging.INFO, logger="core.events"):
        event = event_publish_on_commit(
            exchange=EXCHANGE, routing_key="image.created", payload={"image_id": "1"}
        )
    [record] = [r for r in caplog.records if r.name == "core.events"]
    assert record.getMessage() == "event image.created"
    assert record.payload == {"image_id": "1"}
    assert sent(event)
