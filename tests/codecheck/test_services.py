"""The sweep, check tasks, new and fixed counts, and the report mail, run in-process.

A check is a `code_check` task: the sweep creates it, `run_checks` runs it through its
actor's code here (the e2e tests run it in a real worker).
"""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from codecheck import services
from codecheck.models import Check, CodeFile, FileStatus
from codecheck.services import checks as check_runs
from tasks_api.models import Task, TaskEmail, TaskStatus
from tests.codecheck.sources import (
    CLEAN,
    DIRTY,
    DIRTY_V2,
    SYNTAX_ERROR,
    py_upload,
    run_checks,
    sweep_and_check,
)


def make_file(owner, content=DIRTY, name="example.py") -> CodeFile:
    return services.codefile_create(owner=owner, upload=py_upload(content, name))


def check_tasks() -> list[Task]:
    return list(Task.objects.filter(kind="code_check").order_by("created_at"))


@pytest.mark.django_db
def test_sweep_gives_each_waiting_version_one_task_and_the_task_checks_it(owner):
    dirty, clean = make_file(owner), make_file(owner, CLEAN, "clean.py")
    assert services.codecheck_sweep() == 2
    assert services.codecheck_sweep() == 0  # their tasks exist: nothing new
    tasks = check_tasks()
    assert {t.idempotency_key for t in tasks} == {f"codecheck:{dirty.id}:1", f"codecheck:{clean.id}:1"}
    assert {t.owner_id for t in tasks} == {owner.id}
    assert run_checks() == 2
    assert services.codecheck_sweep() == 0
    dirty.refresh_from_db()
    assert dirty.status == FileStatus.CHECKED
    assert clean.checks.get().result == "passed"
    check = dirty.checks.get()
    assert (check.result, check.issue_count, check.version) == ("failed", 3, 1)
    assert check.started_at <= check.finished_at
    task = Task.objects.get(id=check.task_id)
    assert task.status == "succeeded"
    assert task.result == {
        "file_id": dirty.id,
        "version": 1,
        "check_id": check.id,
        "result": "failed",
        "issue_count": 3,
        "emailed": True,
    }


@pytest.mark.django_db
def test_new_and_fixed_count_by_code_and_line_text(owner):
    code_file = make_file(owner)
    sweep_and_check()
    services.codefile_overwrite(code_file=code_file, upload=py_upload(DIRTY_V2))
    sweep_and_check()
    second = code_file.checks.order_by("-id").first()
    # F401 went (fixed); E225 and E302 moved up a line (neither new nor fixed); E231 came.
    assert [i["code"] for i in second.issues] == ["E225", "E302", "E231"]
    assert (second.version, second.new_issues, second.fixed_issues) == (2, 1, 1)
    services.codefile_overwrite(code_file=code_file, upload=py_upload(CLEAN))
    sweep_and_check()
    third = code_file.checks.order_by("-id").first()
    assert (third.result, third.new_issues, third.fixed_issues) == ("passed", 0, 3)


@pytest.mark.django_db
def test_syntax_error_is_a_failed_check(owner):
    code_file = make_file(owner, SYNTAX_ERROR)
    sweep_and_check()
    check = code_file.checks.get()
    assert check.result == "failed"
    assert [i["code"] for i in check.issues] == ["E999"]


@pytest.mark.django_db
def test_code_too_deep_to_parse_is_a_failed_check_and_the_others_go_on(owner):
    deep = make_file(owner, "x = " + " + ".join(["a"] * 60_000) + "\n", "deep.py")
    clean = make_file(owner, CLEAN, "clean.py")
    assert sweep_and_check() == 2
    assert [i["code"] for i in deep.checks.get().issues] == ["E999"]
    assert clean.checks.get().result == "passed"


@pytest.mark.django_db
def test_a_file_that_crashes_the_checker_fails_its_task_alone(owner, monkeypatch):
    poisoned, clean = make_file(owner, DIRTY, "poisoned.py"), make_file(owner, CLEAN, "clean.py")
    real_check_source = check_runs.check_source

    def check_source(source: str):
        if source == DIRTY:
            raise RuntimeError("a flake8 plugin broke")
        return real_check_source(source)

    monkeypatch.setattr(check_runs, "check_source", check_source)
    sweep_and_check()
    assert clean.checks.get().result == "passed"
    poisoned.refresh_from_db()
    assert poisoned.status == FileStatus.NEW and not poisoned.checks.exists()
    task = Task.objects.get(idempotency_key=f"codecheck:{poisoned.id}:1")
    assert (task.status, task.error) == ("failed", "Internal error: RuntimeError: a flake8 plugin broke")
    assert services.codecheck_sweep() == 0  # a failed check is re-run on purpose (retry), not every minute


