"""Send work to Dramatiq actors by name, once the surrounding transaction commits.

Domain apps never import the `actors` package: they name the actor and this helper looks
it up in the broker when the transaction has committed, so an actor never starts before
the row it works on exists.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dramatiq
from django.conf import settings
from django.db import close_old_connections, transaction
from dramatiq.brokers.stub import StubBroker

logger = logging.getLogger(__name__)

# The RabbitMQ broker keeps one connection per thread, and under ASGI Django runs each
# request's sync code on a thread of its own: sending from there would open, and leave open,
# a connection per request. Sends go through these few long-lived threads instead.
SENDER_PREFIX = "dramatiq-send"
_senders = ThreadPoolExecutor(max_workers=4, thread_name_prefix=SENDER_PREFIX)


def send_actor(actor_name: str, /, *args: Any, delay_ms: int | None = None, **kwargs: Any) -> None:
    """Enqueue now, waiting for the broker's confirm. Code that writes rows uses enqueue_on_commit.

    The wait is bounded by RABBITMQ_SEND_TIMEOUT: a broker that holds every byte keeps a
    send going for up to a minute within the connection's own bounds (six connections
    tried), and the caller (a request, the relay) must not wait that long. Past it this
    raises TimeoutError; the send may still go through later, and a second message for the
    same row is harmless (the claim lets one delivery run it).
    """
    actor = dramatiq.get_broker().get_actor(actor_name)
    if threading.current_thread().name.startswith(SENDER_PREFIX):
        actor.send_with_options(args=args, kwargs=kwargs, delay=delay_ms)  # already on a sender
    else:
        sending = _senders.submit(actor.send_with_options, args=args, kwargs=kwargs, delay=delay_ms)
        try:
            sending.result(timeout=settings.RABBITMQ_SEND_TIMEOUT)
        except TimeoutError:
            sending.cancel()  # still queued behind other sends: it never goes
            raise TimeoutError(
                f"The broker did not take {actor_name} within {settings.RABBITMQ_SEND_TIMEOUT} s."
            ) from None
    logger.debug("enqueued %s", actor_name, extra={"actor": actor_name})


def enqueue_on_commit(
    actor_name: str, /, *args: Any, on_sent: Callable[[], None] | None = None, **kwargs: Any
) -> None:
    """Send the actor once the transaction commits; then call `on_sent`, if given.

    `on_sent` lets the caller record that the broker has the message, so that a relay can
    send again what a broker outage at commit time lost. With RabbitMQ the send happens on
    a sender thread and the caller does not wait: a broker that is away or blocking
    publishers never holds a request. The in-process broker is sent to at once.
    """

    def send() -> None:
        send_actor(actor_name, *args, **kwargs)
        if on_sent is not None:
            on_sent()

    def send_in_background() -> None:
        close_old_connections()  # on_sent writes through this thread's own connection
        try:
            send()
        except Exception:
            logger.warning("not enqueued yet: %s", actor_name, extra={"actor": actor_name}, exc_info=True)

    def hand_over() -> None:
        if isinstance(dramatiq.get_broker(), StubBroker):
            send()
        else:
            _senders.submit(send_in_background)

    # robust: a broker outage after commit is logged, not turned into a 500 for a request
    # whose row is already saved; recovering the lost message is the caller's business.
    transaction.on_commit(hand_over, robust=True)


def drain_in_process_broker() -> None:
    """Run, here and now, the messages this process queued on the in-process broker.

    With the embedded default (no RABBITMQ_URL) a one-off command such as
    `manage.py sweep_codecheck` queues onto a broker that dies with the command; this runs
    those messages before it exits. With RabbitMQ it does nothing: the workers have them.
    """
    broker = dramatiq.get_broker()
    if not isinstance(broker, StubBroker):
        return
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.one_off = True  # type: ignore[attr-defined]  # no heartbeat or relay threads for a command that ends (tasks_api.heartbeat)
    worker.start()
    try:
        # A message may send others (a check sends its mail), so go round until all are empty.
        while any(broker.queues[name].unfinished_tasks for name in broker.queues):
            for name in set(broker.queues) - broker.delay_queues:
                broker.join(name, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
