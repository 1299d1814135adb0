"""Publish domain events as JSON to a durable RabbitMQ topic exchange, from an outbox.

An event describes a change that has already happened, so it is written as an
`OutboxEvent` row in the transaction that made the change: it exists exactly when the
change does. Once that commits, a background thread of this process publishes it (with
publisher confirms, `mandatory`, to an exchange and queue the publisher declares too) and
marks it sent; whatever is left (the broker was away, the process died in between) the
relay in every worker publishes within seconds (`events_publish_pending`). So events go
out at least once, and each carries a per-subject `sequence` to order them by.

With no RABBITMQ_URL (the embedded default) there is no exchange: events are logged
in-process instead, which is what the listener would have printed.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pika
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from core.amqp import connection_parameters
from core.models import EventSequence, OutboxEvent
from core.retry import retry

logger = logging.getLogger(__name__)

BATCH = 200
# One thread publishes what this process commits, so requests never wait for the broker.
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-publish")
_channels = threading.local()


def _next_sequence(key: str) -> int:
    """The next number for `key`, in one statement: an upsert whose row lock orders
    concurrent changes by commit (and lets two first events of a subject both count)."""
    table, key_column, last = (
        connection.ops.quote_name(name) for name in (EventSequence._meta.db_table, "key", "last")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {last}) VALUES (%s, 1) ON CONFLICT ({key_column}) "
            f"DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [key],
        )
        return cursor.fetchone()[0]


# savepoint=False: inside the caller's transaction (the change the event describes) a
# savepoint would only cost two statements; an error here fails the change too.
@transaction.atomic(savepoint=False)
def event_publish_on_commit(
    *, exchange: str, routing_key: str, payload: dict[str, Any], sequence_key: str = ""
) -> OutboxEvent:
    """Record the event in the current transaction; it is published once that commits.

    With `sequence_key` (an image's id, say) the payload gets `sequence`: 1, 2, 3... for
    the events of that subject, in commit order.
    """
    if sequence_key:
        payload = {**payload, "sequence": _next_sequence(sequence_key)}
    event = OutboxEvent.objects.create(exchange=exchange, routing_key=routing_key, payload=payload)
    event_id = event.id
    transaction.on_commit(lambda: _publish_soon(event_id), robust=True)
    return event


def _publish_soon(event_id: int) -> None:
    if not settings.RABBITMQ_URL:
        _publish_ids([event_id])  # nothing to wait for: the event is logged in-process
        return
    _publisher.submit(_publish_in_background, event_id)


def _publish_in_background(event_id: int) -> None:
    close_old_connections()
    try:
        _publish_ids([event_id])
    except Exception:
        logger.warning("event not published yet, the relay will", extra={"event_id": event_id}, exc_info=True)


def _publish_ids(ids: list[int]) -> int:
    """Publish the pending events among `ids`, oldest first, and mark them sent."""
    sent = 0
    with transaction.atomic():
        pending = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(id__in=ids, sent_at__isnull=True)
            .order_by("id")
        )
        for event in pending:
            _deliver(event)
            OutboxEvent.objects.filter(id=event.id).update(sent_at=timezone.now())
            sent += 1
    return sent


def _deliver(event: OutboxEvent) -> None:
    if not settings.RABBITMQ_URL:
        logger.info(
            "event %s", event.routing_key, extra={"event": event.routing_key, "payload": event.payload}
        )
        return
    body = json.dumps(event.payload, cls=DjangoJSONEncoder).encode()
    event_publish(exchange=event.exchange, routing_key=event.routing_key, body=body)


def events_publish_pending(*, grace_seconds: float | None = None) -> int:
    """The relay: publish events left unsent for a moment; returns how many went out."""
    grace = settings.TASK_RELAY_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    ids = list(
        OutboxEvent.objects.filter(sent_at__isnull=True, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:BATCH]
    )
    sent = _publish_ids(ids) if ids else 0
    if sent:
        logger.info("relay: events published", extra={"count": sent})
    return sent


def events_prune(*, older_than_days: int) -> int:
    """Delete sent events older than `older_than_days`; the outbox is not an archive."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = OutboxEvent.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def declare_exchange(channel: Any, exchange: str) -> None:
    """The exchange both sides declare: durable, topic routing (`image.*`)."""
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)


def declare_queues(channel: Any, exchange: str) -> None:
    """The exchange and its consumers' queues (EVENT_QUEUES), declared by both sides.

    The publisher declares the queues too, so an event published before any listener
    started waits in its queue instead of being dropped, and `mandatory` can tell a
    routing mistake from a listener that is simply not running.
    """
    declare_exchange(channel, exchange)
    for queue, binding in settings.EVENT_QUEUES.get(exchange, []):
        channel.queue_declare(queue=queue, durable=True)
        channel.queue_bind(queue=queue, exchange=exchange, routing_key=binding)


@retry(times=3, delay=1, exceptions=(Exception,))
def event_publish(*, exchange: str, routing_key: str, body: bytes) -> None:
    """Publish one persistent, mandatory message and wait for the broker's confirm.

    The channel is kept per thread (a new connection costs more than the publish); any
    error drops it, so the retry starts on a fresh one. With publisher confirms and
    `mandatory`, a message the broker did not take (nacked, unroutable, connection lost) is
    an error here instead of a silent drop.
    """
    channel = _channel(exchange)
    try:
        channel.basic_publish(
            exchange=exchange,
            routing_key=routing_key,
            body=body,
            properties=pika.BasicProperties(
                content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent
            ),
            mandatory=True,
        )
    except Exception:
        _drop_channel()
        raise
    logger.info("event published", extra={"event": routing_key, "exchange": exchange})


def _channel(exchange: str) -> Any:
    channel = getattr(_channels, "channel", None)
    if channel is None or not channel.is_open:
        _drop_channel()
        connection = pika.BlockingConnection(connection_parameters())
        channel = connection.channel()
        channel.confirm_delivery()
        _channels.connection, _channels.channel, _channels.declared = connection, channel, set()
    if exchange not in _channels.declared:
        declare_queues(channel, exchange)
        _channels.declared.add(exchange)
    return channel


def _drop_channel() -> None:
    connection = getattr(_channels, "connection", None)
    _channels.connection = _channels.channel = None
    if connection is not None and connection.is_open:
        try:
            connection.close()
        except Exception:
            logger.debug("closing a broken publisher connection failed", exc_info=True)
