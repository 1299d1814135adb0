"""The image-events listener run as its own process, and a TCP proxy to cut its connection."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.helpers import ROOT, wait_for


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


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


class TcpProxy:
    """Forwards a local port to RabbitMQ; `cut()` drops every connection, as a broker restart does."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _shutdown(sock)

    @property
    def connections(self) -> int:
        with self.lock:
            return len(self.sockets) // 2

    def cut(self) -> None:
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            _shutdown(sock)
            sock.close()

    def close(self) -> None:
        self.server.close()
        self.cut()
