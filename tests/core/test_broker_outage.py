"""RabbitMQ away or hanging: a send ends in an error instead of waiting for ever (SPEC §6).

The sending process reaches RabbitMQ through a fault proxy; `hold()` makes the broker a
peer that accepts connections and never answers, as a paused or partitioned broker does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pika
import pytest
from django.conf import settings

from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(90)

PROBE_QUEUE = "fault-probe"

# Sends one message on the project's broker (settings.DRAMATIQ_BROKER), waits for a line on
# stdin, then sends another and says how that went.
SENDER = textwrap.dedent(
    f"""
    import sys
    import dramatiq

    broker = dramatiq.get_broker()
    broker.declare_queue({PROBE_QUEUE!r})

    def send():
        broker.enqueue(dramatiq.Message(
            queue_name={PROBE_QUEUE!r}, actor_name="fault_probe", args=(), kwargs={{}}, options={{}}
        ))

    send()
    print("sent", flush=True)
    sys.stdin.readline()
    try:
        send()
    except Exception as exc:
        print("raised", type(exc).__name__, flush=True)
    else:
        print("sent again", flush=True)
    """
)


@pytest.fixture
def probe_queue():
    yield PROBE_QUEUE
    connection = pika.BlockingConnection(pika.URLParameters(settings.RABBITMQ_URL))
    channel = connection.channel()
    for name in (PROBE_QUEUE, f"{PROBE_QUEUE}.DQ", f"{PROBE_QUEUE}.XQ"):
        channel.queue_delete(queue=name)
    connection.close()


def test_a_send_to_a_broker_that_stops_answering_raises_instead_of_hanging(broker_proxy, probe_queue):
    sender = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", SENDER],
        cwd=ROOT,
        # Short bounds keep the test quick; the defaults are 5 s to connect and a 10 s heartbeat.
        env={
            **os.environ,
            "RABBITMQ_URL": broker_proxy.url,
            "RABBITMQ_HEARTBEAT": "2",
            "RABBITMQ_CONNECT_TIMEOUT": "1",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sender.stdout.readline().strip() == "sent"
        broker_proxy.hold()
        sender.stdin.write("\n")
        sender.stdin.flush()
        # Without the bounds this waits on the confirm for minutes, past the test's timeout.
        outcome = sender.stdout.readline()
        assert outcome.startswith("raised "), outcome  # an AMQP connection error, whichever wait ended
        assert sender.wait(timeout=30) == 0
    finally:
        sender.kill()
        sender.wait()
