"""Task life-cycle services run in-process: retention and re-queueing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from jobs.lane import lane_position
from tasks_api import services
from tasks_api.models import Task, TaskStatus
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db


def make_task(owner, **fields) -> Task:
    return Task.objects.create(owner=owner, kind="sleep", params={"seconds": 0}, **fields)


def test_prune_deletes_only_finished_tasks_past_retention(owner, settings):
    settings.TASK_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    recent = timezone.now() - timedelta(days=29)
    doomed = [make_task(owner, status=s, finished_at=old) for s in ("succeeded", "failed", "cancelled")]
    kept = [
        make_task(owner, status="succeeded", finished_at=recent),
        make_task(owner, status="queued"),
        make_task(owner, status="running"),
    ]
    assert services.tasks_prune() == 3
    assert not Task.objects.filter(id__in=[t.id for t in doomed]).exists()
    assert Task.objects.filter(id__in=[t.id for t in kept]).count() == 3


def test_requeue_failed_task_resets_it(owner, django_capture_on_commit_callbacks):
    task = make_task(
        owner, status="failed", error="boom", started_at=timezone.now(), finished_at=timezone.now()
    )
    with django_capture_on_commit_callbacks() as callbacks:
        services.task_requeue(task=task)
    task.refresh_from_db()
    assert (task.status, task.error, task.started_at, task.finished_at) == ("queued", "", None, None)
    assert len(callbacks) == 1


def test_requeue_refuses_running_task(owner):
    task = make_task(owner, status="running")
    with pytest.raises(ApplicationError):
        services.task_requeue(task=task)
    assert Task.objects.get(id=task.id).status == TaskStatus.RUNNING


def test_execute_skips_a_cancelled_task(owner):
    task = make_task(owner, status="cancelled")
    ran = []
    outcome = services.task_execute(task_id=task.id, handler=ran.append, can_retry=True)
    assert outcome is services.Outcome.SKIPPED
    assert ran == []


@pytest.mark.parametrize(
    ("error", "can_retry", "status"),
    [
        (services.TransientTaskError("try later"), True, "queued"),
        (services.TransientTaskError("try later"), False, "failed"),
        (services.PermanentTaskError("never"), True, "failed"),
        (ValueError("bug"), True, "failed"),
    ],
    ids=["transient-with-retries", "transient-exhausted", "permanent", "unexpected"],
)
def test_execute_writes_failures_back(owner, error, can_retry, status):
    task = make_task(owner)

    def handler(_task):
        raise error

    if status == "queued":
        with pytest.raises(services.TransientTaskError):
            services.task_execute(task_id=task.id, handler=handler, can_retry=can_retry)
    else:
        assert (
            services.task_execute(task_id=task.id, handler=handler, can_retry=can_retry)
            is services.Outcome.DONE
        )
    task.refresh_from_db()
    assert task.status == status
    assert str(error) in task.error


def test_requeued_sequential_task_goes_to_the_back_of_the_lane(owner):
    first, _ = services.task_create(owner=owner, kind="sequential", params={"num": 1, "timeout": 0})
    second, _ = services.task_create(owner=owner, kind="sequential", params={"num": 2, "timeout": 0})
    Task.objects.filter(id=first.id).update(status=TaskStatus.FAILED, finished_at=timezone.now())
    services.task_requeue(task=first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.number > second.number
    assert lane_position(task=second) == 1
    assert lane_position(task=first) == 2


@pytest.mark.django_db(transaction=True)
def test_a_created_task_is_marked_dispatched_once_the_broker_has_it(owner):
    task, _ = services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
    # The send happens on a sender thread after commit: the request never waits for it.
    wait_for(lambda: Task.objects.get(id=task.id).dispatched_at, what="the broker's confirm")


def test_a_claim_is_one_statement_and_gives_back_the_claimed_row(owner, django_assert_num_queries):
    task = make_task(owner)
    with django_assert_num_queries(1):  # UPDATE ... RETURNING, no SELECT after it
        claimed = services.task_claim(task_id=task.id)
    assert claimed is not None
    assert claimed.id == task.id
    assert claimed.owner_id == owner.id
    assert claimed.params == {"seconds": 0}
    stored = Task.objects.get(id=task.id)
    assert (claimed.status, claimed.claim_token, claimed.lease_until, claimed.deliveries) == (
        TaskStatus.RUNNING,
        stored.claim_token,
        stored.lease_until,
        1,
    )
    assert claimed.started_at == stored.started_at == stored.claimed_at


def test_a_claimed_task_is_not_claimed_again(owner):
    task = make_task(owner)
    assert services.task_claim(task_id=task.id) is not None
    assert services.task_claim(task_id=task.id) is None


def test_creating_a_task_without_a_key_takes_no_savepoint(owner, django_assert_num_queries):
    # Inside the test's transaction: task_create adds the INSERT alone, no SAVEPOINT pair.
    with django_assert_num_queries(1):
        services.task_create(owner=owner, kind="sleep", params={"seconds": 0})
