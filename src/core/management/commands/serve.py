"""Serve the whole product from one process: web, Dramatiq worker threads and the scheduler.

This is the embedded default (`make run`): with no RABBITMQ_URL the broker is in-process,
so the workers must live in the same process as the web server that enqueues.
"""

from __future__ import annotations

import os

import dramatiq
import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from core.scheduling import SchedulerThread, periodic_actors
from tasks_api.recovery import tasks_requeue_after_restart

SHUTDOWN_TIMEOUT_MS = 4_000


class Command(BaseCommand):
    help = "Serve the web app with in-process Dramatiq workers and the periodic scheduler."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=settings.EMBEDDED_WORKER_THREADS)

    def handle(self, *args, host: str, port: int, threads: int, **options) -> None:
        # The in-process broker lost its messages with the last process: queue every
        # unfinished task again, before the worker's relay starts sending.
        tasks_requeue_after_restart()
        worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads)
        scheduler = SchedulerThread(periodic_actors())
        worker.start()
        scheduler.start()
        self.stdout.write(f"Worker: {threads} threads. Scheduler: {len(scheduler.actors)} periodic actors.")
        try:
            uvicorn.run(
                "core.asgi:application",
                host=host,
                port=port,
                lifespan="off",
                log_level="info",
                limit_concurrency=settings.WEB_LIMIT_CONCURRENCY,
            )
        finally:
            # Ctrl+C: running tasks see the shutdown within a second or so and put
            # themselves back; the next start runs them again.
            self.stdout.write("Stopping: running tasks go back to the queue for the next start.")
            scheduler.stop()
            worker.stop(timeout=SHUTDOWN_TIMEOUT_MS)
