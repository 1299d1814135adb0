"""What a deleted account leaves in the task runtime: its unfinished tasks are cancelled."""

from __future__ import annotations

import logging
from contextlib import suppress

from core.exceptions import ApplicationError
from core.models import User
from tasks_api.models import FINISHED_STATUSES, Task
from tasks_api.services import task_cancel

logger = logging.getLogger(__name__)


def tasks_cancel_for_owner(*, owner: User) -> int:
    """Cancel the owner's unfinished tasks, each through task_cancel; returns how many.

    task_cancel runs the kind's hooks (the sequential lane wakes the task behind), so the
    rows deleted with the account leave nothing waiting on them. A task that can no longer
    be cancelled (a worker has it) is left to end on its own.
    """
    cancelled = 0
    for task in Task.objects.filter(owner=owner).exclude(status__in=FINISHED_STATUSES):
        with suppress(ApplicationError):
            task_cancel(task=task)
            cancelled += 1
    logger.info("tasks of a deleted account cancelled", extra={"owner_id": owner.id, "cancelled": cancelled})
    return cancelled
