"""The image-events service: consume `image.*` events and log each on one line to stdout."""

from __future__ import annotations

import json
import threading
import time

import pika
from django.conf import settings
from django.core.management.base import BaseCommand
from pika.exceptions import AMQPError

from core.amqp import connection_parameters
from core.events import declare_exchange

MAX_BACKOFF_SECONDS = 30


class Command(BaseCommand):
    help = "Log every image event from RabbitMQ on one line; reconnects when the broker goes away."

    def handle(self, *args, **options) -> None:
        try:
            if settings.RABBITMQ_URL:
                self.listen_forever()
            else:
                self.stdout.write(
                    "No RABBITMQ_URL: the web process logs image events itself (embedded default)."
                )
                self.stdout.flush()
                # Stay up rather than exit: a process manager (honcho) stops every service
                # when one of them ends.
                threading.Event().wait()
        except KeyboardInterrupt:
            return

    def listen_forever(self) -> None:
        backoff = 1
        while True:
            try:
                connection = pika.BlockingConnection(connection_parameters())
            except AMQPError as exc:
                self.stderr.write(f"RabbitMQ unreachable ({type(exc).__name__}); retrying in {backoff}s")
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 1
            try:
                self.consume(connection)
            except AMQPError as exc:
                self.stderr.write(f"RabbitMQ connection lost ({type(exc).__name__}: {exc}); reconnecting")
            finally:
                if connection.is_open:
                    connection.close()

    def consume(self, connection: pika.BlockingConnection) -> None:
        channel = connection.channel()
        declare_exchange(channel, settings.IMAGE_EVENTS_EXCHANGE)
        # Durable: events published while the listener is down wait for it.
        queue, exchange = settings.IMAGE_EVENTS_QUEUE, settings.IMAGE_EVENTS_EXCHANGE
        channel.queue_declare(queue=queue, durable=True)
        channel.queue_bind(queue=queue, exchange=exchange, routing_key="image.*")
        channel.basic_qos(prefetch_count=50)
        channel.basic_consume(queue=queue, on_message_callback=self.on_message)
        self.stdout.write(f"Listening for image.* on exchange {exchange!r}, queue {queue!r}")
        self.stdout.flush()
        channel.start_consuming()

    def on_message(self, channel, method, properties, body: bytes) -> None:
        try:
            event = json.loads(body)
        except ValueError:
            event = body.decode(errors="replace")
        if not isinstance(event, dict):
            event = {"unparsed": event}
        self.stdout.write(json.dumps({"routing_key": method.routing_key, **event}, sort_keys=True))
        self.stdout.flush()
        # Ack only once the line is out: a crash before this gets the event again.
        channel.basic_ack(delivery_tag=method.delivery_tag)
