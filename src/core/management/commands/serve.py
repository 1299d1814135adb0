"""Serve the whole product from one process: web, Dramatiq worker threads and the scheduler.

This is the embedded default (`make run`): with no RABBITMQ_URL the broker is in-process,
so the workers must live in the same process as the web server that enqueues. Each queue
gets a thread pool of its own, as separate `rundramatiq --queues` processes would: a flood
of long sleeps then holds the sleep pool, never the threads that make image renditions.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import dramatiq
import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from dramatiq.common import q_name

from core.scheduling import SchedulerThread, periodic_actors
from tasks_api.recovery import tasks_requeue_after_restart

SHUTDOWN_TIMEOUT_MS = 4_000


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, calling `on_ready` once it listens (not before: the banner's links work)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.on_ready()


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on host:port already (bound as uvicorn binds, address reused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def banner(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", "[::]"} else host
    base = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    return "\n".join(
        [
            "",
            f"Workhorse is ready on {base}/",
            f"  API docs  {base}/api/docs/   (ReDoc {base}/api/redoc/)",
            f"  Site      {base}/files/   (register at {base}/accounts/register/)",
            f"  Admin     {base}/admin/   (an admin account: make superuser, in another terminal)",
            "Mails are not sent: they show up in this log. Ctrl+C stops.",
            "",
        ]
    )


class Command(BaseCommand):
    help = "Serve the web app with in-process Dramatiq workers and the periodic scheduler."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--threads", type=int, default=settings.EMBEDDED_WORKER_THREADS, help="threads of each queue"
        )

    def announce(self, host: str, port: int) -> None:
        self.stdout.write(banner(host, port))
        self.stdout.flush()  # a piped stdout is block-buffered: show it now, not at exit

    def handle(self, *args, host: str, port: int, threads: int, **options) -> None:
        if port_in_use(host, port):
            raise CommandError(
                f"Port {port} on {host} is in use (another make run, or another server?). "
                f"Stop that one, or serve on another port: PORT={port + 1} make run"
            )
        # The in-process broker lost its messages with the last process: queue every
        # unfinished task again, before the worker's relay starts sending.
        tasks_requeue_after_restart()
        broker = dramatiq.get_broker()
        queues = sorted({q_name(name) for name in broker.get_declared_queues()})
        workers = [dramatiq.Worker(broker, queues={queue}, worker_threads=threads) for queue in queues]
        scheduler = SchedulerThread(periodic_actors())
        for worker in workers:
            worker.start()
        scheduler.start()
        self.stdout.write(
            f"Workers: {threads} threads for each queue ({', '.join(queues)}). "
            f"Scheduler: {len(scheduler.actors)} periodic actors."
        )
        config = uvicorn.Config(
            "core.asgi:application",
            host=host,
            port=port,
            lifespan="off",
            log_level="info",
            limit_concurrency=settings.WEB_LIMIT_CONCURRENCY,
            # An open event stream (the /ops/ dashboard's never ends) would hold Ctrl+C up.
            timeout_graceful_shutdown=2,
        )
        server = AnnouncingServer(config, on_ready=lambda: self.announce(host, port))
        try:
            server.run()
        except KeyboardInterrupt:  # Ctrl+C: uvicorn has shut down already (as uvicorn.run does)
            pass
        finally:
            # Ctrl+C: running tasks see the shutdown within a second or so and put
            # themselves back; the next start runs them again.
            self.stdout.write("Stopping: running tasks go back to the queue for the next start.")
            scheduler.stop()
            # All pools at once: each one's stop waits a second or so for its threads to notice.
            with ThreadPoolExecutor(max_workers=len(workers)) as pool:
                for worker in workers:
                    pool.submit(worker.stop, timeout=SHUTDOWN_TIMEOUT_MS)
