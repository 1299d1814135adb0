"""MD5 by URL: a 1 GiB file served over loopback and hashed by a real worker, beside `md5sum`
of the same file on disk (the limit: no network, no Python) in the same run, and the
worker's peak memory beside the body size (flat memory means far below it). A 10 MiB body
measured end to end (submitted to succeeded) shows the fixed cost of a task beside it."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import ARTIFACTS, Row, bench_user, process_peak_rss, start_worker
from tests.helpers import wait_for

SIZE = int(os.environ.get("BENCH_MD5_BYTES", str(1024**3)))
MB = 1024 * 1024
SMALL_SIZE = 10 * MB
# Small tasks timed, and md5sum runs beside them: a task on a warm worker, medians.
SMALL_RUNS = 5


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(MB)
    with path.open("wb") as file:
        for _ in range(size // MB):
            file.write(block)
        file.write(block[: size % MB])


def _md5sum(path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    out = subprocess.run(["md5sum", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split()[0], time.perf_counter() - start


@dataclass
class Hashed:
    md5: str
    seconds: float  # started to finished: the hashing itself
    end_to_end_seconds: float  # created to finished: the fixed cost of a task included


def _project(paths: list[Path]) -> tuple[list[Hashed], int]:
    """Each file hashed by one md5 task on the same worker, in turn; and the worker's peak RSS."""
    from tasks_api.models import Task
    from tasks_api.services import task_create

    handler = partial(SimpleHTTPRequestHandler, directory=str(paths[0].parent))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = start_worker(name="md5-worker", processes=1, threads=2, env={"MD5_ALLOW_PRIVATE": "1"})
    hashed = []
    try:
        for path in paths:
            url = f"http://127.0.0.1:{server.server_address[1]}/{path.name}"
            task, _ = task_create(owner=bench_user(), kind="md5", params={"url": url})
            wait_for(
                lambda task=task: Task.objects.filter(
                    id=task.id, status__in=["succeeded", "failed"]
                ).exists(),
                timeout=1200,
                what="the md5 task",
            )
            task.refresh_from_db()
            if task.status != "succeeded":
                raise RuntimeError(f"md5 task failed: {task.error}")
            hashed.append(
                Hashed(
                    md5=task.result["md5"],
                    seconds=(task.finished_at - task.started_at).total_seconds(),
                    end_to_end_seconds=(task.finished_at - task.created_at).total_seconds(),
                )
            )
        peak = max(process_peak_rss(pid) for pid in worker.child_pids())
    finally:
        worker.stop()
        server.shutdown()
        server.server_close()
    return hashed, peak


def run() -> list[Row]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    small, big = ARTIFACTS / "md5-small.bin", ARTIFACTS / "md5-body.bin"
    _write_file(small, SMALL_SIZE)
    _write_file(big, SIZE)
    try:
        small_runs = [_md5sum(small) for _ in range(SMALL_RUNS)]
        expected, disk_seconds = _md5sum(big)
        (*smalls_got, got), peak = _project([small] * (SMALL_RUNS + 1) + [big])
    finally:
        small.unlink(missing_ok=True)
        big.unlink(missing_ok=True)
    small_expected = small_runs[0][0]
    for worker_md5, disk_md5 in [*((s.md5, small_expected) for s in smalls_got), (got.md5, expected)]:
        if worker_md5 != disk_md5:
            raise RuntimeError(f"md5 mismatch: worker {worker_md5}, md5sum {disk_md5}")
    # The first small task warms the worker up (its first connections): not a task's fixed cost.
    small_seconds = statistics.median(s.end_to_end_seconds for s in smalls_got[1:])
    small_disk_seconds = statistics.median(seconds for _, seconds in small_runs)
    return [
        Row(
            "md5",
            "hash rate",
            SIZE / MB / got.seconds,
            SIZE / MB / disk_seconds,
            "md5sum on disk",
            "MB/s",
            True,
            f"{SIZE // MB} MiB body, hashes agree",
            goal="≥ 0.85x",
        ),
        Row(
            "md5",
            "fixed cost of a task",
            SMALL_SIZE / MB / small_seconds,
            SMALL_SIZE / MB / small_disk_seconds,
            "md5sum on disk",
            "MB/s",
            True,
            f"{SMALL_SIZE // MB} MiB body, submitted to succeeded, median of {SMALL_RUNS} on a warm worker, hashes agree",
            goal="≥ 0.25x",
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
