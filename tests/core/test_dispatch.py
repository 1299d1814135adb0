"""Sending actors by name: after commit, robust to a failed send, and frugal with connections."""

from __future__ import annotations

import logging
import threading

import dramatiq
import pytest
from django.db import transaction

from core.dispatch import enqueue_on_commit, send_actor
from tests.conftest import SERVICES_UP
from tests.helpers import wait_for


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_after_commit_is_logged_not_raised(caplog):
    with caplog.at_level(logging.WARNING), transaction.atomic():
        enqueue_on_commit("no_such_actor", "x")
    # With RabbitMQ the send happens on a sender thread, after the caller went on.
    wait_for(
        lambda: any("no_such_actor" in record.getMessage() for record in caplog.records),
        what="the failed send to be logged",
    )


@pytest.mark.skipif(not SERVICES_UP, reason="needs RABBITMQ_URL")
def test_short_lived_threads_do_not_each_open_a_broker_connection():
    # Under ASGI, Django runs every request's sync code on a fresh thread; the RabbitMQ
    # broker keeps a connection per thread, so each request would leave one open.
    broker = dramatiq.get_broker()
    before = len(broker.connections)
    threads = [threading.Thread(target=send_actor, args=("prune_tasks",)) for _ in range(20)]
    for thread in threads:
        thread.start()
        thread.join()
    assert len(broker.connections) - before <= 4
