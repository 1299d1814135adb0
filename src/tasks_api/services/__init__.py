"""Writes on Task rows, one module per job: submitting, dispatching, claiming, a run's writes,
executing a delivery, retention.

A worker runs a task through `task_execute` (execute): it claims the row (claims: a token
and a lease that the worker's heartbeat renews), calls the kind's handler, and writes the
outcome back (run_writes), conditional on still holding the claim.
"""

from tasks_api.services.claims import task_claim, task_take_over
from tasks_api.services.errors import (
    PermanentTaskError,
    TransientTaskError,
    failure_reason,
    is_database_error,
)
from tasks_api.services.execute import Outcome, task_execute
from tasks_api.services.retention import tasks_prune
from tasks_api.services.run_writes import task_give_up, task_set_progress, task_succeed
from tasks_api.services.submit import task_cancel, task_create, task_requeue

__all__ = [
    "Outcome",
    "PermanentTaskError",
    "TransientTaskError",
    "failure_reason",
    "is_database_error",
    "task_cancel",
    "task_claim",
    "task_create",
    "task_execute",
    "task_give_up",
    "task_requeue",
    "task_set_progress",
    "task_succeed",
    "task_take_over",
    "tasks_prune",
]
