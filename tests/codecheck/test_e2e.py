"""Code checks through the API, RabbitMQ, a real `rundramatiq` worker and a real SMTP server."""

from __future__ import annotations

import asyncio
import signal
import threading

import pytest

from codecheck import services
from codecheck.models import Check, CodeFile
from core.dispatch import send_actor
from tasks_api.models import Task
from tests.codecheck.sources import CLEAN, DIRTY, DIRTY_V2, py_upload
from tests.conftest import SmtpSink
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FILES = "/api/codecheck/files/"


def log_messages(worker) -> list[str]:
    return [record["message"] for record in worker.log_records()]


def file_status(client, file_id: int) -> str:
    return client.get(f"{FILES}{file_id}/").json()["status"]


def emailed_checks(client, file_id: int) -> list[dict]:
    checks = client.get("/api/codecheck/checks/", {"file": file_id}).json()["results"]
    return [check for check in checks if check["email_sent"]]


def test_life_cycle_new_checked_updated_checked_deleted(worker, smtp, owner, owner_client):
    response = owner_client.post(FILES, {"file": py_upload(DIRTY)}, format="multipart")
    assert response.status_code == 201
    file_id = response.json()["id"]
    assert response.json()["status"] == "new"

    send_actor("codecheck_sweep")
    wait_for(lambda: file_status(owner_client, file_id) == "checked", what="the sweep to check the file")
    [first] = wait_for(lambda: emailed_checks(owner_client, file_id), what="the report mail")
    assert (first["result"], first["issue_count"], first["new_issues"]) == ("failed", 3, 3)
    assert first["email_sent_at"]
    [mail] = smtp.messages
    assert mail["To"] == owner.email
    assert "example.py" in mail["Subject"]
    assert f"report for example.py emailed to {owner.email}" in log_messages(worker)

    response = owner_client.put(f"{FILES}{file_id}/", {"file": py_upload(DIRTY_V2)}, format="multipart")
    assert (response.status_code, response.json()["status"]) == (200, "updated")
    send_actor("codecheck_sweep")
    wait_for(lambda: len(emailed_checks(owner_client, file_id)) == 2, what="the second check's mail")
    assert file_status(owner_client, file_id) == "checked"
    second = emailed_checks(owner_client, file_id)[0]
    assert (second["version"], second["new_issues"], second["fixed_issues"]) == (2, 1, 1)
    assert len(smtp.messages) == 2

    assert owner_client.delete(f"{FILES}{file_id}/").status_code == 204
    assert file_status(owner_client, file_id) == "deleted"
    send_actor("codecheck_sweep")
    wait_for(
        lambda: log_messages(worker).count("code check sweep done") >= 3, what="the third sweep to finish"
    )
    assert Check.objects.filter(file_id=file_id).count() == 2
    assert file_status(owner_client, file_id) == "deleted"


def test_check_now_goes_through_the_worker(worker, smtp, owner_client):
    file_id = owner_client.post(FILES, {"file": py_upload(CLEAN)}, format="multipart").json()["id"]
    response = owner_client.post(f"{FILES}{file_id}/check/")
    assert response.status_code == 202
    [check] = wait_for(lambda: emailed_checks(owner_client, file_id), what="the check and its mail")
    assert check["result"] == "passed"
    assert smtp.messages[0]["Subject"] == "Code check passed: example.py"
    task = wait_for(
        lambda: (body := owner_client.get(response["Location"]).json())["status"] == "succeeded" and body,
        what="the check's task to succeed",
    )
    assert (task["id"], task["result"]["check_id"]) == (response.json()["id"], check["id"])


def test_overlapping_sweeps_check_each_file_once_and_mail_once(worker, smtp, owner):
    files = [services.codefile_create(owner=owner, upload=py_upload(DIRTY, f"f{n}.py")) for n in range(12)]
    for _ in range(4):  # four sweeps at once on the worker's four threads, and one here
        send_actor("codecheck_sweep")
    services.codecheck_sweep()
    wait_for(
        lambda: Check.objects.filter(email_sent=True).count() == len(files), what="every file's report mail"
    )
    wait_for(lambda: log_messages(worker).count("code check sweep done") >= 4, what="the four sweeps to end")
    assert sorted(Check.objects.values_list("file_id", flat=True)) == sorted(f.id for f in files)
    assert Task.objects.filter(kind="code_check").count() == len(files)
    assert sorted(m["To"] for m in smtp.messages) == [owner.email] * len(files)
    assert len({m["Subject"] + m.get_body(("plain",)).get_content() for m in smtp.messages}) == len(files)


def task_outcomes(worker, task_id: str) -> list[str]:
    """How each delivery of the task's message ended, from the worker's log."""
    ends = {"task succeeded", "task skipped: not claimable", "task failed"}
    return [
        r["message"] for r in worker.log_records() if r.get("task_id") == task_id and r["message"] in ends
    ]


