"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")
PASSWORD = "a-Strong-passw0rd!"
ROOT = Path(__file__).resolve().parent.parent


def client_for(user):
    """An API client that sends the user's real JWT access token."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll `condition` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class WorkerProcess:
    """A `manage.py rundramatiq` process group with its own log file."""

    def __init__(self, proc: subprocess.Popen, log_path: Path, spawn_args: dict) -> None:
        self.proc = proc
        self.log_path = log_path
        self.spawn_args = spawn_args

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict]:
        """The JSON log records written so far; a line still being written is left out."""
        complete = self.log.rpartition("\n")[0]
        return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]

    def child_pids(self) -> list[int]:
        """The worker processes under dramatiq's supervisor."""
        return [child.pid for child in psutil.Process(self.proc.pid).children(recursive=True)]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def restart(self, sig: int = signal.SIGKILL) -> None:
        """Stop the whole group with `sig` (SIGKILL: a crash) and start a fresh one in its place."""
        self.stop(sig)
        fresh = spawn_worker(**self.spawn_args)
        self.proc, self.log_path = fresh.proc, fresh.log_path


def spawn_worker(
    *, log_path: Path, processes: int, threads: int, env: dict[str, str], queues: Sequence[str] = ()
) -> WorkerProcess:
    """Start `manage.py rundramatiq` in its own process group and wait until it consumes.

    `queues`: the queues it consumes (`--queues`); all of them when empty.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "rundramatiq",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
            "--worker-shutdown-timeout",
            "5000",
            *(["--queues", *queues] if queues else []),
        ],
        cwd=ROOT,
        # INFO at least: readiness is read from the worker's "ready for action" log line.
        env={**os.environ, "LOG_LEVEL": "INFO", **env},
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = WorkerProcess(
        proc,
        log_path,
        {"log_path": log_path, "processes": processes, "threads": threads, "env": env, "queues": queues},
    )
    try:
        wait_for(
            lambda: worker.log.count("is ready for action") >= processes or proc.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
    except AssertionError:
        worker.stop(signal.SIGKILL)  # never leave a half-started worker consuming messages
        raise
    if proc.poll() is not None:
        raise RuntimeError(f"worker exited early:\n{worker.log}")
    return worker
