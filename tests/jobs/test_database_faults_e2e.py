"""PostgreSQL cut in the middle of a running handler: the task is retried, not failed (SPEC §6).

The worker reaches PostgreSQL through a fault proxy (as does this process: it reads the
rows back once the database is back), and an md5 download stalls half-way on the loopback
site, so the cut lands while the handler runs; its next progress write meets it.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tasks_api.models import Task
from tests.helpers import wait_for
from tests.jobs.conftest import generated_md5

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Short leases and a quick relay, so whatever recovery the cut needs takes seconds.
FAST_RUNTIME = {
    "TASK_LEASE_SECONDS": "2",
    "TASK_HEARTBEAT_SECONDS": "0.5",
    "TASK_RELAY_INTERVAL_SECONDS": "0.5",
}


def met_the_cut(log: str) -> bool:
    return "OperationalError" in log or "InterfaceError" in log


def test_a_database_cut_inside_a_running_md5_is_retried_and_it_succeeds_once_with_one_mail(
    without_session_worker, start_worker, db_proxy, owner_client, site, smtp
):
    # One death fails a task: a cut counted as its worker dying would fail it.
    env = {**FAST_RUNTIME, "TASK_MAX_DELIVERIES": "1", "DATABASE_URL": db_proxy.url}
    worker = start_worker(threads=2, env=env)
    size = 4_000_000
    params = {"url": site.url(f"/stall/{size}"), "email": "me@example.com"}
    response = owner_client.post("/api/tasks/", {"kind": "md5", "params": params}, format="json")
    assert response.status_code == 202, response.content
    task_id = response.json()["id"]
    wait_for(site.stalled.is_set, what="the handler to be mid-download")

    db_proxy.cut()
    site.release.set()  # the rest of the body arrives: the next progress write fails
    wait_for(lambda: met_the_cut(worker.log), what="the handler to meet the cut")
    db_proxy.restore()
    connection.close()  # this process's connection went with the cut: the next query opens one

    row = wait_for(
        lambda: Task.objects.filter(id=task_id, status__in=["succeeded", "failed"]).first(),
        timeout=60,
        what="the task to finish",
    )
    assert row.status == "succeeded", row.error
    assert row.result["md5"] == generated_md5(size)
    assert row.result["emailed"] is True
    assert len(smtp.messages) == 1
    interrupted, finished = row.attempts
    assert not interrupted.get("lost"), interrupted  # the worker did not die: no death counted
    assert "database" in interrupted["error"].lower(), interrupted
    assert finished["error"] == ""
