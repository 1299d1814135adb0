"""The Dramatiq middleware of the job runtime (see tasks_api.heartbeat and tasks_api.recovery).

Django-dramatiq builds the broker's middleware while the apps load, before any model can
be imported: this module imports nothing of Django's, and its hooks import what they use.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import dramatiq

from tasks_api.runs import shutting_down

if TYPE_CHECKING:
    from tasks_api.heartbeat import Loop


class TaskRuntime(dramatiq.Middleware):
    """Starts the runtime thread in each worker, and fails tasks whose message gave up.

    Listed after Retries: by `after_process_message` a message out of retries is marked
    failed, and its task must not stay queued or running for ever.
    """

    def __init__(self) -> None:
        self.threads: list[Loop] = []
        # `manage.py serve` runs a Worker per queue in one process: one runtime serves them
        # all, its Worker row lists every pool's queues, and it stops with the last pool.
        self.workers = 0
        self.queues: list[str] = []
        self.lock = threading.Lock()  # the pools stop at once

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if getattr(worker, "one_off", False):
            return  # a command draining the in-process broker (core.dispatch) runs no runtime
        from django.conf import settings

        from tasks_api.heartbeat import HeartbeatThread, RelayThread

        with self.lock:
            self.workers += 1
            self.queues[:] = sorted(
                {*self.queues, *(worker.consumer_whitelist or broker.get_declared_queues())}
            )
            if self.threads:
                return
            shutting_down.clear()
            self.threads = [RelayThread()]
            if settings.TASK_HEARTBEAT_ENABLED:
                self.threads.append(HeartbeatThread(queues=self.queues))
            for thread in self.threads:
                thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        shutting_down.set()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if getattr(worker, "one_off", False):
            return
        with self.lock:
            self.workers -= 1
            if self.workers:
                return
            self.queues = []
            for thread in self.threads:
                thread.stopping.set()
            for thread in self.threads:
                thread.join(timeout=10)
            self.threads = []

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result: Any = None,
        exception: Any = None,
    ) -> None:
        if exception is None or not message.failed or not message.args:
            return
        from tasks_api import registry
        from tasks_api.services import task_give_up

        if message.actor_name in registry.actor_names():
            task_give_up(
                task_id=message.args[0],
                error=f"Gave up after {message.options.get('retries', 0)} retries: "
                f"{type(exception).__name__}: {exception}",
            )
