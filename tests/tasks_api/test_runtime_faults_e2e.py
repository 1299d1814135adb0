"""The job runtime under real faults: workers SIGKILLed, RabbitMQ cut through a proxy.

Every test runs its own worker processes (short leases, so a dead worker's task is taken
over in seconds) with the session's worker stopped, and counts what was lost or done twice.
"""

from __future__ import annotations

import signal

import pytest
import requests

from tasks_api.models import Task, TaskStatus
from tests.helpers import PASSWORD, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FAST_LEASES = {
    "TASK_LEASE_SECONDS": "2",
    "TASK_HEARTBEAT_SECONDS": "0.5",
    "TASK_RELAY_INTERVAL_SECONDS": "0.5",
}


def submit(client, seconds: float) -> str:
    response = client.post("/api/tasks/", {"kind": "sleep", "params": {"seconds": seconds}}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_a_task_whose_deliveries_keep_killing_their_worker_fails_after_max_deliveries(
    without_session_worker, start_worker, owner_client
):
    env = {**FAST_LEASES, "TASK_MAX_DELIVERIES": "3"}
    worker = start_worker(threads=2, env=env)
    task_id = submit(owner_client, 60)
    for death in range(1, 4):
        wait_for(
            lambda death=death: Task.objects.filter(
                id=task_id, status=TaskStatus.RUNNING, deliveries=death
            ).exists(),
            timeout=60,
            what=f"delivery {death} to start",
        )
        worker.restart(signal.SIGKILL)  # as an out-of-memory kill would, every time
    row = wait_for(
        lambda: Task.objects.filter(id=task_id, status=TaskStatus.FAILED).first(),
        timeout=60,
        what="the task to fail",
    )
    assert (
        row.error == "Its worker died 3 times while running it (TASK_MAX_DELIVERIES is 3): not tried again."
    )
    assert [entry.get("lost") for entry in row.attempts] == [True, True, True]
    assert row.deliveries == 3


def test_a_task_whose_worker_was_killed_finishes_once_on_another(
    without_session_worker, start_worker, owner_client
):
    workers = [start_worker(threads=2, env=FAST_LEASES) for _ in range(2)]
    task_id = submit(owner_client, 3)
    wait_for(
        lambda: Task.objects.filter(id=task_id, status=TaskStatus.RUNNING).exists(), what="the task to start"
    )
    holder_pid = int(Task.objects.get(id=task_id).worker.rsplit(":", 1)[1])
    [holder] = [worker for worker in workers if holder_pid in worker.child_pids()]
    holder.stop(signal.SIGKILL)
    row = wait_for(
        lambda: Task.objects.filter(id=task_id, status=TaskStatus.SUCCEEDED).first(),
        timeout=60,
        what="the task to succeed on the other worker",
    )
    assert row.result == {"slept": 3}
    assert row.deliveries == 2
    assert [entry.get("lost", False) for entry in row.attempts] == [True, False]


def test_a_task_posted_while_rabbitmq_is_cut_runs_seconds_after_it_is_back(
    without_session_worker, start_worker, broker_proxy, owner, start_web
):
    start_worker(threads=2, env={**FAST_LEASES, "RABBITMQ_URL": broker_proxy.url})
    base = start_web({"RABBITMQ_URL": broker_proxy.url})
    session = requests.Session()
    token = session.post(f"{base}/api/auth/token/", json={"email": owner.email, "password": PASSWORD})
    session.headers["Authorization"] = f"Bearer {token.json()['access']}"

    broker_proxy.cut()
    response = session.post(
        f"{base}/api/tasks/", json={"kind": "sleep", "params": {"seconds": 0}}, timeout=10
    )
    assert response.status_code == 202  # the row is committed; the send waits for the broker
    task_id = response.json()["id"]
    wait_for(lambda: Task.objects.get(id=task_id).status == TaskStatus.QUEUED, what="the row")
    assert Task.objects.get(id=task_id).dispatched_at is None

    broker_proxy.restore()
    row = wait_for(
        lambda: Task.objects.filter(id=task_id, status=TaskStatus.SUCCEEDED).first(),
        timeout=60,
        what="the task to run once the broker is back",
    )
    assert row.deliveries == 1
