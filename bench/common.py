"""What every benchmark shares: Django set-up on the bench database, workers, the result row.

Benchmarks run against the real services named by DATABASE_URL, RABBITMQ_URL and
REDIS_URL (`make bench` points them at the machine's own). Each benchmark module has a
`run() -> list[Row]` that measures the project and its baseline in the same run.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import WorkerProcess, spawn_worker, wait_for

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "bench"


@dataclass
class Row:
    capability: str
    metric: str
    project: float
    baseline: float
    baseline_name: str
    unit: str
    higher_is_better: bool = True
    note: str = ""
    goal: str = ""  # the ratio the benchmark issue asks for, such as "≤ 1.5x"
    peak_rss: str = ""  # of the web and worker processes of the benchmark (see PeakRss)

    @property
    def ratio(self) -> float:
        if not self.baseline:
            return float("nan")
        return self.project / self.baseline


def process_peak_rss(pid: int) -> int:
    """A process's own peak RSS (VmHWM), bytes; 0 once it has gone. Not ru_maxrss: Linux
    carries that over exec from the parent."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_peak_rss(pid: int) -> int:
    """The highest VmHWM among a server's processes (uvicorn and dramatiq fork workers)."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    return max(process_peak_rss(p) for p in [pid, *(child.pid for child in children)])


class PeakRss:
    """The largest peak RSS of any one web or worker process the benchmarks start.

    Sampled every SAMPLE_SECONDS while they run, since a process's VmHWM is gone once it
    exits; it only ever rises, so a sample misses at most the last moments of a process.
    `take()` gives what was seen since the last call, as `web 80 MB, worker 120 MB`.
    """

    SAMPLE_SECONDS = 0.2

    def __init__(self) -> None:
        self.roots: dict[str, list[int]] = {"web": [], "worker": []}
        self.peaks: dict[str, int] = {}
        self.lock = threading.Lock()
        self.sampler: threading.Thread | None = None

    def watch(self, role: str, pid: int) -> None:
        with self.lock:
            self.roots[role].append(pid)
            if self.sampler is None:
                self.sampler = threading.Thread(target=self._sample_forever, daemon=True)
                self.sampler.start()

    def _sample_forever(self) -> None:
        while True:
            with self.lock:
                for role, roots in self.roots.items():
                    for root in roots:
                        self.peaks[role] = max(self.peaks.get(role, 0), tree_peak_rss(root))
            time.sleep(self.SAMPLE_SECONDS)

    def take(self) -> str:
        with self.lock:
            peaks, self.peaks = self.peaks, {}
            self.roots = {role: [] for role in self.roots}
        return ", ".join(f"{role} {peaks[role] / 1e6:.0f} MB" for role in ("web", "worker") if role in peaks)


peak_rss = PeakRss()


def setup_django() -> None:
    """Configure Django on the bench database and bring its schema up to date."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    _create_database_if_missing()
    call_command("migrate", verbosity=0)


def _create_database_if_missing() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg2
    from psycopg2 import sql

    params = connection.get_connection_params()
    name = params.pop("dbname")
    params["dbname"] = "postgres"
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (0..100) by the inclusive method; values must not be empty."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] if pct < 100 else max(values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(*, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Serve core.asgi with uvicorn in a child process; returns it and its base URL."""
    import requests

    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "core.asgi:application",
            "--port",
            str(port),
            "--workers",
            "2",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "src",
        env={**os.environ, "USER_THROTTLE_RATE": "1000000/min", **(env or {})},
        stdout=(ARTIFACTS / "web.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    peak_rss.watch("web", proc.pid)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or still busy starting
            return False

    wait_for(up, timeout=60, what="the web server")
    return proc, base


def get_rate(url: str, *, headers: dict[str, str], threads: int, count: int) -> tuple[float, float]:
    """GET `url` `count` times from `threads` threads, each on its own kept-alive session.

    Returns requests per second and the p50 latency in ms. A few requests per thread come
    first, untimed, so every connection is open before the clock starts.
    """
    import requests

    local = threading.local()

    def timed_get(_: int) -> float:
        if getattr(local, "session", None) is None:
            local.session = requests.Session()
            local.session.headers.update(headers)
        started = time.perf_counter()
        local.session.get(url, timeout=30).raise_for_status()
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(timed_get, range(threads * 4)))
        started = time.perf_counter()
        latencies = list(pool.map(timed_get, range(count)))
        elapsed = time.perf_counter() - started
    return count / elapsed, percentile(latencies, 50)


def start_worker(
    *, name: str, processes: int, threads: int, env: dict[str, str] | None = None
) -> WorkerProcess:
    worker = spawn_worker(
        log_path=ARTIFACTS / f"{name}.log", processes=processes, threads=threads, env=env or {}
    )
    peak_rss.watch("worker", worker.proc.pid)
    return worker


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def bench_user(email: str = "bench@example.com"):
    from core.models import User

    user, _ = User.objects.get_or_create(email=email)
    return user