@pytest.mark.django_db
def test_a_file_overwritten_during_its_check_is_checked_again(owner, monkeypatch):
    code_file = make_file(owner)
    real_check_source = check_runs.check_source

    def overwritten_meanwhile(source: str):
        issues = real_check_source(source)
        if source == DIRTY:
            services.codefile_overwrite(code_file=code_file, upload=py_upload(CLEAN))
        return issues

    monkeypatch.setattr(check_runs, "check_source", overwritten_meanwhile)
    sweep_and_check()
    # The first check finished on the old version: its result is stale and not written.
    assert not code_file.checks.exists()
    [first] = check_tasks()
    assert (first.status, first.result["check_id"], first.result["skipped"]) == (
        "succeeded",
        None,
        check_runs.OVERWRITTEN,
    )
    code_file.refresh_from_db()
    assert code_file.status == FileStatus.UPDATED
    assert sweep_and_check() == 1
    check = code_file.checks.get()
    assert (check.version, check.result) == (2, "passed")


@pytest.mark.django_db
def test_a_deleted_file_gets_no_check_and_its_queued_task_is_cancelled(owner):
    code_file = make_file(owner)
    services.codecheck_sweep()
    services.codefile_delete(code_file=code_file)
    [task] = check_tasks()
    assert task.status == "cancelled"
    assert run_checks() == 0
    assert services.codecheck_sweep() == 0
    assert not Check.objects.exists()


@pytest.mark.django_db
def test_a_file_deleted_while_it_is_checked_gets_no_check(owner, monkeypatch):
    code_file = make_file(owner)
    real_check_source = check_runs.check_source

    def deleted_meanwhile(source: str):
        services.codefile_delete(code_file=code_file)
        return real_check_source(source)

    monkeypatch.setattr(check_runs, "check_source", deleted_meanwhile)
    sweep_and_check()
    assert not Check.objects.exists()
    assert check_tasks()[0].status == TaskStatus.CANCELLED  # the delete cancelled the running check


@pytest.mark.django_db
def test_a_check_cancelled_while_it_runs_writes_nothing(owner, monkeypatch):
    code_file = make_file(owner)
    real_check_source = check_runs.check_source

    def cancelled_meanwhile(source: str):
        # What the runtime's cancel of a running task leaves on the row.
        Task.objects.filter(kind="code_check").update(status="cancelled")
        return real_check_source(source)

    monkeypatch.setattr(check_runs, "check_source", cancelled_meanwhile)
    sweep_and_check()
    assert not Check.objects.exists()
    code_file.refresh_from_db()
    assert code_file.status == FileStatus.NEW
    assert check_tasks()[0].status == "cancelled"


@pytest.mark.django_db
def test_sweep_command_queues_the_checks(owner, capsys):
    make_file(owner)
    call_command("sweep_codecheck")
    assert "Queued a check of 1 file(s)." in capsys.readouterr().out
    assert [t.status for t in check_tasks()] == ["queued"]


