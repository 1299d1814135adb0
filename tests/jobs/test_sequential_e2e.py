"""The sequential lane through the API, RabbitMQ and real worker processes."""

from __future__ import annotations

import itertools

import pytest

from tasks_api.models import Lane, Task
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TASKS = "/api/tasks/"
QUEUE = "/api/tasks/queue/"


def submit(client, *, num: int, timeout: float) -> str:
    response = client.post(
        TASKS, {"kind": "sequential", "params": {"num": num, "timeout": timeout}}, format="json"
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def assert_ran_one_at_a_time_in_order(task_ids: list[str]) -> list[Task]:
    rows = sorted(Task.objects.filter(id__in=task_ids), key=lambda row: row.number)
    assert [str(row.id) for row in rows] == task_ids  # numbers follow submission order
    assert all(row.status == "succeeded" for row in rows), [(row.status, row.error) for row in rows]
    for before, after in itertools.pairwise(rows):
        assert before.finished_at <= after.started_at, (before.number, after.number)
    for row in rows:
        assert row.started_at <= row.finished_at
        assert row.result == {"num": row.params["num"]}
    return rows


def test_lane_runs_one_at_a_time_in_submission_order_over_two_processes(
    start_worker, owner_client, other_client
):
    start_worker(processes=2, threads=3)
    timeouts = [2, 0, 0.3, 2, 0, 1.5]
    clients = [owner_client, other_client]
    task_ids = [submit(clients[n % 2], num=100 + n, timeout=t) for n, t in enumerate(timeouts)]

    snapshots: list[list[dict]] = []

    def drained() -> bool:
        assert Task.objects.filter(kind="sequential", status="running").count() <= 1
        snapshot = owner_client.get(QUEUE).json()["results"]
        snapshots.append(snapshot)
        return not Task.objects.filter(kind="sequential", status__in=["queued", "running"]).exists()

    wait_for(drained, timeout=90, what="the lane to drain")

    assert_ran_one_at_a_time_in_order(task_ids)
    owners = set(task_ids[0::2])
    last_position: dict[str, int] = {}
    seen_running = False
    for snapshot in snapshots:
        assert {entry["id"] for entry in snapshot} <= owners
        for ahead, behind in itertools.pairwise(snapshot):
            # The other user's unfinished tasks between two of mine count too.
            assert behind["position"] - ahead["position"] == behind["number"] - ahead["number"], snapshot
        for entry in snapshot:
            assert 1 <= entry["position"] <= entry["number"]
            assert entry["position"] <= last_position.get(entry["id"], entry["position"])  # never goes back
            last_position[entry["id"]] = entry["position"]
            if entry["status"] == "running":
                assert entry["position"] == 1
                seen_running = True
    assert seen_running, "the owner's task was never seen running in the queue"
    # A task was seen waiting behind others (its last position is 1 by the time it runs).
    assert any(entry["position"] > 1 for snapshot in snapshots for entry in snapshot)


def test_killing_the_worker_that_holds_the_lane_does_not_stall_it(worker, owner_client):
    first = submit(owner_client, num=1, timeout=3)
    rest = [submit(owner_client, num=2, timeout=0), submit(owner_client, num=3, timeout=1)]
    held = wait_for(
        lambda: Lane.objects.filter(holder=first).first(), timeout=30, what="the first task to hold the lane"
    )
    assert int(held.holder_label.rsplit(":", 1)[1]) in worker.child_pids()

    worker.restart()  # SIGKILL: the lease is no longer renewed, the message comes back

    wait_for(
        lambda: not Task.objects.filter(kind="sequential", status__in=["queued", "running"]).exists(),
        timeout=90,
        what="the lane to drain after the kill",
    )
    rows = assert_ran_one_at_a_time_in_order([first, *rest])
    assert rows[0].deliveries >= 2  # run again after its worker died
