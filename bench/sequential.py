"""The sequential lane: what handing the lane from one task to the next costs, beside the
latency of a lone zero-second `sleep` task (the foundation's figure) in the same run, with
the same web server and worker (2 processes x 3 threads, so hand-offs cross processes)."""

from __future__ import annotations

import itertools
import os

import requests

from bench.common import Row, bench_user, percentile, start_web, start_worker, stop
from tests.helpers import wait_for

COUNT = int(os.environ.get("BENCH_SEQUENTIAL_TASKS", "40"))
SLEEPS = int(os.environ.get("BENCH_SEQUENTIAL_SLEEPS", "40"))


def _ms(delta) -> float:
    return delta.total_seconds() * 1000


def run() -> list[Row]:
    from rest_framework_simplejwt.tokens import RefreshToken

    from tasks_api.models import Task

    user = bench_user()
    Task.objects.filter(owner=user).delete()
    worker = start_worker(name="sequential-worker", processes=2, threads=3)
    web, base = start_web()
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {RefreshToken.for_user(user).access_token}"

        def submit(kind: str, params: dict) -> str:
            response = session.post(f"{base}/api/tasks/", json={"kind": kind, "params": params})
            response.raise_for_status()
            return response.json()["id"]

        def done(ids: list[str]) -> bool:
            return Task.objects.filter(id__in=ids, status="succeeded").count() == len(ids)

        # Baseline: one zero-second sleep at a time, so nothing queues behind anything.
        sleeps = []
        for _ in range(SLEEPS):
            sleeps.append(submit("sleep", {"seconds": 0}))
            wait_for(lambda: done(sleeps[-1:]), timeout=60, what="a sleep task")
        # The lane: all submitted at once, then run one after another.
        lane = [submit("sequential", {"num": n, "timeout": 0}) for n in range(COUNT)]
        wait_for(lambda: done(lane), timeout=600, what="the lane to drain")
    finally:
        stop(web)
        worker.stop()

    latency = [_ms(t.finished_at - t.created_at) for t in Task.objects.filter(id__in=sleeps)]
    rows = sorted(Task.objects.filter(id__in=lane), key=lambda t: t.number)
    handoffs = [_ms(after.started_at - before.finished_at) for before, after in itertools.pairwise(rows)]
    baseline = f"lone sleep(0) task latency ({SLEEPS} tasks)"
    note = f"{COUNT} zero-second tasks; previous finish to next start"
    return [
        *(
            Row(
                "sequential",
                f"hand-off p{pct}",
                percentile(handoffs, pct),
                percentile(latency, pct),
                baseline,
                "ms",
                False,
                note,
            )
            for pct in (50, 90)
        ),
        Row(
            "sequential",
            "lane throughput",
            COUNT / (rows[-1].finished_at - rows[0].started_at).total_seconds(),
            SLEEPS / sum(latency) * 1000,
            "lone sleep(0) tasks back to back",
            "tasks/s",
            True,
            note,
        ),
    ]
