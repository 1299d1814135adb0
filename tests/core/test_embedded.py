"""The embedded default: `manage.py serve` with nothing configured runs the whole product."""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from PIL import Image as PILImage

from tests.conftest import ROOT, free_port
from tests.helpers import PASSWORD, wait_for

EMBEDDED_VARS = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "EMAIL_URL", "MEDIA_ROOT", "STATIC_ROOT")


def embedded_env(tmp_path: Path) -> dict[str, str]:
    """`make run`'s environment: nothing configured but a data directory of the test's own."""
    env = {key: value for key, value in os.environ.items() if key not in EMBEDDED_VARS}
    # Only the data directory differs from `make run`: the test must not touch var/.
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def start_serve(tmp_path: Path) -> tuple[subprocess.Popen, str]:
    """Run `make run`'s steps in `tmp_path` and `manage.py serve` on a free port, once it answers.

    A second start in the same `tmp_path` serves the same database, as a second `make run` does.
    """
    env = embedded_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    # The same steps as `make run` (LOG_FORMAT left to its embedded default).
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = (tmp_path / "serve.log").open("a")
    proc = subprocess.Popen(
        [*manage, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=1).ok
        except requests.ConnectionError:
            return proc.poll() is not None

    wait_for(up, timeout=60, what="manage.py serve to answer")
    assert proc.poll() is None, (tmp_path / "serve.log").read_text()
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def embedded_server(tmp_path):
    proc, base = start_serve(tmp_path)
    yield base
    stop(proc)


@pytest.fixture
def serve_log(embedded_server, tmp_path) -> str:
    """What `manage.py serve` printed up to now (stdout and stderr, as a terminal shows them)."""
    return (tmp_path / "serve.log").read_text()


def test_serve_prints_where_everything_is_once_it_answers(embedded_server, serve_log):
    for line in (
        f"Workhorse is ready on {embedded_server}/",
        f"API docs  {embedded_server}/api/docs/",
        f"Site      {embedded_server}/files/",
        f"Admin     {embedded_server}/admin/",
        "make superuser",
    ):
        assert line in serve_log
    # Readable text, not JSON lines, on the embedded default.
    assert "INFO    uvicorn.error: Uvicorn running on" in serve_log
    assert '{"time"' not in serve_log
    for url in (f"{embedded_server}/api/docs/", f"{embedded_server}/files/", f"{embedded_server}/admin/"):
        assert requests.get(url, timeout=10).ok


def test_serve_on_a_busy_port_says_how_to_pick_another(tmp_path):
    env = embedded_env(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    assert f"PORT={port + 1} make run" in result.stderr


def test_serve_runs_a_task_with_in_process_broker_and_worker(embedded_server):
    api = f"{embedded_server}/api"
    creds = {"email": "embedded@example.com", "password": PASSWORD}
    assert requests.post(f"{api}/auth/register/", json=creds, timeout=10).status_code == 201
    access = requests.post(f"{api}/auth/token/", json=creds, timeout=10).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}

    response = requests.post(
        f"{api}/tasks/", json={"kind": "sleep", "params": {"seconds": 1}}, headers=headers, timeout=10
    )
    assert response.status_code == 202
    url = f"{embedded_server}{response.headers['Location']}"
    done = wait_for(
        lambda: (t := requests.get(url, headers=headers, timeout=10).json())["status"] == "succeeded" and t,
        what="the task to succeed in the embedded server",
    )
    assert done["result"] == {"slept": 1}
    ready = requests.get(f"{embedded_server}/readyz", timeout=10)
    assert ready.status_code == 200


def test_docs_and_static_are_served_without_debug(embedded_server):
    docs = requests.get(f"{embedded_server}/api/docs/", timeout=10)
    assert docs.status_code == 200
    redoc = requests.get(f"{embedded_server}/api/redoc/", timeout=10)
    assert redoc.status_code == 200
    for page in (docs.text, redoc.text):
        assert "https://" not in page and "http://" not in page, "docs must load only local assets"
    asset = requests.get(
        f"{embedded_server}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", timeout=10
    )
    assert asset.status_code == 200


def test_a_flood_of_sleeps_does_not_hold_up_image_processing(embedded_server):
    api = f"{embedded_server}/api"
    creds = {"email": "flood@example.com", "password": PASSWORD}
    requests.post(f"{api}/auth/register/", json=creds, timeout=10)
    headers = {
        "Authorization": f"Bearer {requests.post(f'{api}/auth/token/', json=creds, timeout=10).json()['access']}"
    }
    # More sleeps than a pool has threads (EMBEDDED_WORKER_THREADS, 4): one shared pool
    # would have every thread asleep for 15 s before the image got one.
    for _ in range(6):
        sleep = {"kind": "sleep", "params": {"seconds": 15}}
        assert requests.post(f"{api}/tasks/", json=sleep, headers=headers, timeout=10).status_code == 202

    def running_sleeps() -> int:
        page = requests.get(f"{api}/tasks/?kind=sleep&status=running", headers=headers, timeout=10)
        return page.json()["count"]

    wait_for(lambda: running_sleeps() == 4, timeout=20, what="the sleep pool to be full")
    picture = io.BytesIO()
    PILImage.new("RGB", (800, 600), "red").save(picture, "JPEG")
    files = {"file": ("red.jpg", picture.getvalue(), "image/jpeg")}
    image = requests.post(f"{api}/images/", files=files, headers=headers, timeout=10).json()
    wait_for(
        lambda: (
            requests.get(f"{api}/images/{image['id']}/", headers=headers, timeout=10).json()["status"]
            == "ready"
        ),
        timeout=10,
        what="the image to be processed",
    )
    assert running_sleeps() == 4  # every sleep thread still held


# SPEC §6: "Ctrl+C stops it within 5 s (running tasks resume on the next start)". A bound of
# the contract, read from the process's own exit.
CTRL_C_STOPS_WITHIN = 5


def test_ctrl_c_stops_serve_within_5_s_and_the_running_task_resumes_on_the_next_start(tmp_path):
    proc, base = start_serve(tmp_path)
    try:
        creds = {"email": "ctrl-c@example.com", "password": PASSWORD}
        assert requests.post(f"{base}/api/auth/register/", json=creds, timeout=10).status_code == 201
        access = requests.post(f"{base}/api/auth/token/", json=creds, timeout=10).json()["access"]
        headers = {"Authorization": f"Bearer {access}"}
        sleep = {"kind": "sleep", "params": {"seconds": 8}}
        response = requests.post(f"{base}/api/tasks/", json=sleep, headers=headers, timeout=10)
        assert response.status_code == 202
        path = response.headers["Location"]
        wait_for(
            lambda: requests.get(f"{base}{path}", headers=headers, timeout=10).json()["status"] == "running",
            what="the sleep to start",
        )

        proc.send_signal(signal.SIGINT)  # what Ctrl+C in make run's terminal sends
        proc.wait(timeout=CTRL_C_STOPS_WITHIN)
    finally:
        stop(proc)
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        status, attempts = db.execute("SELECT status, attempts FROM tasks_api_task").fetchone()
    assert status == "queued", (tmp_path / "serve.log").read_text()
    assert "shut down" in attempts  # the interrupted run, closed as such, not as a failure

    proc, base = start_serve(tmp_path)
    try:
        done = wait_for(
            lambda: (
                (t := requests.get(f"{base}{path}", headers=headers, timeout=10).json())["status"]
                in {"succeeded", "failed"}
                and t
            ),
            timeout=60,
            what="the task to finish after the restart",
        )
    finally:
        stop(proc)
    assert done["status"] == "succeeded", done
    assert done["result"] == {"slept": 8}
    assert len(done["attempts"]) == 2
