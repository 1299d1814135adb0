"""`GET /api/tasks/{id}/events/` served by the real ASGI server (uvicorn) in its own process.

The `server` fixture serves tests/ops/test_event_stream.py too.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from tasks_api.models import Task, TaskStatus
from tests.conftest import ARTIFACTS, ROOT, free_port, worker_database_url
from tests.helpers import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the server process shares the test database: PostgreSQL"
    ),
]
APP_NAME = "event-stream-server"


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, log_path) -> None:
        self.proc, self.url, self.log_path = proc, f"http://127.0.0.1:{port}", log_path

    def log_records(self) -> list[dict]:
        lines = self.log_path.read_text(errors="replace").rpartition("\n")[0].splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Server]:
    port = free_port()
    log_path = ARTIFACTS / "event-stream-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{worker_database_url()}?application_name={APP_NAME}",
        "TASK_EVENTS_POLL_SECONDS": "0.1",
        "OPS_EVENTS_POLL_SECONDS": "0.1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.asgi:application", "--port", str(port), "--lifespan", "off"],
        cwd=ROOT / "src",
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = Server(proc, port, log_path)

    def up() -> bool:
        try:
            return requests.get(f"{server.url}/healthz", timeout=1).ok
        except requests.ConnectionError:
            return proc.poll() is not None

    wait_for(up, timeout=60, what="the ASGI server to start")
    assert proc.poll() is None, log_path.read_text()
    yield server
    proc.terminate()
    proc.wait(timeout=30)


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def events(response) -> Iterator[dict]:
    for line in response.iter_lines():
        if line.startswith(b"data: "):
            yield json.loads(line[len(b"data: ") :])


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return cursor.fetchone()[0]


def test_the_stream_sends_the_task_now_and_at_each_change_then_closes(server, owner):
    task = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 5})
    url = f"{server.url}/api/tasks/{task.id}/events/"
    with requests.get(url, headers=bearer(owner), stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        stream = events(response)
        first = next(stream)
        assert (first["id"], first["status"], first["progress"]) == (str(task.id), "queued", 0)
        Task.objects.filter(id=task.id).update(
            status=TaskStatus.RUNNING, progress=40, started_at=timezone.now()
        )
        assert (next(stream)["status"], 40) == ("running", 40)
        Task.objects.filter(id=task.id).update(progress_message="slept 2 of 5 s")
        assert next(stream)["progress_message"] == "slept 2 of 5 s"
        Task.objects.filter(id=task.id).update(progress=80)
        assert next(stream)["progress"] == 80
        Task.objects.filter(id=task.id).update(
            status=TaskStatus.SUCCEEDED, progress=100, result={"slept": 5}, finished_at=timezone.now()
        )
        last = next(stream)
        assert (last["status"], last["result"]) == ("succeeded", {"slept": 5})
        assert list(stream) == [], "the stream ends after the finished state"


def test_a_finished_task_gets_one_event_and_the_end(server, owner):
    task = Task.objects.create(owner=owner, kind="sleep", status=TaskStatus.FAILED, error="boom")
    with requests.get(
        f"{server.url}/api/tasks/{task.id}/events/", headers=bearer(owner), stream=True
    ) as response:
        assert [event["status"] for event in events(response)] == ["failed"]


def test_another_users_task_is_a_404_and_anonymous_a_401(server, owner, other_user):
    task = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 5})
    url = f"{server.url}/api/tasks/{task.id}/events/"
    assert requests.get(url, headers=bearer(other_user), timeout=10).status_code == 404
    anonymous = requests.get(url, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = requests.get(url, headers={"Authorization": "Bearer not.a.token"}, timeout=10)
    assert forged.status_code == 401


def drop_after_the_first_event(server: Server, path: str, user) -> None:
    """Open the stream on a raw socket, read up to its first event, and go away without a word."""
    port = int(server.url.rpartition(":")[2])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        auth = bearer(user)["Authorization"]
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\r\n".encode())
        received = b""
        while b"data: " not in received:
            received += client.recv(65536)
        assert b" 200 " in received.split(b"\r\n", 1)[0]
        assert server_connections() >= 1, "the open stream reads over its own connection"


def wait_for_the_end(server: Server, message: str, **fields) -> None:
    """Wait for the server to log the stream's end (`message` with `fields`) and free its connection."""

    def closed() -> bool:
        return any(
            record.get("message") == message and fields.items() <= record.items()
            for record in server.log_records()
        )

    wait_for(closed, what="the server to end the dropped stream")
    wait_for(lambda: server_connections() == 0, what="the stream's database connection to close")


def test_a_dropped_client_frees_the_stream_and_its_database_connection(server, owner):
    task = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 600})
    drop_after_the_first_event(server, f"/api/tasks/{task.id}/events/", owner)
    # The client is gone; the task will not finish for ten minutes.
    wait_for_the_end(server, "task event stream closed", task_id=str(task.id))