@pytest.mark.django_db(transaction=True)
def test_overlapping_sweeps_make_one_task_per_file(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent transactions")
    owner = make_user()
    files = [make_file(owner, DIRTY if n % 2 else CLEAN, f"f{n}.py") for n in range(30)]
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def sweep() -> None:
        barrier.wait()
        try:
            counts.append(services.codecheck_sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(files)
    assert sorted(t.params["file_id"] for t in check_tasks()) == sorted(f.id for f in files)


@pytest.mark.django_db
def test_report_mail_goes_once_and_marks_the_check(owner, smtp, settings):
    settings.SITE_URL = "https://checks.example.com/"
    make_file(owner)
    sweep_and_check()
    check = Check.objects.get()
    task = Task.objects.get(id=check.task_id)
    # The same task run again, as a redelivered message would: no second check, no second mail.
    assert services.code_check_run(task)["emailed"] is True
    assert Check.objects.count() == 1
    [mail] = smtp.messages
    assert mail["To"] == owner.email
    assert mail["Subject"] == "Code check failed with 3 issue(s): example.py"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "1:1  F401  'os' imported but unused" in text
    assert f"The whole report: https://checks.example.com/files/{check.file_id}/" in text
    assert "more" not in text
    assert "<code>E302</code>" in html
    check.refresh_from_db()
    assert check.email_sent and check.email_sent_at == TaskEmail.objects.get(task_id=task.id).sent_at


@pytest.mark.django_db
def test_a_refused_mail_leaves_email_sent_false_and_says_why(owner, smtp, caplog):
    make_file(owner, CLEAN, "clean.py")
    smtp.refuse = True
    sweep_and_check()
    check = Check.objects.get()
    assert (check.email_sent, check.email_sent_at) == (False, None)
    task = Task.objects.get(id=check.task_id)
    assert task.status == "succeeded"
    assert task.result["emailed"] is False
    assert task.result["email_error"].startswith("The mail server refused the message: 550")
    assert f"report for clean.py not emailed to {owner.email}" in caplog.text
    assert smtp.messages == []


@pytest.mark.django_db
def test_an_unreachable_mail_server_fails_the_task_and_keeps_the_check(owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    code_file = make_file(owner)
    sweep_and_check()
    check = code_file.checks.get()
    assert not check.email_sent
    task = Task.objects.get(id=check.task_id)
    assert task.status == "failed"
    assert task.error.startswith("Could not reach the mail server")
    assert task.progress_message == f"check {check.result}; mailing the report", "where it stopped"
    code_file.refresh_from_db()
    assert code_file.status == FileStatus.CHECKED


@pytest.mark.django_db
def test_report_mail_compares_with_the_previous_check_only_when_there_is_one(owner, smtp):
    code_file = make_file(owner)
    sweep_and_check()
    services.codefile_overwrite(code_file=code_file, upload=py_upload(DIRTY_V2))
    sweep_and_check()
    first, second = (message.get_body(("plain",)).get_content() for message in smtp.messages)
    assert "the file's first check" in first and "since the previous check" not in first
    assert "since the previous check" in second and "first check" not in second


@pytest.mark.django_db
def test_check_now_shares_one_task_until_it_is_done_then_rechecks(owner, smtp):
    code_file = make_file(owner)
    waiting = services.codefile_request_check(code_file=code_file)
    assert services.codefile_request_check(code_file=code_file) == waiting
    assert waiting.idempotency_key == f"codecheck:{code_file.id}:1"
    assert services.codecheck_sweep() == 0  # the sweep finds the version's task: the same one
    run_checks()
    first = code_file.checks.get()
    again = services.codefile_request_check(code_file=code_file)
    assert again.idempotency_key == f"codecheck:{code_file.id}:1:after:{first.id}"
    assert services.codefile_request_check(code_file=code_file) == again
    run_checks()
    second = code_file.checks.order_by("-id").first()
    assert (second.version, second.new_issues, second.fixed_issues) == (1, 0, 0)
    assert "since the previous check" in smtp.messages[1].get_body(("plain",)).get_content()
    code_file.refresh_from_db()
    assert code_file.status == FileStatus.CHECKED


@pytest.mark.django_db
def test_many_issues_are_counted_but_only_the_first_are_stored_and_mailed(owner, smtp, settings):
    settings.CODECHECK_MAX_ISSUES = 1000
    lines = 3000
    code_file = make_file(owner, "a=1\n" * lines, "many.py")
    sweep_and_check()
    check = code_file.checks.get()
    assert (check.issue_count, len(check.issues), check.more_issues) == (lines, 1000, lines - 1000)
    assert check.issues[-1]["line"] == 1000
    assert check.fingerprints == {next(iter(check.fingerprints)): lines}  # one line text, counted
    [mail] = smtp.messages
    text = mail.get_body(("plain",)).get_content()
    assert text.count("E225") == settings.CODECHECK_MAIL_ISSUES
    assert f"... and {lines - settings.CODECHECK_MAIL_ISSUES} more." in text
    assert f"/files/{code_file.id}/" in text
    assert len(mail.as_bytes()) < 20_000
    # The next version fixes half: counted over every issue, not only the stored ones.
    services.codefile_overwrite(code_file=code_file, upload=py_upload("a=1\n" * (lines // 2), "many.py"))
    sweep_and_check()
    second = code_file.checks.order_by("-id").first()
    assert (second.issue_count, second.new_issues, second.fixed_issues) == (lines // 2, 0, lines // 2)
