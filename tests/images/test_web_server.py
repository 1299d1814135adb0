"""The web process as the Procfile starts it: uploads cost it no decode, and it refuses
connections past its concurrency limit.

Each test runs its own server (a fresh process, so its peak memory is its own) on the test
database; the messages its uploads send are left to the end-to-end worker, which finds
the rows gone and fails those tasks.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests
from PIL import Image as PILImage
from rest_framework_simplejwt.tokens import RefreshToken

from tests.conftest import ARTIFACTS, ROOT, free_port, worker_database_url
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIDE = 7071  # 7071 x 7071 is just under the default IMAGE_MAX_PIXELS (50 MP)


@dataclass
class WebServer:
    proc: subprocess.Popen
    base: str

    def peak_rss(self) -> int:
        """The highest peak resident memory (VmHWM, bytes) of the server's processes."""
        processes = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)]
        return max(_peak_rss(process.pid) for process in processes)


def _peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


def procfile_web_command() -> str:
    """The Procfile's web command, without the collectstatic that precedes the server."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return line.removeprefix("web:").split("&&")[-1].strip()


@pytest.fixture
def start_web(tmp_path) -> Iterator:
    started: list[WebServer] = []

    def start(**env: str) -> WebServer:
        port = free_port()
        log = ARTIFACTS / f"web-{port}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            procfile_web_command(),
            shell=True,  # as honcho runs it: the variables in the line are the shell's
            cwd=ROOT,
            env={
                **os.environ,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "PORT": str(port),
                "DATABASE_URL": worker_database_url(),
                "MEDIA_ROOT": str(tmp_path / "media"),
                # The in-process broker: the uploads' processing messages must not reach the
                # session's worker, which cannot see this MEDIA_ROOT, would fail them, and
                # would write while the test's database is flushed (a deadlock, now and then).
                "RABBITMQ_URL": "",
                "USER_THROTTLE_RATE": "1000/min",
                **env,
            },
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = WebServer(proc, f"http://127.0.0.1:{port}")
        started.append(server)

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the web server exited:\n{log.read_text()}")
            try:
                return requests.get(f"{server.base}/healthz", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=60, what="the web server")
        return server

    yield start
    for server in started:
        os.killpg(server.proc.pid, signal.SIGTERM)
        server.proc.wait(timeout=30)


def encoded(fmt: str, mode: str, **options) -> bytes:
    buffer = io.BytesIO()
    PILImage.new(mode, (SIDE, SIDE), "white" if mode != "1" else 1).save(buffer, fmt, **options)
    return buffer.getvalue()


# (format, Pillow's mode, bytes a pixel when Pillow decodes it, save options)
BIG_PICTURES = [
    ("WEBP", "RGB", 4, {}),
    ("PNG", "RGB", 4, {}),
    ("TIFF", "RGB", 4, {"compression": "tiff_deflate"}),
    ("GIF", "P", 1, {}),
    ("BMP", "1", 1, {}),  # 6 MB: BMP has no compression Pillow writes
    ("JPEG", "L", 1, {}),
]


def test_a_50_mp_upload_of_any_format_costs_the_web_process_no_decode(start_web, owner):
    server = start_web(WEB_LIMIT_CONCURRENCY="8")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {RefreshToken.for_user(owner).access_token}"

    def post(content: bytes, name: str) -> requests.Response:
        return session.post(f"{server.base}/api/images/", files={"file": (name, content)}, timeout=60)

    # A small upload first, so the imports and pools every upload needs are in the baseline.
    small = io.BytesIO()
    PILImage.new("RGB", (64, 64)).save(small, "PNG")
    assert post(small.getvalue(), "warm-up.png").status_code == 201
    for fmt, mode, per_pixel, options in BIG_PICTURES:
        content = encoded(fmt, mode, **options)
        before = server.peak_rss()
        response = post(content, f"big.{fmt.lower()}")
        assert response.status_code == 201, response.text
        assert (response.json()["width"], response.json()["height"]) == (SIDE, SIDE)
        assert (response.json()["format"], response.json()["status"]) == (fmt, "processing")
        grown = server.peak_rss() - before
        # The pixels alone would take SIDE * SIDE * per_pixel bytes (50-200 MB); header-only
        # validation takes a few MB, the upload's own bytes included.
        assert grown < SIDE * SIDE * per_pixel / 4, (fmt, len(content), grown)


def test_connections_past_the_limit_get_503_at_once(start_web):
    # The Procfile runs two server processes, each with its own count, and a connection
    # counts itself: with a limit of 2, a process holding one kept-alive connection refuses
    # the next one it takes. Whichever process takes each new connection, the third one at
    # the latest lands on a process that holds one already.
    server = start_web(WEB_LIMIT_CONCURRENCY="2")
    port = int(server.base.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    answers: list[bytes] = []
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answers.append(sock.recv(65536)[:12])
            held.append(sock)
            if answers[-1] == b"HTTP/1.1 503":
                break
        assert answers[0] == b"HTTP/1.1 200"
        assert answers[-1] == b"HTTP/1.1 503", answers
    finally:
        for sock in held:
            sock.close()
    # Once those connections are closed, the server answers again.
    wait_for(
        lambda: requests.get(f"{server.base}/healthz", timeout=10).status_code == 200,
        what="the server to answer once the connections closed",
    )
