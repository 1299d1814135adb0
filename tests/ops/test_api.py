"""The staff-only ops endpoints: who may call them, queues, schedules, retry all failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_dramatiq.middleware import DbConnectionsMiddleware
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from periodiq import PeriodiqMiddleware, cron

from core.scheduling import periodic_actors
from ops.middleware import PeriodicRunsMiddleware
from ops.models import PeriodicJob
from tasks_api.models import Task, TaskStatus, Worker
from tests.conftest import free_port

pytestmark = pytest.mark.django_db
needs_rabbitmq = pytest.mark.skipif(not settings.RABBITMQ_URL, reason="reads RabbitMQ: set RABBITMQ_URL")

ENDPOINTS = ["/api/ops/workers/", "/api/ops/queues/", "/api/ops/schedules/"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_gets_401_and_other_users_403(url, anon_client, owner_client):
    assert anon_client.get(url).status_code == 401
    assert owner_client.get(url).status_code == 403


def test_retry_failed_is_staff_only(anon_client, owner_client, owner):
    task = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status=TaskStatus.FAILED)
    assert anon_client.post("/api/ops/tasks/retry-failed/", {"kind": "sleep"}).status_code == 401
    assert owner_client.post("/api/ops/tasks/retry-failed/", {"kind": "sleep"}).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED


def test_the_admin_session_opens_the_ops_api(client, staff):
    client.force_login(staff)
    assert client.get("/api/ops/schedules/").status_code == 200


@needs_rabbitmq
def test_queues_from_rabbitmq_name_every_queue_the_actors_use(staff_client):
    response = staff_client.get("/api/ops/queues/")
    assert response.status_code == 200
    names = sorted({actor.queue_name for actor in dramatiq.get_broker().actors.values()})
    assert [queue["name"] for queue in response.json()] == names
    for queue in response.json():
        assert all(isinstance(queue[field], int) for field in ("messages", "consumers", "delayed", "dead"))


@needs_rabbitmq
def test_queues_answer_503_when_rabbitmq_is_away(staff_client, settings):
    settings.RABBITMQ_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    response = staff_client.get("/api/ops/queues/")
    assert response.status_code == 503
    assert "broker" in response.json()["detail"]


@pytest.fixture
def stub_broker():
    """An in-process broker as the embedded default has, in place of RabbitMQ for one test."""
    previous = dramatiq.get_broker()
    middleware = [Retries(), PeriodiqMiddleware(), DbConnectionsMiddleware(), PeriodicRunsMiddleware()]
    broker = StubBroker(middleware=middleware)
    broker.emit_after("process_boot")
    dramatiq.set_broker(broker)
    yield broker
    broker.close()
    dramatiq.set_broker(previous)


def test_queues_from_the_in_process_broker(staff_client, stub_broker):
    @dramatiq.actor(queue_name="waiting", broker=stub_broker)
    def idle() -> None:
        pass

    @dramatiq.actor(queue_name="served", broker=stub_broker)
    def served() -> None:
        pass

    idle.send()
    idle.send()
    idle.send_with_options(delay=60_000)
    worker = dramatiq.Worker(stub_broker, queues={"served"}, worker_threads=1)
    worker.start()
    try:
        response = staff_client.get("/api/ops/queues/")
    finally:
        worker.stop()
    assert response.status_code == 200
    assert response.json() == [
        {"name": "served", "messages": 0, "consumers": 1, "delayed": 0, "dead": 0},
        {"name": "waiting", "messages": 2, "consumers": 0, "delayed": 1, "dead": 0},
    ]


@time_machine.travel(datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC), tick=False)
def test_schedules_list_every_periodic_actor_with_its_next_run(client, staff, settings):
    client.force_login(staff)  # a session: a token issued now would not be valid at that time
    response = client.get("/api/ops/schedules/")
    assert response.status_code == 200
    by_name = {job["name"]: job for job in response.json()}
    assert set(by_name) == {actor.actor_name for actor in periodic_actors()}
    sweep = by_name["codecheck_sweep"]
    assert sweep["cron"] == settings.CODECHECK_SWEEP_CRON == "* * * * *"
    assert sweep["next_run_at"] == "2026-03-04T12:01:00Z"
    assert (sweep["last_run_at"], sweep["last_outcome"]) == (None, "")
    assert by_name["prune_tasks"]["cron"] == settings.TASK_PRUNE_CRON


def test_a_worker_records_each_periodic_run_and_its_outcome(staff_client, stub_broker, transactional_db):
    outcomes = iter([None, RuntimeError("disk full")])

    @dramatiq.actor(broker=stub_broker, periodic=cron("*/5 * * * *"), max_retries=0)
    def tidy() -> None:
        error = next(outcomes)
        if error is not None:
            raise error

    worker = dramatiq.Worker(stub_broker, worker_threads=1)
    worker.start()
    try:
        tidy.send()
        stub_broker.join(tidy.queue_name)
        worker.join()
        first = PeriodicJob.objects.get(name="tidy")
        tidy.send()
        stub_broker.join(tidy.queue_name, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    assert first.last_outcome == "succeeded"
    assert first.last_run_at <= first.last_finished_at
    job = PeriodicJob.objects.get(name="tidy")
    assert job.last_outcome == "failed"
    assert job.last_error == "RuntimeError: disk full"
    assert job.last_run_at > first.last_run_at
    by_name = {row["name"]: row for row in staff_client.get("/api/ops/schedules/").json()}
    assert by_name["tidy"]["last_outcome"] == "failed"
    assert by_name["tidy"]["cron"] == "*/5 * * * *"


def test_retry_failed_queues_every_failed_task_of_the_kind(
    staff_client, owner, other_user, django_capture_on_commit_callbacks
):
    failed = [
        Task.objects.create(owner=user, kind="sleep", params={"seconds": 1}, status=TaskStatus.FAILED)
        for user in (owner, other_user)
    ]
    other_kind = Task.objects.create(owner=owner, kind="md5", params={"url": "http://x"}, status="failed")
    succeeded = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1}, status="succeeded")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post("/api/ops/tasks/retry-failed/", {"kind": "sleep"})
    assert response.status_code == 202
    assert response.json() == {"kind": "sleep", "retried": 2}
    assert len(callbacks) == 2
    assert {task.status for task in Task.objects.filter(id__in=[t.id for t in failed])} == {"queued"}
    other_kind.refresh_from_db()
    succeeded.refresh_from_db()
    assert (other_kind.status, succeeded.status) == ("failed", "succeeded")


@pytest.mark.parametrize("body", [{}, {"kind": "nope"}])
def test_retry_failed_with_a_bad_kind_is_a_400(staff_client, body):
    assert staff_client.post("/api/ops/tasks/retry-failed/", body).status_code == 400


def test_workers_lists_only_those_heard_from_in_the_last_30_seconds(staff_client, owner):
    now = timezone.now()
    task = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 9}, status=TaskStatus.RUNNING)
    live = Worker.objects.create(
        hostname="box", pid=41, queues=["tasks"], started_at=now, heartbeat_at=now, running=[str(task.id)]
    )
    Worker.objects.create(
        hostname="box", pid=42, started_at=now, heartbeat_at=now - timedelta(seconds=31), running=[]
    )
    response = staff_client.get("/api/ops/workers/")
    assert response.status_code == 200
    assert [(w["id"], w["pid"], w["queues"], w["running"]) for w in response.json()] == [
        (str(live.id), 41, ["tasks"], [str(task.id)])
    ]
