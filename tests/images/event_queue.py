"""Read events back from RabbitMQ through a queue of the test's own."""

from __future__ import annotations

import json

import pika
from django.conf import settings

from core.events import declare_exchange
from tests.helpers import wait_for


class EventQueue:
    """An exclusive, server-named queue bound to the exchange; it goes when the test ends."""

    def __init__(self, exchange: str, routing_key: str = "#") -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(settings.RABBITMQ_URL))
        self.channel = self.connection.channel()
        declare_exchange(self.channel, exchange)
        self.queue = self.channel.queue_declare(queue="", exclusive=True).method.queue
        self.channel.queue_bind(queue=self.queue, exchange=exchange, routing_key=routing_key)
        self.received: list[tuple[str, pika.BasicProperties, dict]] = []

    def _drain(self) -> None:
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return
            self.received.append((method.routing_key, properties, json.loads(body)))

    def events(self) -> list[dict]:
        self._drain()
        return [event for _, _, event in self.received]

    def wait_for_events(self, count: int, *, timeout: float = 30.0) -> list[dict]:
        return wait_for(
            lambda: len(self.events()) >= count and self.events(), timeout=timeout, what=f"{count} events"
        )

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()
