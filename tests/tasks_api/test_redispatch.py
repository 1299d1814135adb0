"""The redispatch sweep: tasks whose message is gone are sent again, the live ones are not.

A running task's message is gone when its actor raised outside the handler (the database
down while writing the result) on every retry: the message went to the dead-letter queue and
the row stays `running`. These tests leave a row in that state by claiming it with
`task_start` and never finishing it, then run the sweep as the periodic actor does. What the
sweep sent is what it returns and stamps on the row, as in test_services; the message itself
goes to the broker these tests run against.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tasks_api import services
from tasks_api.lane import lane_claim, lane_release
from tasks_api.models import Task, TaskStatus
from tasks_api.sequential import sequential_step
from tasks_api.sleep import sleep_run

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOST_AFTER = timedelta(minutes=30)


@pytest.fixture(autouse=True)
def _lost_after(settings) -> None:
    settings.TASK_LOST_AFTER_SECONDS = int(LOST_AFTER.total_seconds())
    settings.TASK_REDISPATCH_AFTER_SECONDS = 120


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def claimed_and_abandoned(owner, *, kind: str = "sleep", params: dict | None = None) -> Task:
    """A task a worker claimed at T0 whose message then went to the dead-letter queue."""
    with at(T0 - timedelta(minutes=1)):
        task, _ = services.task_create(owner=owner, kind=kind, params=params or {"seconds": 60})
        Task.objects.filter(id=task.id).update(dispatched_at=T0 - timedelta(minutes=1))
    with at(T0):
        assert services.task_start(task_id=task.id) is not None
    return task


def test_a_claim_stamps_claimed_at(owner):
    task = claimed_and_abandoned(owner)
    task.refresh_from_db()
    assert (task.status, task.claimed_at) == (TaskStatus.RUNNING, T0)


def test_a_lost_running_task_is_sent_again_once_per_lost_period_then_runs_to_success(owner, caplog):
    task = claimed_and_abandoned(owner)
    with at(T0 + LOST_AFTER - timedelta(minutes=1)):
        assert services.tasks_redispatch() == 0  # a run could still be alive

    resent_at = T0 + LOST_AFTER + timedelta(minutes=1)
    with at(resent_at), caplog.at_level(logging.WARNING, logger=services.logger.name):
        assert services.tasks_redispatch() == 1
        assert services.tasks_redispatch() == 0  # a second sweep at once (periodiq has no lock)
    warned = [r for r in caplog.records if r.getMessage() == "lost running task re-dispatched"]
    assert [(r.levelno, r.task_id) for r in warned] == [(logging.WARNING, str(task.id))]
    task.refresh_from_db()
    assert (task.status, task.claimed_at, task.dispatched_at) == (TaskStatus.RUNNING, resent_at, resent_at)

    with at(resent_at + LOST_AFTER - timedelta(minutes=1)):
        assert services.tasks_redispatch() == 0
    with at(resent_at + LOST_AFTER + timedelta(minutes=1)):
        assert services.tasks_redispatch() == 1  # that message was lost too: once more

        # The message arrives: the worker claims the running row again and finishes it.
        outcome = services.task_execute(task_id=task.id, handler=sleep_run, can_retry=False)
    assert outcome is services.Outcome.DONE
    task.refresh_from_db()
    assert (task.status, task.result, task.attempts) == (TaskStatus.SUCCEEDED, {"slept": 60}, 2)
    with at(resent_at + 3 * LOST_AFTER):
        assert services.tasks_redispatch() == 0


def test_a_running_task_claimed_recently_is_left_alone(owner):
    # A long sleep: started two hours ago, its latest slice claimed it ten minutes ago.
    with at(T0 - timedelta(hours=2)):
        task, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 3600})
        services.task_start(task_id=task.id)
    with at(T0 - timedelta(minutes=10)):
        services.task_start(task_id=task.id)
    with at(T0):
        assert services.tasks_redispatch() == 0
    task.refresh_from_db()
    assert (task.status, task.claimed_at) == (TaskStatus.RUNNING, T0 - timedelta(minutes=10))
    assert task.started_at == T0 - timedelta(hours=2)


def test_queued_tasks_the_broker_never_got_are_still_sent_beside_lost_running_ones(owner):
    lost = claimed_and_abandoned(owner)
    with at(T0):
        unsent, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
    with at(T0 + LOST_AFTER):
        fresh_unsent, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
    with at(T0 + LOST_AFTER + timedelta(seconds=60)):
        assert services.tasks_redispatch() == 2
    unsent.refresh_from_db()
    fresh_unsent.refresh_from_db()
    lost.refresh_from_db()
    assert unsent.status == TaskStatus.QUEUED
    assert unsent.dispatched_at is not None
    assert unsent.claimed_at is None
    assert fresh_unsent.dispatched_at is None  # younger than TASK_REDISPATCH_AFTER_SECONDS
    assert lost.claimed_at == T0 + LOST_AFTER + timedelta(seconds=60)


def test_with_the_broker_away_the_sweep_stops_and_the_next_one_sends(owner, monkeypatch):
    task = claimed_and_abandoned(owner)

    def broker_away(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patched, at(T0 + LOST_AFTER + timedelta(minutes=1)):
        patched.setattr(services, "send_actor", broker_away)
        assert services.tasks_redispatch() == 0
    task.refresh_from_db()
    assert (task.claimed_at, task.dispatched_at) == (T0, T0 - timedelta(minutes=1))  # unstamped

    with at(T0 + LOST_AFTER + timedelta(minutes=3)):
        assert services.tasks_redispatch() == 1


def test_a_lost_sequential_task_runs_again_only_under_the_lane_lease(owner):
    with at(T0):
        task, _ = services.task_create(owner=owner, kind="sequential", params={"num": 7, "timeout": 60})
        # The worker took the lease and claimed the task, then lost its message: the lease
        # runs out (SEQUENTIAL_LEASE_SECONDS) and nothing is left to run the task.
        assert lane_claim(task_id=task.id) is not None
        services.task_start(task_id=task.id)

    with at(T0 + LOST_AFTER + timedelta(minutes=1)):
        assert services.tasks_redispatch() == 1
        # Another message of the task turns up and holds the lane: the one sent again waits.
        other_run = lane_claim(task_id=task.id)
        assert other_run is not None
        step = sequential_step(task_id=task.id)
        assert step.again_in_ms is not None
        task.refresh_from_db()
        assert (task.status, task.attempts) == (TaskStatus.RUNNING, 1)

        lane_release(lease=other_run)
        sequential_step(task_id=task.id)
    task.refresh_from_db()
    assert (task.status, task.result, task.attempts) == (TaskStatus.SUCCEEDED, {"num": 7}, 2)
