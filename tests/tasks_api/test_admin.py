"""The Django admin for users and tasks, as a staff user sees it."""

from __future__ import annotations

import pytest

from tasks_api.models import Task

pytestmark = pytest.mark.django_db


def test_task_changelist_filters_and_searches(admin_client, owner):
    Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status="failed", error="boom")
    response = admin_client.get(
        "/admin/tasks_api/task/", {"status__exact": "failed", "q": "owner@example.com"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_requeue_action_requeues_only_failed_tasks(admin_client, owner, django_capture_on_commit_callbacks):
    failed = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status="failed", error="x")
    running = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status="running")
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/tasks_api/task/",
            {"action": "requeue", "_selected_action": [str(failed.id), str(running.id)]},
            follow=True,
        )
    assert response.status_code == 200
    failed.refresh_from_db()
    running.refresh_from_db()
    assert failed.status == "queued"
    assert running.status == "running"
    assert len(callbacks) == 1
    messages = [str(m) for m in response.context["messages"]]
    assert any("Re-queued 1 task" in m for m in messages)


def test_user_admin_lists_users_by_email(admin_client, owner):
    response = admin_client.get("/admin/core/user/", {"q": "owner@"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_non_staff_cannot_open_admin(client, owner):
    client.force_login(owner)
    assert client.get("/admin/tasks_api/task/").status_code == 302


def test_only_finished_tasks_can_be_deleted_in_the_admin(admin_client, owner):
    waiting = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1})
    done = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status="succeeded")
    assert admin_client.get(f"/admin/tasks_api/task/{waiting.id}/delete/").status_code == 403
    assert admin_client.post(f"/admin/tasks_api/task/{done.id}/delete/", {"post": "yes"}).status_code == 302
    assert list(Task.objects.all()) == [waiting]
    # Nor through the bulk action while it is unfinished (deleting its owner cancels it:
    # tests/core/test_account_deletion.py).
    bulk = admin_client.post(
        "/admin/tasks_api/task/",
        {"action": "delete_selected", "_selected_action": [waiting.id], "post": "yes"},
    )
    assert bulk.status_code == 403
    assert Task.objects.filter(id=waiting.id).exists()


def test_cancel_action_cancels_queued_and_running_tasks_only(admin_client, owner):
    queued, running, done = (
        Task.objects.create(owner=owner, kind="sleep", params={"seconds": 9}, status=status)
        for status in ("queued", "running", "succeeded")
    )
    response = admin_client.post(
        "/admin/tasks_api/task/",
        {"action": "cancel", "_selected_action": [str(queued.id), str(running.id), str(done.id)]},
        follow=True,
    )
    assert response.status_code == 200
    assert [Task.objects.get(id=task.id).status for task in (queued, running, done)] == [
        "cancelled",
        "cancelled",
        "succeeded",
    ]
    messages = [str(m) for m in response.context["messages"]]
    assert any("Cancelled 2 task(s)" in m for m in messages)
