"""md5 tasks through the API, RabbitMQ, a real worker, a loopback HTTP server and an SMTP sink."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.db import transaction

from core.dispatch import send_actor
from tasks_api.models import Task
from tests.helpers import wait_for
from tests.jobs.conftest import generated_md5

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TASKS = "/api/tasks/"


def submit(client, params: dict) -> str:
    response = client.post(TASKS, {"kind": "md5", "params": params}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def finished(client, task_id: str, timeout: float = 60) -> dict:
    return wait_for(
        lambda: (t := client.get(f"{TASKS}{task_id}/").json())["status"] in {"succeeded", "failed"} and t,
        timeout=timeout,
        what="the md5 task to finish",
    )


def peak_rss(pid: int) -> int:
    """The process's peak resident set size in bytes (VmHWM), which only ever rises."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


def test_hash_is_computed_by_the_worker_and_mailed_once(worker, owner_client, site, smtp):
    site.files["f"] = bytes(range(256)) * 5000 + b"tail"
    task_id = submit(owner_client, {"url": site.url("/file/f"), "email": "me@example.com"})

    done = finished(owner_client, task_id)
    expected = hashlib.md5(site.files["f"]).hexdigest()
    assert done["status"] == "succeeded", done["error"]
    assert done["result"] == {"md5": expected, "size": 1_280_004, "url": site.url("/file/f"), "emailed": True}
    assert len(smtp.messages) == 1
    assert expected in smtp.messages[0].get_content()


def test_500_then_200_is_retried_and_succeeds(worker, owner_client, site):
    site.files["f"] = b"second time lucky"
    done = finished(owner_client, submit(owner_client, {"url": site.url("/flaky/f")}))
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["md5"] == hashlib.md5(b"second time lucky").hexdigest()
    assert site.hits["/flaky/f"] == 2
    assert Task.objects.get(id=done["id"]).deliveries == 2


def test_404_fails_at_once_with_the_status(worker, owner_client, site):
    done = finished(owner_client, submit(owner_client, {"url": site.url("/status/404")}))
    assert done["status"] == "failed"
    assert "HTTP 404" in done["error"]
    assert Task.objects.get(id=done["id"]).deliveries == 1


def test_a_big_body_is_hashed_with_flat_memory(worker, owner_client, site):
    size = 256 * 1024 * 1024
    before = {pid: peak_rss(pid) for pid in worker.child_pids()}

    done = finished(owner_client, submit(owner_client, {"url": site.url(f"/gen/{size}")}), timeout=180)

    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["size"] == size
    assert done["result"]["md5"] == generated_md5(size)
    growth = max(peak_rss(pid) - before.get(pid, 0) for pid in worker.child_pids())
    assert growth < size // 8, f"peak RSS rose by {growth} bytes for a {size}-byte body"


@pytest.mark.parametrize(
    ("route", "progress", "message"),
    [("stall", 50, "hashed 4.0 of 8.0 MiB"), ("stall-unsized", 0, "hashed 4.0 MiB")],
)
def test_progress_says_how_much_is_hashed(worker, owner_client, site, route, progress, message):
    size = 8 * 1024 * 1024
    task_id = submit(owner_client, {"url": site.url(f"/{route}/{size}")})
    wait_for(site.stalled.is_set, what="the worker to be mid-download")

    halfway = wait_for(
        lambda: (t := owner_client.get(f"{TASKS}{task_id}/").json())["progress_message"] == message and t,
        what=f"the progress message {message!r}",
    )
    assert (halfway["status"], halfway["progress"]) == ("running", progress)
    site.release.set()
    done = finished(owner_client, task_id)
    assert done["status"] == "succeeded", done["error"]
    assert (done["progress"], done["progress_message"]) == (100, "")


def test_a_worker_killed_mid_download_runs_it_again_and_mails_once(worker, owner_client, site, smtp):
    size = 4_000_000
    task_id = submit(owner_client, {"url": site.url(f"/stall/{size}"), "email": "me@example.com"})
    wait_for(site.stalled.is_set, what="the worker to be mid-download")

    worker.restart()  # SIGKILL: the message was not acknowledged, RabbitMQ hands it out again
    site.release.set()

    done = finished(owner_client, task_id)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["md5"] == generated_md5(size)
    assert done["result"]["emailed"] is True
    assert Task.objects.get(id=task_id).deliveries == 2
    assert site.hits[f"/stall/{size}"] == 2
    assert len(smtp.messages) == 1


def test_a_message_delivered_twice_mails_once(worker, owner_client, site, smtp):
    site.files["f"] = b"delivered twice" * 10_000
    with transaction.atomic():
        task_id = submit(owner_client, {"url": site.url("/file/f"), "email": "me@example.com"})
        # The same message a second time, as when RabbitMQ redelivers an unacknowledged one.
        transaction.on_commit(lambda: send_actor("md5_task", task_id))
    done = finished(owner_client, task_id)

    def deliveries() -> int:
        seen = {"task started", "task skipped: not claimable"}
        return sum(1 for r in worker.log_records() if r.get("task_id") == task_id and r["message"] in seen)

    wait_for(lambda: deliveries() == 2, what="the worker to take both deliveries")
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["emailed"] is True
    assert len(smtp.messages) == 1
