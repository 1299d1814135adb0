"""A TCP proxy the fault tests control: put it between a process and PostgreSQL or RabbitMQ.

    proxy = FaultProxy.for_url(settings.RABBITMQ_URL)  # listens on a free loopback port
    proxy.url         # the same URL, through the proxy: give it to a process's environment
    proxy.cut()       # every connection closed, new ones refused: the service is down
    proxy.hold()      # connections accepted, no byte passed either way: a hanging peer
    proxy.restore()   # bytes flow again, new connections reach the target

`hold()` keeps what it received and passes it on at `restore()`, as a network that stalls
does; `cut()` drops it. `accepted` counts the connections made through the proxy so far.
The fixtures `db_proxy` and `broker_proxy` in tests/conftest.py build one per test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class FaultProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.url = ""
        self.accepted = 0
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._sockets: set[socket.socket] = set()
        self._server: socket.socket | None = None
        self.port = self._listen(0)

    @classmethod
    def for_url(cls, url: str) -> FaultProxy:
        """A proxy to the host and port of `url`; its `url` is the same URL through the proxy."""
        parts = urlsplit(url)
        port = parts.port or {"amqp": 5672, "postgres": 5432, "postgresql": 5432}[parts.scheme]
        proxy = cls((parts.hostname or "127.0.0.1", port))
        proxy.url = proxy.url_for(url)
        return proxy

    # --- what a test calls ---------------------------------------------------------------
    def url_for(self, url: str) -> str:
        """`url` (postgres://, amqp://) with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def cut(self) -> None:
        """Close every connection and refuse new ones (connection refused), as a stopped service does."""
        with self._lock:
            server, self._server = self._server, None
            sockets, self._sockets = self._sockets, set()
        if server is not None:
            _close(server)
        for sock in sockets:
            _close(sock)

    def hold(self) -> None:
        """Accept connections but pass no byte either way until `restore()`: a peer that hangs."""
        self._flowing.clear()

    def restore(self) -> None:
        """Undo `cut()` or `hold()`: listen on the same port again and let bytes flow."""
        with self._lock:
            listening = self._server is not None
        if not listening:
            self._listen(self.port)
        self._flowing.set()

    def close(self) -> None:
        self._flowing.set()  # let held pipes end
        self.cut()

    # --- the forwarding --------------------------------------------------------------------
    def _listen(self, port: int) -> int:
        server = socket.create_server(("127.0.0.1", port))
        with self._lock:
            self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        return server.getsockname()[1]

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # cut() closed the listening socket
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._server is not server:  # cut() while this one was connecting
                    _close(client)
                    _close(upstream)
                    return
                self._sockets |= {client, upstream}
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self._flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets -= {src, dst}
            for sock in (src, dst):
                _close(sock)
