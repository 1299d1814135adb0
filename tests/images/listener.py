"""The image-events listener run as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, wait_for


class ListenerProcess:
    """`manage.py listen_image_events` with its stdout and stderr in files."""

    def __init__(self, *, log_dir: Path, env: dict[str, str]) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = log_dir / "listener.out"
        self.stderr_path = log_dir / "listener.err"
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "listen_image_events"],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=self.stdout_path.open("w"),
            stderr=self.stderr_path.open("w"),
        )

    @property
    def lines(self) -> list[str]:
        return self.stdout_path.read_text().splitlines()

    @property
    def errors(self) -> str:
        return self.stderr_path.read_text()

    def wait_until_listening(self, times: int = 1) -> None:
        wait_for(
            lambda: (
                sum(line.startswith("Listening for") for line in self.lines) >= times
                or self.proc.poll() is not None
            ),
            what="the listener to consume",
        )
        assert self.proc.poll() is None, f"the listener exited:\n{self.errors}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
