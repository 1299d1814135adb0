"""Foundation: zero-second `sleep` tasks through HTTP, the database, RabbitMQ and a real worker,
each beside raw Dramatiq (no HTTP, no Django) or a bare endpoint in the same run.

- one task at a time, POST until a GET reads `succeeded` (p50), beside a raw Dramatiq send
  to a no-op actor that writes one row, the sender waiting for it;
- BENCH_TASKS tasks POSTed by 8 threads until all succeeded, beside raw Dramatiq with one
  publisher (confirms on) and a 1x8 consumer;
- GET one task from 8 kept-alive threads, beside GET /healthz from the same client.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import (
    ARTIFACTS,
    ROOT,
    Row,
    bench_user,
    get_rate,
    percentile,
    start_web,
    start_worker,
    stop,
)
from tests.helpers import wait_for

COUNT = int(os.environ.get("BENCH_TASKS", "2000"))
LATENCY_RUNS = int(os.environ.get("BENCH_TASK_LATENCY_RUNS", "50"))
GETS = int(os.environ.get("BENCH_TASK_GETS", "2000"))
PROCESSES, THREADS, CLIENTS = 1, 8, 8
SLEEP = {"kind": "sleep", "params": {"seconds": 0}}


class Project:
    """The figures of the product itself, one web server and one worker for all of them."""

    def __init__(self) -> None:
        from rest_framework_simplejwt.tokens import RefreshToken

        from tasks_api.models import Task

        self.user = bench_user()
        Task.objects.filter(owner=self.user).delete()
        self.headers = {"Authorization": f"Bearer {RefreshToken.for_user(self.user).access_token}"}
        self.latencies: list[float] = []
        self.rate = self.get_task = self.get_task_p50 = self.healthz = self.healthz_p50 = 0.0

    def measure(self) -> None:
        worker = start_worker(name="tasks-worker", processes=PROCESSES, threads=THREADS)
        web, base = start_web()
        try:
            session = requests.Session()
            session.headers.update(self.headers)
            for run in range(LATENCY_RUNS + 3):  # the first few open connections, untimed
                started = time.perf_counter()
                task_id = self._post(session, base)
                url = f"{base}/api/tasks/{task_id}/"
                while session.get(url).json()["status"] != "succeeded":
                    pass
                if run >= 3:
                    self.latencies.append((time.perf_counter() - started) * 1000)
            self.rate = self._burst(base)
            task_url = f"{base}/api/tasks/{task_id}/"
            self.get_task, self.get_task_p50 = get_rate(
                task_url, headers=self.headers, threads=CLIENTS, count=GETS
            )
            self.healthz, self.healthz_p50 = get_rate(
                f"{base}/healthz", headers=self.headers, threads=CLIENTS, count=GETS
            )
        finally:
            stop(web)
            worker.stop()

    @staticmethod
    def _post(session: requests.Session, base: str) -> str:
        response = session.post(f"{base}/api/tasks/", json=SLEEP)
        response.raise_for_status()
        return response.json()["id"]

    def _burst(self, base: str) -> float:
        from tasks_api.models import Task

        local = threading.local()

        def submit(_: int) -> str:
            if getattr(local, "session", None) is None:
                local.session = requests.Session()
                local.session.headers.update(self.headers)
            return self._post(local.session, base)

        started = time.time()
        with ThreadPoolExecutor(CLIENTS) as pool:
            ids = list(pool.map(submit, range(COUNT)))
        wait_for(
            lambda: Task.objects.filter(id__in=ids, status="succeeded").count() == COUNT,
            timeout=600,
            what="every task to succeed",
        )
        last = max(Task.objects.filter(id__in=ids).values_list("finished_at", flat=True))
        return COUNT / (last.timestamp() - started)


def _raw_dramatiq() -> tuple[float, list[float]]:
    """Raw Dramatiq's burst rate (one publisher) and its one-at-a-time latencies (ms)."""
    import redis

    from bench import _noop_broker as noop_broker

    results = redis.Redis.from_url(os.environ["REDIS_URL"])
    results.delete(noop_broker.RESULTS_KEY)
    noop_broker.broker.flush_all()
    noop_broker.create_rows_table()
    log = ARTIFACTS / "noop-worker.log"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "dramatiq", "bench._noop_broker"),
            *("--processes", str(PROCESSES), "--threads", str(THREADS)),
        ],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: "ready for action" in log.read_text(), timeout=60, what="noop worker")
        latencies = []
        for run in range(LATENCY_RUNS + 3):
            reply_key = f"bench:noop:reply:{uuid.uuid4()}"
            started = time.perf_counter()
            noop_broker.noop_row.send(reply_key)
            results.blpop([reply_key], timeout=30)
            if run >= 3:
                latencies.append((time.perf_counter() - started) * 1000)
        start = time.time()
        for _ in range(COUNT):
            noop_broker.noop.send(time.time())
        wait_for(lambda: results.llen(noop_broker.RESULTS_KEY) >= COUNT, timeout=600, what="every no-op")
    finally:
        stop(proc)
    last = max(float(item.split()[1]) for item in results.lrange(noop_broker.RESULTS_KEY, 0, -1))
    return COUNT / (last - start), latencies


def run() -> list[Row]:
    project = Project()
    project.measure()
    base_rate, base_latencies = _raw_dramatiq()
    raw = f"raw Dramatiq, {PROCESSES}x{THREADS} consumer"
    return [
        Row(
            "tasks",
            f"one task, POST until GET reads succeeded p50 ({LATENCY_RUNS})",
            percentile(project.latencies, 50),
            percentile(base_latencies, 50),
            "raw Dramatiq send + no-op actor + row write",
            "ms",
            higher_is_better=False,
            goal="≤ 5x",
        ),
        Row(
            "tasks",
            f"{COUNT} tasks POSTed by {CLIENTS} threads, until all succeeded",
            project.rate,
            base_rate,
            f"{raw}, one publisher with confirms",
            "tasks/s",
            note=f"worker {PROCESSES}x{THREADS} threads",
            goal="≥ 0.35x",
        ),
        Row(
            "tasks",
            f"GET one task, {CLIENTS} threads kept-alive",
            project.get_task,
            project.healthz,
            "GET /healthz, same client",
            "req/s",
            note=f"p50 {project.get_task_p50:.1f} ms vs {project.healthz_p50:.1f} ms",
            goal="≥ 0.5x",
        ),
    ]
