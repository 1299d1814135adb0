"""Message and consumer counts of the queues the workers consume, read from the broker.

RabbitMQ answers a passive queue declare with both counts, without changing the queue. The
in-process broker of the embedded default has Python queues and, in this process, the
worker's consumer threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import dramatiq
import pika
import pika.exceptions
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, xq_name
from dramatiq.worker import ConsumerThread

from core.amqp import connection_parameters
from core.exceptions import ApplicationError


@dataclass(frozen=True)
class QueueStats:
    name: str
    messages: int  # ready to be delivered now
    consumers: int
    delayed: int  # waiting for their time: retries with backoff, delayed sends
    dead: int  # dead-lettered: out of retries


def queue_names() -> list[str]:
    """The queues of every registered actor: what a worker consumes unless told otherwise."""
    return sorted({actor.queue_name for actor in dramatiq.get_broker().actors.values()})


def queues_stats() -> list[QueueStats]:
    """The counts of every queue; ApplicationError (503) when the broker cannot be reached."""
    broker = dramatiq.get_broker()
    if isinstance(broker, StubBroker):
        return _stub_stats(broker, queue_names())
    return _rabbitmq_stats(queue_names())


def _stub_stats(broker: StubBroker, names: list[str]) -> list[QueueStats]:
    consumers = [thread for thread in threading.enumerate() if isinstance(thread, ConsumerThread)]

    def size(name: str) -> int:
        queue = broker.queues.get(name)
        return queue.qsize() if queue is not None else 0

    return [
        QueueStats(
            name=name,
            messages=size(name),
            consumers=sum(1 for thread in consumers if thread.queue_name == name and thread.is_alive()),
            delayed=size(dq_name(name)),
            dead=len(broker.dead_letters_by_queue.get(name, [])),
        )
        for name in names
    ]


def _rabbitmq_stats(names: list[str]) -> list[QueueStats]:
    parameters = connection_parameters()
    parameters.connection_attempts = 1
    try:
        connection = pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPError as exc:
        raise ApplicationError(f"The broker cannot be reached: {exc!r}.", status_code=503) from exc
    try:
        counts = _Counter(connection)
        return [
            QueueStats(
                name=name,
                messages=counts.messages(name),
                consumers=counts.consumers(name),
                delayed=counts.messages(dq_name(name)),
                dead=counts.messages(xq_name(name)),
            )
            for name in names
        ]
    except pika.exceptions.AMQPError as exc:
        raise ApplicationError(f"The broker stopped answering: {exc!r}.", status_code=503) from exc
    finally:
        if connection.is_open:
            connection.close()


class _Counter:
    """Passive declares on one connection. A queue that does not exist yet (no worker has
    declared it) counts as empty; RabbitMQ closes the channel for it, so open another."""

    def __init__(self, connection: pika.BlockingConnection) -> None:
        self.connection = connection
        self.channel = connection.channel()
        self.cache: dict[str, tuple[int, int]] = {}

    def _declare(self, name: str) -> tuple[int, int]:
        if name not in self.cache:
            try:
                method = self.channel.queue_declare(queue=name, passive=True).method
                self.cache[name] = (method.message_count, method.consumer_count)
            except pika.exceptions.ChannelClosedByBroker:
                self.channel = self.connection.channel()
                self.cache[name] = (0, 0)
        return self.cache[name]

    def messages(self, name: str) -> int:
        return self._declare(name)[0]

    def consumers(self, name: str) -> int:
        return self._declare(name)[1]
