"""Publish domain events as JSON to a durable RabbitMQ topic exchange, after commit.

An event describes a change that has already happened, so it goes out only once the
transaction that made the change commits, and a broker that is down never undoes the
change or fails the request: the publish is retried a few times, then logged and dropped.

With no RABBITMQ_URL (the embedded default) there is no exchange: events are logged
in-process instead, which is what the listener would have printed.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

import pika
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core.retry import retry

logger = logging.getLogger(__name__)

# Short timeouts: a publish runs in the request's thread once the transaction commits.
CONNECT_TIMEOUT_SECONDS = 3


def event_publish_on_commit(*, exchange: str, routing_key: str, payload: dict[str, Any]) -> None:
    """Publish `payload` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_publish_or_log, exchange, routing_key, payload))


def _publish_or_log(exchange: str, routing_key: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, cls=DjangoJSONEncoder).encode()
    if not settings.RABBITMQ_URL:
        logger.info("event %s", routing_key, extra={"event": routing_key, "payload": payload})
        return
    try:
        event_publish(exchange=exchange, routing_key=routing_key, body=body)
    except Exception:
        logger.exception(
            "event not published", extra={"event": routing_key, "exchange": exchange, "payload": payload}
        )


def declare_exchange(channel: Any, exchange: str) -> None:
    """The exchange both sides declare: durable, topic routing (`image.*`)."""
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)


def connection_parameters() -> pika.URLParameters:
    params = pika.URLParameters(settings.RABBITMQ_URL)
    params.socket_timeout = CONNECT_TIMEOUT_SECONDS
    params.blocked_connection_timeout = CONNECT_TIMEOUT_SECONDS
    return params


@retry(times=3, delay=1, exceptions=(Exception,))
def event_publish(*, exchange: str, routing_key: str, body: bytes) -> None:
    """Publish one persistent message and wait for the broker's confirm.

    A fresh connection each time: events are rare next to requests, and a retry then
    never inherits a broken channel. With publisher confirms, a message the broker did
    not take (nacked, connection lost) is an error here instead of a silent drop.
    """
    connection = pika.BlockingConnection(connection_parameters())
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        declare_exchange(channel, exchange)
        channel.basic_publish(
            exchange=exchange,
            routing_key=routing_key,
            body=body,
            properties=pika.BasicProperties(
                content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent
            ),
        )
    finally:
        connection.close()
    logger.info("event published", extra={"event": routing_key, "exchange": exchange})
