"""RabbitMQ away or hanging: a send ends in an error instead of waiting for ever (SPEC §6).

The sending process reaches RabbitMQ through a fault proxy; `hold()` makes the broker a
peer that accepts connections and never answers, as a paused or partitioned broker does.
The senders run as processes of their own with short bounds (RABBITMQ_HEARTBEAT,
RABBITMQ_CONNECT_TIMEOUT; the defaults are a 10 s heartbeat and 5 s to connect): without
the bounds a send waits on the confirm for minutes, past the test's timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pika
import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from tasks_api.models import Task, TaskStatus
from tests.faultproxy import FaultProxy
from tests.helpers import ROOT, wait_for
from tests.images.event_queue import EventQueue

pytestmark = pytest.mark.timeout(90)

PROBE_QUEUE = "fault-probe"
EVENT_EXCHANGE = "fault-probe-events"

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


# Publishes one image-style event through core.events, waits for a line on stdin, publishes
# another and says how that went, waits again and publishes a third.
EVENT_PUBLISHER = textwrap.dedent(
    f"""
    import json
    import sys
    from core.events import event_publish

    def publish(number):
        event_publish(exchange={EVENT_EXCHANGE!r}, routing_key="probe.sent", body=json.dumps({{"n": number}}).encode())

    publish(1)
    print("published", flush=True)
    sys.stdin.readline()
    try:
        publish(2)
    except Exception as exc:
        print("raised", type(exc).__name__, flush=True)
    else:
        print("published again", flush=True)
    sys.stdin.readline()
    publish(3)
    print("published after restore", flush=True)
    """
)


def bounded_sender(script: str, broker_proxy: FaultProxy) -> subprocess.Popen:
    """`script` run by `manage.py shell`, reaching RabbitMQ through the proxy with short bounds."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
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


def tell(sender: subprocess.Popen) -> str:
    """Let the sender go on to its next step; its answer."""
    sender.stdin.write("\n")
    sender.stdin.flush()
    return sender.stdout.readline()


@pytest.fixture
def probe_queue():
    yield PROBE_QUEUE
    connection = pika.BlockingConnection(pika.URLParameters(settings.RABBITMQ_URL))
    channel = connection.channel()
    for name in (PROBE_QUEUE, f"{PROBE_QUEUE}.DQ", f"{PROBE_QUEUE}.XQ"):
        channel.queue_delete(queue=name)
    connection.close()


def test_a_send_to_a_broker_that_stops_answering_raises_instead_of_hanging(broker_proxy, probe_queue):
    sender = bounded_sender(SENDER, broker_proxy)
    try:
        assert sender.stdout.readline().strip() == "sent"
        broker_proxy.hold()
        outcome = tell(sender)
        assert outcome.startswith("raised "), outcome  # an AMQP connection error, whichever wait ended
        assert sender.wait(timeout=30) == 0
    finally:
        sender.kill()
        sender.wait()


def test_an_event_publish_to_a_broker_that_stops_answering_raises_and_the_next_goes_out(broker_proxy):
    queue = EventQueue(EVENT_EXCHANGE)  # bound to the exchange: a mandatory publish is routed
    sender = bounded_sender(EVENT_PUBLISHER, broker_proxy)
    try:
        assert sender.stdout.readline().strip() == "published"
        broker_proxy.hold()
        outcome = tell(sender)
        assert outcome.startswith("raised "), outcome  # after the retry decorator's three tries
        broker_proxy.restore()
        assert tell(sender).strip() == "published after restore"
        assert sender.wait(timeout=30) == 0
        # The held publish may still reach the broker once the bytes flow again: at least once.
        numbers = {event["n"] for event in queue.wait_for_events(2)}
        assert {1, 3} <= numbers
    finally:
        sender.kill()
        sender.wait()
        queue.close()


# What the web process waits for a confirm before it gives up (RABBITMQ_SEND_TIMEOUT), and
# the answer's bound: that wait and room for a busy machine, far below the minute the
# connection bounds alone allow a send to a broker that holds every byte.
WEB_SEND_TIMEOUT = 1
ANSWER_BOUND = 5


def sequential(session: requests.Session, base: str, num: int) -> str:
    params = {"num": num, "timeout": 0}
    response = session.post(f"{base}/api/tasks/", json={"kind": "sequential", "params": params}, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["id"]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_with_rabbitmq_holding_every_send_the_api_answers_and_the_relay_sends_the_rows_later(
    without_session_worker, start_worker, broker_proxy, owner, start_web
):
    base = start_web({"RABBITMQ_URL": broker_proxy.url, "RABBITMQ_SEND_TIMEOUT": str(WEB_SEND_TIMEOUT)})
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {RefreshToken.for_user(owner).access_token}"
    first, second = sequential(session, base, 1), sequential(session, base, 2)
    wait_for(
        lambda: Task.objects.filter(id__in=[first, second], dispatched_at__isnull=False).count() == 2,
        what="both sequential tasks sent",
    )

    broker_proxy.hold()
    # Cancelling the lane's head wakes the next one with a message: the request waits for
    # that send's confirm, which the held broker never gives.
    cancel = session.post(f"{base}/api/tasks/{first}/cancel/", timeout=ANSWER_BOUND)
    assert cancel.status_code == 200, cancel.text
    response = session.post(
        f"{base}/api/tasks/", json={"kind": "sleep", "params": {"seconds": 0}}, timeout=ANSWER_BOUND
    )
    assert response.status_code == 202, response.text
    sleeper = response.json()["id"]

    # A worker that reaches the broker: the relay sends the row the web process could not.
    start_worker(threads=2, env={"TASK_RELAY_INTERVAL_SECONDS": "0.5"})
    done = wait_for(
        lambda: Task.objects.filter(id=sleeper, status=TaskStatus.SUCCEEDED).first(),
        timeout=60,
        what="the relay to send the sleep task and a worker to run it",
    )
    assert done.deliveries == 1
    wait_for(
        lambda: Task.objects.filter(id=second, status=TaskStatus.SUCCEEDED).exists(),
        timeout=60,
        what="the next sequential task to run",
    )
    assert Task.objects.get(id=first).status == TaskStatus.CANCELLED
    broker_proxy.restore()  # the web process's held sends end before it is stopped