def test_a_check_task_delivered_twice_writes_one_check_and_sends_one_mail(worker, smtp, owner):
    code_file = services.codefile_create(owner=owner, upload=py_upload(DIRTY))
    services.codecheck_sweep()  # sends the task's message on commit
    task_id = str(Task.objects.get(kind="code_check").id)
    send_actor("code_check_task", task_id)  # the same message again, racing the first
    wait_for(lambda: len(task_outcomes(worker, task_id)) >= 2, what="both deliveries to end")
    send_actor("code_check_task", task_id)  # and a late redelivery
    wait_for(lambda: len(task_outcomes(worker, task_id)) >= 3, what="the late delivery to end")
    assert Check.objects.filter(file=code_file).count() == 1
    assert Check.objects.get(file=code_file).email_sent
    assert len(smtp.messages) == 1
    assert Task.objects.get(id=task_id).status == "succeeded"


def test_a_mail_server_answering_451_is_retried_and_mails_once(worker, smtp, owner, monkeypatch):
    data_calls: list[str] = []

    async def first_data_deferred(server, session, envelope):
        data_calls.append(envelope.rcpt_tos[0])
        if len(data_calls) == 1:
            return "451 try again later"
        return await SmtpSink.handle_DATA(smtp, server, session, envelope)

    monkeypatch.setattr(smtp, "handle_DATA", first_data_deferred)
    code_file = services.codefile_create(owner=owner, upload=py_upload(CLEAN, "deferred.py"))
    services.codecheck_sweep()
    wait_for(lambda: Check.objects.filter(file=code_file, email_sent=True).exists(), what="the retried mail")
    assert len(data_calls) == 2
    assert [m["Subject"] for m in smtp.messages] == ["Code check passed: deferred.py"]
    check = Check.objects.get(file=code_file)
    wait_for(lambda: Task.objects.filter(id=check.task_id, status="succeeded").exists(), what="the task")
    assert f"report for deferred.py not emailed to {owner.email}" in " ".join(log_messages(worker))


def test_a_worker_killed_while_mailing_leaves_the_mail_to_the_redelivery(worker, smtp, owner, monkeypatch):
    """SIGKILL during SMTP DATA: nothing was accepted, email_sent stays false, and RabbitMQ's
    redelivery to the restarted worker sends the report exactly once, once the dead run's
    mail claim is stale (2 x EMAIL_TIMEOUT: short here)."""
    release = threading.Event()
    data_calls: list[str] = []

    async def first_data_hangs(server, session, envelope):
        data_calls.append(envelope.rcpt_tos[0])
        if len(data_calls) == 1:
            while not release.is_set():  # the worker is killed while it waits for the answer
                await asyncio.sleep(0.05)
            return "451 too late"
        return await SmtpSink.handle_DATA(smtp, server, session, envelope)

    monkeypatch.setattr(smtp, "handle_DATA", first_data_hangs)
    env = worker.spawn_args["env"]
    worker.spawn_args["env"] = {**env, "EMAIL_TIMEOUT": "3"}
    code_file = services.codefile_create(owner=owner, upload=py_upload(DIRTY, "killed.py"))
    try:
        worker.restart(signal.SIGTERM)  # with the short mail timeout
        services.codecheck_sweep()
        wait_for(lambda: data_calls, what="the worker to be in the middle of sending the mail")
        check = Check.objects.get(file=code_file)
        assert not check.email_sent
        worker.restart(signal.SIGKILL)
        wait_for(lambda: Check.objects.get(id=check.id).email_sent, what="the redelivered message's mail")
        assert len(data_calls) == 2
        assert [m["Subject"] for m in smtp.messages] == ["Code check failed with 3 issue(s): killed.py"]
        assert Check.objects.filter(file=code_file).count() == 1
        wait_for(
            lambda: f"report for killed.py emailed to {owner.email}" in log_messages(worker),
            what="the restarted worker's log line",
        )
    finally:
        release.set()
        worker.spawn_args["env"] = env
        worker.restart(signal.SIGTERM)


def test_workers_killed_after_the_first_check_leave_no_file_unchecked(worker, smtp, owner):
    """Issue 9: the checks' own claims outlived a SIGKILLed worker, and 7 of 10 files stayed
    `new` for minutes. As tasks, the unacknowledged messages come back at once."""
    files = [services.codefile_create(owner=owner, upload=py_upload(DIRTY, f"k{n}.py")) for n in range(10)]
    services.codecheck_sweep()
    wait_for(lambda: Check.objects.exists(), what="the first check")
    worker.restart(signal.SIGKILL)
    wait_for(
        lambda: Check.objects.filter(email_sent=True).count() == len(files),
        timeout=60,
        what="every file's check and mail after the kill",
    )
    assert sorted(Check.objects.values_list("file_id", flat=True)) == sorted(f.id for f in files)
    assert set(CodeFile.objects.values_list("status", flat=True)) == {"checked"}
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(
        f"Code check failed with 3 issue(s): k{n}.py" for n in range(10)
    )
