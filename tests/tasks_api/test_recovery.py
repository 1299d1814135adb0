"""The runtime's claim, lease and recovery, driven as a worker and its heartbeat drive them.

A worker's run is a claim (a token) with a lease its heartbeat renews. These tests play
each part by calling the runtime's functions at chosen moments (time_machine): a run that
stops renewing is a dead worker, a row without `dispatched_at` a message that never reached
the broker. The messages the relay sends go to the broker these tests run against.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from jobs.lane import lane_claim
from jobs.sequential import sequential_step
from jobs.sleep import sleep_run
from tasks_api import recovery, services
from tasks_api.heartbeat import leases_renew
from tasks_api.models import Task, TaskStatus
from tasks_api.runs import TaskStopped, current_runs, run_registered, stop_requested

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)


@pytest.fixture(autouse=True)
def _runtime(settings) -> None:
    settings.TASK_LEASE_SECONDS = LEASE.total_seconds()
    settings.TASK_MAX_DELIVERIES = 3
    settings.TASK_RELAY_GRACE_SECONDS = 2


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def claimed(owner, *, kind: str = "sleep", params: dict | None = None) -> Task:
    """A task a worker claimed at T0 and then stopped renewing (SIGKILL, out of memory)."""
    with at(T0 - timedelta(seconds=1)):
        task, _ = services.task_create(owner=owner, kind=kind, params=params or {"seconds": 60})
    with at(T0):
        claimed_task = services.task_claim(task_id=task.id)
    assert claimed_task is not None
    return claimed_task


def test_a_claim_holds_a_lease_and_a_second_delivery_leaves_the_task_alone(owner):
    task = claimed(owner)
    assert (task.status, task.claimed_at, task.lease_until) == (TaskStatus.RUNNING, T0, T0 + LEASE)
    with at(T0 + LEASE - timedelta(seconds=1)):
        assert services.task_claim(task_id=task.id) is None  # a duplicate message: the run is alive
        assert recovery.tasks_take_over_expired() == 0


def test_a_task_whose_worker_died_is_put_back_and_sent_again_within_seconds(owner):
    task = claimed(owner, params={"seconds": 10})
    with at(T0 + LEASE + timedelta(seconds=1)):
        assert recovery.tasks_take_over_expired() == 1
        assert recovery.tasks_take_over_expired() == 0  # another worker's heartbeat, at once
    task.refresh_from_db()
    assert (task.status, task.claim_token, task.dispatched_at) == (TaskStatus.QUEUED, None, None)
    assert task.attempts[-1]["error"] == "Its worker stopped before it finished."
    with at(T0 + LEASE + timedelta(seconds=4)):
        assert recovery.tasks_dispatch_pending() == 1
        assert recovery.tasks_dispatch_pending() == 0
        outcome = services.task_execute(task_id=task.id, handler=sleep_run, can_retry=False)
    assert outcome is services.Outcome.DONE  # the deadline is on the row: 10 s after T0, passed
    task.refresh_from_db()
    assert (task.status, task.result, task.deliveries) == (TaskStatus.SUCCEEDED, {"slept": 10}, 2)
    assert [entry["error"] for entry in task.attempts] == ["Its worker stopped before it finished.", ""]


def test_a_redelivery_after_the_lease_ran_out_takes_the_task_over_itself(owner):
    task = claimed(owner)
    with at(T0 + LEASE + timedelta(seconds=1)):
        again = services.task_claim(task_id=task.id)
    assert again is not None
    assert (again.status, again.deliveries, len(again.attempts)) == (TaskStatus.RUNNING, 2, 1)


def test_a_task_that_keeps_killing_its_worker_fails_after_max_deliveries(owner):
    task = claimed(owner)
    moment = T0
    for _ in range(2):
        moment += LEASE + timedelta(seconds=1)
        with at(moment):
            assert services.task_claim(task_id=task.id) is not None  # and that worker dies too
    with at(moment + LEASE + timedelta(seconds=1)):
        assert recovery.tasks_take_over_expired() == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED
    assert (
        task.error == "Its worker died 3 times while running it (TASK_MAX_DELIVERIES is 3): not tried again."
    )
    assert sum(1 for entry in task.attempts if entry.get("lost")) == 3


def test_the_relay_sends_only_tasks_without_a_message_past_the_grace(
    owner, django_capture_on_commit_callbacks
):
    with at(T0):
        unsent, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
        sent, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
        Task.objects.filter(id=sent.id).update(dispatched_at=T0)
    with at(T0 + timedelta(seconds=1)):
        assert recovery.tasks_dispatch_pending() == 0  # the committing process may still send it
    with at(T0 + timedelta(seconds=3)):
        assert recovery.tasks_dispatch_pending() == 1
    unsent.refresh_from_db()
    assert unsent.dispatched_at == T0 + timedelta(seconds=3)


def test_with_the_broker_away_the_relay_stops_and_the_next_round_sends(owner, monkeypatch):
    with at(T0):
        task, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})

    def broker_away(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patched, at(T0 + timedelta(seconds=5)):
        patched.setattr(recovery, "send_actor", broker_away)
        assert recovery.tasks_dispatch_pending() == 0
    task.refresh_from_db()
    assert task.dispatched_at is None
    with at(T0 + timedelta(seconds=6)):
        assert recovery.tasks_dispatch_pending() == 1


def test_cancelling_a_running_task_stops_its_run_at_the_next_heartbeat(owner):
    created, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 60})
    task = services.task_claim(task_id=created.id)
    with run_registered(task_id=task.id, token=task.claim_token) as run:
        assert [r.token for r in current_runs()] == [task.claim_token]
        leases_renew()
        assert not stop_requested()
        services.task_cancel(task=task)
        leases_renew()
        assert run.stop.is_set()
        assert stop_requested()
        with pytest.raises(TaskStopped):
            sleep_run(task)
    task.refresh_from_db()
    assert (task.status, task.attempts[-1]["error"]) == (TaskStatus.CANCELLED, "Cancelled.")
    # The cancelled run's last write is conditional on its claim: `cancelled` stays.
    services.task_succeed(task=task, result={"slept": 60})
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_renewal_extends_the_lease_of_live_runs_only(owner):
    task = claimed(owner)
    with run_registered(task_id=task.id, token=task.claim_token), at(T0 + timedelta(seconds=10)):
        leases_renew()
    task.refresh_from_db()
    assert task.lease_until == T0 + timedelta(seconds=10) + LEASE


def test_a_message_out_of_retries_outside_the_handler_fails_its_task(owner):
    task = claimed(owner)
    assert services.task_give_up(task_id=task.id, error="Gave up after 5 retries: boom")
    task.refresh_from_db()
    assert (task.status, task.error) == (TaskStatus.FAILED, "Gave up after 5 retries: boom")
    assert not services.task_give_up(task_id=task.id, error="again")


def test_a_database_error_in_a_handler_is_retried_not_a_failed_task(owner):
    from django.db import OperationalError

    with at(T0):
        task, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})

    def database_away(task):
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):  # for Dramatiq, which retries it whatever the retries left
        services.task_execute(task_id=task.id, handler=database_away, can_retry=False)
    task.refresh_from_db()
    # Back in the queue for the retry, with the reason: not a worker death, not a failure.
    assert (task.status, task.claim_token) == (TaskStatus.QUEUED, None)
    reason = "A database error interrupted it: OperationalError: server closed the connection unexpectedly"
    assert task.error == f"Delivery 1 failed, retrying: {reason}"
    [attempt] = task.attempts
    assert attempt["error"] == reason
    assert not attempt.get("lost")


def test_after_a_restart_of_the_embedded_default_every_unfinished_task_is_sent_again(owner):
    task = claimed(owner)
    with at(T0 + timedelta(seconds=1)):
        queued, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
        Task.objects.filter(id=queued.id).update(dispatched_at=T0)  # its message died with the process
        assert recovery.tasks_requeue_after_restart() == 2
        assert recovery.tasks_dispatch_pending() == 2
    task.refresh_from_db()
    assert (task.status, task.claim_token) == (TaskStatus.QUEUED, None)


def test_a_sequential_task_whose_worker_died_runs_again_under_the_lane_lease(owner, settings):
    settings.SEQUENTIAL_LEASE_SECONDS = 10
    with at(T0):
        task, _ = services.task_create(owner=owner, kind="sequential", params={"num": 7, "timeout": 60})
        assert lane_claim(task_id=task.id) is not None
        assert services.task_claim(task_id=task.id) is not None
    with at(T0 + timedelta(seconds=61)):
        assert recovery.tasks_take_over_expired() == 1
        sequential_step(task_id=task.id)
    task.refresh_from_db()
    assert (task.status, task.result, task.deliveries) == (TaskStatus.SUCCEEDED, {"num": 7}, 2)
