"""`/ops/`: the staff dashboard, server-rendered, through Django's test client."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tasks_api.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def failed_task(owner, **fields) -> Task:
    return Task.objects.create(
        owner=owner,
        kind="sleep",
        params={"seconds": 1},
        status=TaskStatus.FAILED,
        error="Internal error: ZeroDivisionError: division by zero",
        traceback='Traceback (most recent call last):\n  File "sleep.py", line 3\nZeroDivisionError',
        finished_at=timezone.now(),
        **fields,
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/ops/"),
        ("post", "/ops/tasks/retry-failed/"),
        ("post", "/ops/tasks/{id}/retry/"),
        ("post", "/ops/tasks/{id}/cancel/"),
    ],
)
def test_anonymous_gets_401_and_other_users_403(client, owner, method, path):
    task = failed_task(owner)
    url = path.format(id=task.id)
    anonymous = getattr(client, method)(url, {"kind": "sleep"})
    assert anonymous.status_code == 401
    assert "/admin/login/" in anonymous.content.decode()
    client.force_login(owner)
    assert getattr(client, method)(url, {"kind": "sleep"}).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED


def test_the_dashboard_shows_failures_with_their_tracebacks(client, staff, owner):
    task = failed_task(owner)
    client.force_login(staff)
    response = client.get("/ops/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "ZeroDivisionError: division by zero" in page
    assert "File &quot;sleep.py&quot;, line 3" in page
    assert f'data-task="{task.id}"' in page
    for section in ("workers", "queues", "activity", "schedules", "failures"):
        assert f'id="{section}"' in page
    assert 'data-job="codecheck_sweep"' in page


def test_retry_and_retry_all_from_the_dashboard(client, staff, owner, django_capture_on_commit_callbacks):
    one, *_ = [failed_task(owner) for _ in range(3)]
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/ops/tasks/{one.id}/retry/", follow=True)
    assert f"Task {one.id} is queued again." in response.content.decode()
    one.refresh_from_db()
    assert one.status == TaskStatus.QUEUED
    again = client.post(f"/ops/tasks/{one.id}/retry/", follow=True)
    assert "only failed or cancelled tasks" in again.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/ops/tasks/retry-failed/", {"kind": "sleep"}, follow=True)
    assert "Queued again 2 failed sleep task(s)." in response.content.decode()
    assert not Task.objects.filter(status=TaskStatus.FAILED).exists()


def test_staff_cancels_a_running_task_from_the_dashboard(client, staff, owner):
    task = Task.objects.create(
        owner=owner,
        kind="sleep",
        params={"seconds": 60},
        status=TaskStatus.RUNNING,
        started_at=timezone.now(),
    )
    client.force_login(staff)
    assert f'data-task="{task.id}"' in client.get("/ops/").content.decode()
    response = client.post(f"/ops/tasks/{task.id}/cancel/", follow=True)
    assert f"Task {task.id} is cancelled" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    assert "Nothing runs now." in response.content.decode()
