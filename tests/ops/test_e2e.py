"""The ops views against real worker processes over RabbitMQ."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.dispatch import send_actor
from tasks_api.models import Task
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def submit_sleep(client, seconds: float) -> str:
    response = client.post("/api/tasks/", {"kind": "sleep", "params": {"seconds": seconds}}, format="json")
    assert response.status_code == 202
    return response.json()["id"]


def queue(staff_client, name: str) -> dict:
    return next(q for q in staff_client.get("/api/ops/queues/").json() if q["name"] == name)


def test_a_worker_lists_the_task_it_runs(worker, owner_client, staff_client):
    task_id = submit_sleep(owner_client, 30)

    def running_on_a_worker():
        workers = staff_client.get("/api/ops/workers/").json()
        return [w for w in workers if task_id in w["running"]]

    (listed,) = wait_for(running_on_a_worker, what="a worker to list the task")
    assert listed["pid"] in worker.child_pids()
    assert "sleep" in listed["queues"]
    assert owner_client.post(f"/api/tasks/{task_id}/cancel/").status_code == 200
    wait_for(lambda: not running_on_a_worker(), what="the cancelled task to leave the worker")


def test_queue_count_rises_while_workers_are_stopped_and_falls_when_they_start(
    worker, start_worker, owner_client, staff_client
):
    worker.stop()
    try:
        before = queue(staff_client, "sleep")["messages"]
        ids = [submit_sleep(owner_client, 0) for _ in range(3)]
        wait_for(lambda: queue(staff_client, "sleep")["messages"] >= before + 3, what="the queue to grow")
        assert queue(staff_client, "sleep")["consumers"] == 0
        start_worker()
        wait_for(lambda: queue(staff_client, "sleep")["messages"] == 0, what="the queue to drain")
        wait_for(
            lambda: Task.objects.filter(id__in=ids, status="succeeded").count() == 3, what="the tasks to run"
        )
    finally:
        worker.restart()


def total_sleeps(client) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").content.decode()):
        for sample in family.samples:
            if sample.name == "workhorse_tasks_total" and sample.labels == {
                "kind": "sleep",
                "status": "succeeded",
            }:
                return sample.value
    return 0


def test_metrics_counters_grow_by_exactly_the_tasks_run(worker, owner_client, client):
    before = total_sleeps(client)
    ids = [submit_sleep(owner_client, 0) for _ in range(4)]
    wait_for(
        lambda: Task.objects.filter(id__in=ids, status="succeeded").count() == 4, what="the tasks to run"
    )
    assert total_sleeps(client) == before + 4


def test_the_sweep_records_its_last_run_and_shows_the_next(worker, staff_client):
    send_actor("codecheck_sweep")

    def sweep():
        job = next(
            j for j in staff_client.get("/api/ops/schedules/").json() if j["name"] == "codecheck_sweep"
        )
        return job if job["last_outcome"] == "succeeded" else None

    job = wait_for(sweep, what="the sweep's run to be recorded")
    assert job["last_run_at"] < job["next_run_at"]


def test_a_worker_with_the_heartbeat_off_runs_tasks_but_is_not_listed(
    start_worker, without_session_worker, owner_client, staff_client
):
    quiet = start_worker(env={"TASK_HEARTBEAT_ENABLED": "0"})
    task_id = submit_sleep(owner_client, 0)
    wait_for(lambda: Task.objects.filter(id=task_id, status="succeeded").exists(), what="the task to run")
    # A worker started after it, heartbeat on: once it is listed, the quiet one, whose
    # heartbeat would have written its row first, shows it never did.
    listed = start_worker()

    def pids() -> set[int]:
        return {w["pid"] for w in staff_client.get("/api/ops/workers/").json()}

    wait_for(lambda: set(listed.child_pids()) <= pids(), what="the second worker to be listed")
    assert not set(quiet.child_pids()) & pids()
