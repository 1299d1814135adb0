"""The `sleep` kind: a long job that only waits, reporting progress as it goes."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from jobs.params import SecondsField
from tasks_api.models import Task
from tasks_api.params import ParamsSerializer
from tasks_api.runs import raise_if_stopped
from tasks_api.services import Outcome, task_set_progress


class SleepParamsSerializer(ParamsSerializer):
    seconds = SecondsField()


def sleep_run(task: Task) -> dict[str, Any] | Outcome:
    """Sleep until `started_at + seconds`, one slice per message.

    The deadline comes from the row, not from this process, so a redelivered message (the
    worker died) or the next slice carries on where the last one stopped. A slice ends after
    SLEEP_SLICE_SECONDS so no delivery stays unacknowledged for long.
    """
    seconds = task.params["seconds"]
    deadline = task.started_at + timedelta(seconds=seconds)
    slice_end = time.monotonic() + settings.SLEEP_SLICE_SECONDS
    last_progress = -1
    while True:
        remaining = (deadline - timezone.now()).total_seconds()
        if remaining <= 0:
            return {"slept": seconds}
        progress = int(100 * (seconds - remaining) / seconds)
        if progress != last_progress:
            task_set_progress(
                task_id=task.id,
                progress=progress,
                message=f"slept {seconds - remaining:.0f} of {seconds:g} s",
            )
            last_progress = progress
        if time.monotonic() >= slice_end:
            return Outcome.CONTINUE
        raise_if_stopped()  # cancelled, or the worker shuts down: within a second
        time.sleep(min(1.0, remaining))
