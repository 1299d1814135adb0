"""`GET /metrics`: Prometheus text counted from the rows at scrape time, loopback or token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tasks_api.models import Task, TaskStatus

pytestmark = pytest.mark.django_db
needs_rabbitmq = pytest.mark.skipif(not settings.RABBITMQ_URL, reason="reads RabbitMQ: set RABBITMQ_URL")

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}


def samples(response) -> dict[tuple[str, tuple], float]:
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def finished_task(owner, kind: str, status: str, seconds: float, **fields) -> Task:
    end = timezone.now()
    return Task.objects.create(
        owner=owner,
        kind=kind,
        status=status,
        started_at=end - timedelta(seconds=seconds),
        finished_at=end,
        **fields,
    )


def test_metrics_count_the_tasks_by_kind_and_status(client, owner):
    finished_task(owner, "sleep", TaskStatus.SUCCEEDED, 0.3, params={"seconds": 0.3})
    finished_task(owner, "sleep", TaskStatus.SUCCEEDED, 20, params={"seconds": 20})
    finished_task(owner, "sleep", TaskStatus.FAILED, 2, params={"seconds": 2})
    Task.objects.create(owner=owner, kind="sleep", status=TaskStatus.QUEUED)
    Task.objects.create(owner=owner, kind="md5", status=TaskStatus.RUNNING, started_at=timezone.now())
    response = client.get("/metrics")
    assert response.status_code == 200
    found = samples(response)
    assert found[("workhorse_tasks_total", (("kind", "sleep"), ("status", "succeeded")))] == 2
    assert found[("workhorse_tasks_total", (("kind", "sleep"), ("status", "failed")))] == 1
    assert found[("workhorse_tasks_current", (("kind", "sleep"), ("status", "queued")))] == 1
    assert found[("workhorse_tasks_current", (("kind", "md5"), ("status", "running")))] == 1
    histogram = {
        dict(labels)["le"]: value
        for (name, labels), value in found.items()
        if name == "workhorse_task_duration_seconds_bucket"
    }
    assert (histogram["0.5"], histogram["2.5"], histogram["30.0"], histogram["+Inf"]) == (1, 2, 3, 3)
    assert found[("workhorse_task_duration_seconds_count", (("kind", "sleep"),))] == 3
    assert found[("workhorse_task_duration_seconds_sum", (("kind", "sleep"),))] == pytest.approx(22.3)
    assert found[("workhorse_workers", ())] == 0
    queues = {dict(labels)["queue"] for name, labels in found if name == "workhorse_queue_messages"}
    assert {"sleep", "md5", "sequential", "images", "codecheck", "maintenance"} <= queues


def test_metrics_show_no_user_data(client, owner):
    finished_task(
        owner,
        "md5",
        TaskStatus.FAILED,
        1,
        params={"url": "http://secret.example/report.pdf", "email": "someone@example.org"},
        error="404 for http://secret.example/report.pdf",
    )
    text = client.get("/metrics").content.decode()
    for private in ("secret.example", "report.pdf", "someone@example.org", owner.email):
        assert private not in text


def test_metrics_elsewhere_than_loopback_need_the_token(client, settings):
    settings.METRICS_TOKEN = "scrape-me-0123456789"
    assert client.get("/metrics", **ELSEWHERE).status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **ELSEWHERE)
    assert wrong.status_code == 401
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-0123456789", **ELSEWHERE)
    assert right.status_code == 200
    assert "# TYPE workhorse_tasks_total counter" in right.content.decode()


def test_metrics_without_a_token_are_closed_to_all_but_loopback(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **ELSEWHERE)
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.json()["detail"]
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


@needs_rabbitmq
def test_metrics_still_answer_when_the_broker_is_away(client, settings):
    from tests.conftest import free_port

    settings.RABBITMQ_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    response = client.get("/metrics")
    assert response.status_code == 200
    assert not any(name == "workhorse_queue_messages" for name, _ in samples(response))
