"""Foundation: zero-second `sleep` tasks through HTTP, the database, RabbitMQ and a real worker,
beside raw Dramatiq (enqueue plus a no-op actor: no HTTP, no database) in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import ARTIFACTS, ROOT, Row, bench_user, percentile, start_web, start_worker, stop
from tests.helpers import wait_for

COUNT = int(os.environ.get("BENCH_TASKS", "2000"))
PROCESSES, THREADS, CLIENTS = 1, 8, 8


def _project() -> tuple[float, list[float]]:
    from rest_framework_simplejwt.tokens import RefreshToken

    from tasks_api.models import Task

    user = bench_user()
    Task.objects.filter(owner=user).delete()
    worker = start_worker(name="tasks-worker", processes=PROCESSES, threads=THREADS)
    web, base = start_web()
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {RefreshToken.for_user(user).access_token}"

        def submit(_: int) -> None:
            response = session.post(f"{base}/api/tasks/", json={"kind": "sleep", "params": {"seconds": 0}})
            response.raise_for_status()

        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(submit, range(COUNT)))
        wait_for(
            lambda: Task.objects.filter(owner=user, status="succeeded").count() == COUNT,
            timeout=600,
            what="every task to succeed",
        )
    finally:
        stop(web)
        worker.stop()
    rows = list(Task.objects.filter(owner=user).values_list("created_at", "finished_at"))
    first = min(created for created, _ in rows)
    last = max(finished for _, finished in rows)
    latencies = [(finished - created).total_seconds() * 1000 for created, finished in rows]
    return COUNT / (last - first).total_seconds(), latencies


def _baseline() -> tuple[float, list[float]]:
    import redis

    from bench import _noop_broker as noop_broker

    results = redis.Redis.from_url(os.environ["REDIS_URL"])
    results.delete(noop_broker.RESULTS_KEY)
    noop_broker.broker.flush_all()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dramatiq",
            "bench._noop_broker",
            "--processes",
            str(PROCESSES),
            "--threads",
            str(THREADS),
        ],
        cwd=ROOT,
        stdout=(ARTIFACTS / "noop-worker.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: "ready for action" in (ARTIFACTS / "noop-worker.log").read_text(),
            timeout=60,
            what="noop worker",
        )
        start = time.time()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(lambda _: noop_broker.noop.send(time.time()), range(COUNT)))
        wait_for(lambda: results.llen(noop_broker.RESULTS_KEY) >= COUNT, timeout=600, what="every no-op")
    finally:
        stop(proc)
    pairs = [tuple(map(float, item.split())) for item in results.lrange(noop_broker.RESULTS_KEY, 0, -1)]
    last = max(done for _, done in pairs)
    return COUNT / (last - start), [(done - sent) * 1000 for sent, done in pairs]


def run() -> list[Row]:
    project_rate, project_latency = _project()
    base_rate, base_latency = _baseline()
    name = f"raw Dramatiq no-op ({PROCESSES}x{THREADS} threads)"
    note = f"{COUNT} tasks, {CLIENTS} HTTP clients"
    return [
        Row("tasks", "throughput", project_rate, base_rate, name, "tasks/s", True, note),
        Row(
            "tasks",
            "latency p50",
            percentile(project_latency, 50),
            percentile(base_latency, 50),
            name,
            "ms",
            False,
            note,
        ),
        Row(
            "tasks",
            "latency p99",
            percentile(project_latency, 99),
            percentile(base_latency, 99),
            name,
            "ms",
            False,
            note,
        ),
    ]
