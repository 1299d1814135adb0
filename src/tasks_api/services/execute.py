"""Running one delivery of a task: claim the row, call the kind's handler, write the outcome.

Handlers raise `TransientTaskError` for failures worth another try (the actor's Dramatiq
retries apply, with backoff) and `PermanentTaskError` for the rest; any other exception
fails the task too, except a database error, which is retried. Rows are the truth and the
broker a wake-up: what a lost message or a dead worker leaves behind, tasks_api.recovery
sends again.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from traceback import format_exc
from typing import Any
from uuid import UUID

from django.db import InterfaceError, OperationalError, connection
from dramatiq.middleware import Shutdown, TimeLimitExceeded

from tasks_api.models import Task
from tasks_api.runs import TaskStopped, run_registered, shutting_down
from tasks_api.services.claims import task_claim
from tasks_api.services.dispatch import task_dispatch_now
from tasks_api.services.errors import (
    PermanentTaskError,
    TransientTaskError,
    failure_reason,
    is_database_error,
)
from tasks_api.services.run_writes import task_fail, task_put_back, task_succeed, task_wait_for_retry

logger = logging.getLogger(__name__)

# How often a run a database error interrupted asks whether the database is back.
DATABASE_POLL_SECONDS = 0.5


class Outcome(enum.Enum):
    DONE = "done"  # the task reached a final status
    SKIPPED = "skipped"  # nothing to do: cancelled, finished, or gone
    CONTINUE = "continue"  # the handler ran a slice; send a fresh message for the rest


Handler = Callable[[Task], "dict[str, Any] | Outcome"]


def _queue_again_once_the_database_answers(*, task: Task, exc: BaseException) -> None:
    """Put back a run a database error interrupted, as soon as the database answers again.

    The run stays registered meanwhile, so the heartbeat renews its lease once the database
    is back and nobody takes it over as if its worker had died (a death counts towards
    TASK_MAX_DELIVERIES). Dramatiq's retry of the message then runs it again. Gives up on
    shutdown, or inside a caller's transaction (a broken one cannot be retried): the lease
    then runs out and the task is taken over.
    """
    first_line = next(iter(str(exc).strip().splitlines()), "")
    reason = f"A database error interrupted it: {type(exc).__name__}: {first_line}"
    while True:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # a dropped one: the next query opens another
        try:
            task_wait_for_retry(task=task, error=reason)
            return
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or shutting_down.is_set():
                return
            time.sleep(DATABASE_POLL_SECONDS)


def task_execute(*, task_id: UUID | str, handler: Handler, can_retry: bool) -> Outcome:
    """Run one delivery of a task through `handler` and write the outcome back to its row.

    `can_retry` says whether the actor has Dramatiq retries left: a transient error is then
    re-raised so Dramatiq sends the message again after a backoff; otherwise it fails the
    task. A database error is re-raised whatever the retries (the actors retry those until
    the database is back), once the run is back in the queue with the reason.
    """
    task = task_claim(task_id=task_id)
    if task is None:
        logger.info("task skipped: not claimable", extra={"task_id": str(task_id)})
        return Outcome.SKIPPED
    assert task.claim_token is not None
    with run_registered(task_id=task.id, token=task.claim_token):
        try:
            outcome = handler(task)
        except TaskStopped:
            if shutting_down.is_set():
                task_put_back(task=task, reason="The worker shut down; it runs again on the next start.")
            return Outcome.SKIPPED  # else cancelled or taken over: the row says so already
        except TransientTaskError as exc:
            if can_retry:
                task_wait_for_retry(task=task, error=str(exc))
                raise
            task_fail(task=task, error=str(exc))
            return Outcome.DONE
        except PermanentTaskError as exc:
            task_fail(task=task, error=str(exc))
            return Outcome.DONE
        except TimeLimitExceeded as exc:
            task_fail(task=task, error=failure_reason(exc), traceback=format_exc())
            return Outcome.DONE
        except Shutdown:
            task_put_back(task=task, reason="The worker shut down; it runs again on the next start.")
            return Outcome.SKIPPED
        except Exception as exc:
            if is_database_error(exc):
                _queue_again_once_the_database_answers(task=task, exc=exc)
                raise
            logger.exception("task crashed", extra={"task_id": str(task.id), "kind": task.kind})
            task_fail(task=task, error=failure_reason(exc), traceback=format_exc())
            return Outcome.DONE
        if outcome is Outcome.CONTINUE:
            task_put_back(task=task, reason="")
            task_dispatch_now(task_id=task.id, kind=task.kind)
            return Outcome.CONTINUE
        task_succeed(task=task, result=outcome)
        return Outcome.DONE
