"""MD5 by URL: a 1 GiB file served over loopback and hashed by a real worker, beside `md5sum`
of the same file on disk (the limit: no network, no Python) in the same run, and the
worker's peak memory beside the body size (flat memory means far below it)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import ARTIFACTS, Row, bench_user
from tests.helpers import spawn_worker, wait_for

SIZE = int(os.environ.get("BENCH_MD5_BYTES", str(1024**3)))
MB = 1024 * 1024


def _write_file(path: Path) -> None:
    block = os.urandom(MB)
    with path.open("wb") as file:
        for _ in range(SIZE // MB):
            file.write(block)
        file.write(block[: SIZE % MB])


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _md5sum(path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    out = subprocess.run(["md5sum", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split()[0], time.perf_counter() - start


def _project(path: Path) -> tuple[str, float, int]:
    from tasks_api.models import Task
    from tasks_api.services import task_create

    handler = partial(SimpleHTTPRequestHandler, directory=str(path.parent))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = spawn_worker(
        log_path=ARTIFACTS / "md5-worker.log", processes=1, threads=2, env={"MD5_ALLOW_PRIVATE": "1"}
    )
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{path.name}"
        task, _ = task_create(owner=bench_user(), kind="md5", params={"url": url})
        wait_for(
            lambda: Task.objects.filter(id=task.id, status__in=["succeeded", "failed"]).exists(),
            timeout=1200,
            what="the md5 task",
        )
        peak = max(_peak_rss(pid) for pid in worker.child_pids())
    finally:
        worker.stop()
        server.shutdown()
        server.server_close()
    task.refresh_from_db()
    if task.status != "succeeded":
        raise RuntimeError(f"md5 task failed: {task.error}")
    return task.result["md5"], (task.finished_at - task.started_at).total_seconds(), peak


def run() -> list[Row]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "md5-body.bin"
    _write_file(path)
    try:
        expected, disk_seconds = _md5sum(path)
        got, project_seconds, peak = _project(path)
    finally:
        path.unlink(missing_ok=True)
    if got != expected:
        raise RuntimeError(f"md5 mismatch: worker {got}, md5sum {expected}")
    note = f"{SIZE // MB} MiB body, hashes agree"
    return [
        Row(
            "md5",
            "hash rate",
            SIZE / MB / project_seconds,
            SIZE / MB / disk_seconds,
            "md5sum on disk",
            "MB/s",
            True,
            note,
        ),
        Row(
            "md5",
            "worker peak RSS",
            peak / MB,
            SIZE / MB,
            "body size",
            "MB",
            False,
            "whole worker process; flat memory keeps it far below the body",
        ),
    ]
