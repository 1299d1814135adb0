"""The runtime's threads in every worker process: heartbeat, leases, relay and take-over.

A Dramatiq middleware starts them when the worker boots. Each TASK_HEARTBEAT_SECONDS the
heartbeat writes the process's `Worker` row (what `/api/ops/workers/` lists), renews the
leases of the runs this process holds (a renewal that finds its row cancelled or taken
over sets the run's stop flag) and takes over tasks whose worker died. Each
TASK_RELAY_INTERVAL_SECONDS the relay sends tasks without a message and publishes pending
events (tasks_api.recovery, core.events). Two threads, so a broker outage never delays a
lease. On shutdown every run is flagged to stop, so long handlers put their task back,
and the `Worker` row is deleted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from core.events import events_publish_pending
from tasks_api.models import Task, TaskStatus, Worker
from tasks_api.recovery import tasks_dispatch_pending, tasks_take_over_expired
from tasks_api.runs import current_runs

logger = logging.getLogger(__name__)
# A worker whose heartbeat is older than this is gone (its row is deleted by the others).
WORKER_GONE_AFTER = timedelta(days=1)


def leases_renew() -> None:
    """Renew this process's leases; flag the runs whose row is no longer theirs to stop."""
    runs = current_runs()
    if not runs:
        return
    mine = Q()
    for run in runs:
        mine |= Q(id=run.task_id, claim_token=run.token)
    held = Task.objects.filter(mine, status=TaskStatus.RUNNING)
    held.update(lease_until=timezone.now() + timedelta(seconds=settings.TASK_LEASE_SECONDS))
    still_held = set(held.values_list("claim_token", flat=True))
    for run in runs:
        if run.token not in still_held:
            run.stop.set()  # cancelled, or taken over after this process stalled


class Loop(threading.Thread):
    """Call `step` every `interval` seconds until stopped; an error waits for the next round."""

    def __init__(self, *, name: str, interval: float) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            close_old_connections()  # a connection the database dropped is replaced here
            try:
                self.step()
            except Exception:
                # The database or the broker is away: log it and try again next round.
                logger.warning("%s round failed", self.name, exc_info=True)
                connection.close()
            self.stopping.wait(self.interval)
        self.leave()
        connection.close()

    def step(self) -> None:
        raise NotImplementedError

    def leave(self) -> None:
        """What to do once stopped."""


class HeartbeatThread(Loop):
    """The database side, which a broker outage must never delay: leases and the Worker row."""

    def __init__(self, *, queues: list[str]) -> None:
        super().__init__(name="task-heartbeat", interval=settings.TASK_HEARTBEAT_SECONDS)
        self.worker_id = uuid.uuid4()
        self.queues = queues
        self.started_at = timezone.now()
        # Since when this process's rounds have reached the database without a break.
        self.reachable_since: datetime | None = None

    def step(self) -> None:
        try:
            self.beat()
        except Exception:
            self.reachable_since = None
            raise

    def beat(self) -> None:
        leases_renew()
        now = timezone.now()
        Worker.objects.update_or_create(
            id=self.worker_id,
            defaults={
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "queues": self.queues,
                "started_at": self.started_at,
                "heartbeat_at": now,
                "running": [str(run.task_id) for run in current_runs()],
            },
        )
        Worker.objects.filter(heartbeat_at__lt=now - WORKER_GONE_AFTER).delete()
        if self.reachable_since is None:
            self.reachable_since = now
        # A lease that ran out while this process could not reach the database proves no
        # death: the holder could not renew it either (a database outage, a run waiting for
        # the database to come back). Once every live holder has had a lease's time to renew,
        # what is still expired is a dead worker's.
        if now - self.reachable_since >= timedelta(seconds=settings.TASK_LEASE_SECONDS):
            tasks_take_over_expired()

    def leave(self) -> None:
        try:
            Worker.objects.filter(id=self.worker_id).delete()
        except Exception:
            logger.warning("worker row not deleted at shutdown", exc_info=True)


class RelayThread(Loop):
    """The broker side: send what has no message yet, publish pending events."""

    def __init__(self) -> None:
        super().__init__(name="task-relay", interval=settings.TASK_RELAY_INTERVAL_SECONDS)

    def step(self) -> None:
        tasks_dispatch_pending()
        events_publish_pending()
