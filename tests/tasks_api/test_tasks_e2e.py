"""Sleep tasks through the API, RabbitMQ and a real `rundramatiq` worker process."""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from tasks_api.models import Task
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def poll(client, task_id: str) -> dict:
    return client.get(f"/api/tasks/{task_id}/").json()


def test_sleep_task_goes_queued_running_succeeded(worker, owner_client):
    response = owner_client.post("/api/tasks/", {"kind": "sleep", "params": {"seconds": 2}}, format="json")
    assert response.status_code == 202
    task_id = response.json()["id"]
    assert response.json()["status"] == "queued"

    running = wait_for(
        lambda: (t := poll(owner_client, task_id))["status"] == "running" and t, what="running"
    )
    assert running["started_at"] and not running["finished_at"]
    wait_for(lambda: poll(owner_client, task_id)["progress"] > 0, what="progress to rise")
    done = wait_for(lambda: (t := poll(owner_client, task_id))["status"] == "succeeded" and t, what="success")
    assert done["result"] == {"slept": 2}
    assert done["progress"] == 100
    assert done["started_at"] <= done["finished_at"]
    row = Task.objects.get(id=task_id)
    assert row.result == {"slept": 2}
    assert row.deliveries == 1


def test_a_running_sleep_says_how_long_it_slept(worker, owner_client):
    response = owner_client.post("/api/tasks/", {"kind": "sleep", "params": {"seconds": 3}}, format="json")
    task_id = response.json()["id"]

    running = wait_for(
        lambda: (t := poll(owner_client, task_id))["progress"] > 0 and t, what="progress to rise"
    )
    assert re.fullmatch(r"slept [12] of 3 s", running["progress_message"]), running
    done = wait_for(lambda: (t := poll(owner_client, task_id))["status"] == "succeeded" and t, what="success")
    assert done["progress_message"] == "", "a finished task's result says it all"


def test_a_fractional_sleep_runs_and_echoes_its_seconds(worker, owner_client):
    response = owner_client.post("/api/tasks/", {"kind": "sleep", "params": {"seconds": 0.3}}, format="json")
    assert response.status_code == 202, response.json()
    task_id = response.json()["id"]
    done = wait_for(lambda: (t := poll(owner_client, task_id))["status"] == "succeeded" and t, what="success")
    assert done["result"] == {"slept": 0.3}


def test_cancelled_task_never_runs(worker, owner_client):
    # The message goes out when the outer transaction commits, after the cancel: the worker
    # then receives a message for a task that is already cancelled.
    with transaction.atomic():
        response = owner_client.post(
            "/api/tasks/", {"kind": "sleep", "params": {"seconds": 1}}, format="json"
        )
        task_id = response.json()["id"]
        assert owner_client.post(f"/api/tasks/{task_id}/cancel/").status_code == 200
    wait_for(
        lambda: any(
            r["message"] == "task skipped: not claimable" and r.get("task_id") == task_id
            for r in worker.log_records()
        ),
        what="the worker to receive the cancelled task's message",
    )
    row = Task.objects.get(id=task_id)
    assert row.status == "cancelled"
    assert row.started_at is None
    assert row.deliveries == 0


def test_task_survives_its_worker_being_killed(worker, owner_client):
    response = owner_client.post("/api/tasks/", {"kind": "sleep", "params": {"seconds": 3}}, format="json")
    task_id = response.json()["id"]
    wait_for(lambda: poll(owner_client, task_id)["status"] == "running", what="the task to start")

    worker.restart()  # SIGKILL mid-task: RabbitMQ redelivers the unacknowledged message

    done = wait_for(
        lambda: (t := poll(owner_client, task_id))["status"] == "succeeded" and t, what="the task to finish"
    )
    assert done["result"] == {"slept": 3}
    assert Task.objects.get(id=task_id).deliveries == 2
