"""`POST /api/tasks/{id}/retry/`: a failed or cancelled task goes back to its queue."""

from __future__ import annotations

import pytest

from tasks_api.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def make_task(owner, status, **fields) -> Task:
    return Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status=status, **fields)


@pytest.mark.parametrize("status", [TaskStatus.FAILED, TaskStatus.CANCELLED])
def test_owner_retries_a_finished_task_under_the_same_id(
    owner_client, owner, status, django_capture_on_commit_callbacks
):
    earlier = [
        {"started_at": "2026-01-01T10:00:00Z", "finished_at": "2026-01-01T10:00:01Z", "error": "boom"},
        {"started_at": "2026-01-01T10:01:00Z", "finished_at": "2026-01-01T10:01:01Z", "error": "boom"},
    ]
    task = make_task(
        owner, status, error="boom", attempts=earlier, progress=40, progress_message="slept 4 of 10 s"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_client.post(f"/api/tasks/{task.id}/retry/")
    assert response.status_code == 202
    body = response.json()
    assert body["id"] == str(task.id)
    assert (
        body["status"],
        body["error"],
        body["progress"],
        body["progress_message"],
        body["finished_at"],
    ) == (
        "queued",
        "",
        0,
        "",
        None,
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED
    assert task.attempts == earlier, "the earlier attempts are kept"
    assert body["attempts"] == earlier
    assert len(callbacks) == 1, "the actor is sent again, after commit"


@pytest.mark.parametrize("status", [TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.SUCCEEDED])
def test_retry_of_a_task_that_did_not_fail_is_a_409_and_changes_nothing(owner_client, owner, status):
    task = make_task(owner, status)
    response = owner_client.post(f"/api/tasks/{task.id}/retry/")
    assert response.status_code == 409
    assert status in response.json()["detail"]
    task.refresh_from_db()
    assert task.status == status


def test_retry_of_another_users_task_is_a_404(other_client, owner):
    task = make_task(owner, TaskStatus.FAILED)
    assert other_client.post(f"/api/tasks/{task.id}/retry/").status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED


def test_retry_needs_authentication(anon_client, owner):
    task = make_task(owner, TaskStatus.FAILED)
    assert anon_client.post(f"/api/tasks/{task.id}/retry/").status_code == 401


def test_an_internal_task_cannot_be_retried_by_its_owner(owner_client, owner):
    task = Task.objects.create(owner=owner, kind="image_process", params={}, status=TaskStatus.FAILED)
    assert owner_client.post(f"/api/tasks/{task.id}/retry/").status_code == 409
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED
