"""`GET /api/ops/events/`, the dashboard's stream, served by uvicorn in its own process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import requests
from django.test import Client
from django.utils import timezone

from tasks_api.models import Task, TaskStatus, Worker
from tests.tasks_api.test_event_stream import (  # noqa: F401  (pytestmark and the server fixture)
    bearer,
    drop_after_the_first_event,
    pytestmark,
    server,
    wait_for_the_end,
)

URL = "/api/ops/events/"
# What the stream must never carry: the owner's email, the task's URL, the file in its message.
PRIVATE = (b"owner@example.com", b"files.example.com", b"private-report")


def summaries(response) -> Iterator[dict]:
    for line in response.iter_lines():
        if line.startswith(b"data: "):
            leaked = [word for word in PRIVATE if word in line]
            assert not leaked, f"user data in an event: {leaked}"
            yield json.loads(line[len(b"data: ") :])


def test_anonymous_gets_401_other_users_403(server, owner):  # noqa: F811  (the fixture imported above)
    anonymous = requests.get(f"{server.url}{URL}", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = requests.get(f"{server.url}{URL}", headers={"Authorization": "Bearer not.a.token"}, timeout=10)
    assert forged.status_code == 401
    refused = requests.get(f"{server.url}{URL}", headers=bearer(owner), timeout=10)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You do not have permission to perform this action."}


def test_staff_get_the_summary_now_and_at_each_change_without_user_data(server, make_user, owner):  # noqa: F811
    staff = make_user("ops@example.com", is_staff=True)
    task = Task.objects.create(
        owner=owner,
        kind="md5",
        params={"url": "https://files.example.com/private-report.bin"},
        status=TaskStatus.RUNNING,
        progress=30,
        progress_message="hashed 3 of 10 MiB of private-report.bin",
        started_at=timezone.now(),
    )
    now = timezone.now()
    worker = Worker.objects.create(
        hostname="w1", pid=42, started_at=now, heartbeat_at=now, running=[str(task.id)]
    )
    with requests.get(f"{server.url}{URL}", headers=bearer(staff), stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        stream = summaries(response)
        first = next(stream)
        assert first["activity"] == {
            "md5": {"queued": 0, "running": 1, "succeeded": 0, "failed": 0, "cancelled": 0}
        }
        assert first["running"] == [{"id": str(task.id), "progress": 30}]
        assert (first["failed"], first["newest_failure"], first["workers"]) == (0, None, [str(worker.id)])
        Task.objects.filter(id=task.id).update(progress=60)
        assert next(stream)["running"] == [{"id": str(task.id), "progress": 60}]
        Task.objects.filter(id=task.id).update(
            status=TaskStatus.FAILED, error="boom", finished_at=timezone.now()
        )
        failed = next(stream)
        assert (failed["running"], failed["failed"], failed["newest_failure"]) == ([], 1, str(task.id))
        assert failed["activity"]["md5"]["failed"] == 1


def test_the_admin_session_opens_it_too(server, make_user):  # noqa: F811
    client = Client()
    client.force_login(make_user("ops@example.com", is_staff=True))
    cookies = {"sessionid": client.cookies["sessionid"].value}
    with requests.get(f"{server.url}{URL}", cookies=cookies, stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert next(summaries(response))["running"] == []


def test_a_dropped_client_frees_the_stream_and_its_database_connection(server, make_user):  # noqa: F811
    staff = make_user("ops@example.com", is_staff=True)
    drop_after_the_first_event(server, URL, staff)
    # The client is gone; the stream itself never ends.
    wait_for_the_end(server, "ops event stream closed", user_id=staff.pk)
