"""The sweep, claims, new and fixed counts, and the report mail, called in-process."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from codecheck import services
from codecheck.models import Check, CodeFile, FileStatus
from tests.codecheck.sources import CLEAN, DIRTY, DIRTY_V2, SYNTAX_ERROR, py_upload
from tests.helpers import wait_for


def make_file(owner, content=DIRTY, name="example.py") -> CodeFile:
    return services.codefile_create(owner=owner, upload=py_upload(content, name))


@pytest.mark.django_db
def test_sweep_checks_new_files_once_and_sets_checked(owner):
    dirty, clean = make_file(owner), make_file(owner, CLEAN, "clean.py")
    assert services.codecheck_sweep() == 2
    assert services.codecheck_sweep() == 0
    dirty.refresh_from_db()
    clean.refresh_from_db()
    assert (dirty.status, dirty.needs_check, dirty.claim_token) == (FileStatus.CHECKED, False, None)
    assert clean.checks.get().result == "passed"
    check = dirty.checks.get()
    assert (check.result, check.issue_count, check.version) == ("failed", 3, 1)
    assert check.started_at <= check.finished_at


@pytest.mark.django_db
def test_new_and_fixed_count_by_code_and_line_text(owner):
    code_file = make_file(owner)
    services.codecheck_sweep()
    services.codefile_overwrite(code_file=code_file, upload=py_upload(DIRTY_V2))
    services.codecheck_sweep()
    second = code_file.checks.order_by("-id").first()
    # F401 went (fixed); E225 and E302 moved up a line (neither new nor fixed); E231 came.
    assert [i["code"] for i in second.issues] == ["E225", "E302", "E231"]
    assert (second.version, second.new_issues, second.fixed_issues) == (2, 1, 1)
    services.codefile_overwrite(code_file=code_file, upload=py_upload(CLEAN))
    services.codecheck_sweep()
    third = code_file.checks.order_by("-id").first()
    assert (third.result, third.new_issues, third.fixed_issues) == ("passed", 0, 3)


@pytest.mark.django_db
def test_syntax_error_is_a_failed_check(owner):
    code_file = make_file(owner, SYNTAX_ERROR)
    services.codecheck_sweep()
    check = code_file.checks.get()
    assert check.result == "failed"
    assert [i["code"] for i in check.issues] == ["E999"]


@pytest.mark.django_db
def test_code_too_deep_to_parse_is_a_failed_check_and_the_sweep_goes_on(owner):
    deep = make_file(owner, "x = " + " + ".join(["a"] * 60_000) + "\n", "deep.py")
    clean = make_file(owner, CLEAN, "clean.py")
    assert services.codecheck_sweep() == 2
    assert [i["code"] for i in deep.checks.get().issues] == ["E999"]
    assert clean.checks.get().result == "passed"


@pytest.mark.django_db
def test_a_file_that_crashes_the_checker_does_not_stop_the_sweep(owner, monkeypatch, caplog):
    poisoned, clean = make_file(owner, DIRTY, "poisoned.py"), make_file(owner, CLEAN, "clean.py")
    real_check_source = services.check_source

    def check_source(source: str):
        if source == DIRTY:
            raise RuntimeError("a flake8 plugin broke")
        return real_check_source(source)

    monkeypatch.setattr(services, "check_source", check_source)
    assert services.codecheck_sweep() == 1
    assert clean.checks.get().result == "passed"
    poisoned.refresh_from_db()
    assert poisoned.needs_check and not poisoned.checks.exists()
    assert any(r.message == "code file check crashed" and r.file_id == poisoned.id for r in caplog.records)


@pytest.mark.django_db
def test_a_file_overwritten_during_its_check_is_checked_again(owner):
    code_file = make_file(owner)
    claim = services.codefile_claim()
    assert claim is not None and claim.version == 1
    assert services.codefile_claim() is None  # claimed: nobody else takes it
    services.codefile_overwrite(code_file=code_file, upload=py_upload(CLEAN))
    # The first check finishes on the old version: its result is stale and not written.
    assert services._check_claimed(claim) is None
    code_file.refresh_from_db()
    assert (code_file.status, code_file.needs_check) == (FileStatus.UPDATED, True)
    assert services.codecheck_sweep() == 1
    check = code_file.checks.get()
    assert (check.version, check.result) == (2, "passed")


@pytest.mark.django_db
def test_a_deleted_file_under_check_gets_no_check(owner):
    code_file = make_file(owner)
    claim = services.codefile_claim()
    services.codefile_delete(code_file=code_file)
    assert services._check_claimed(claim) is None
    assert not Check.objects.exists()


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_runs_out(owner):
    code_file = make_file(owner)
    assert services.codefile_claim() is not None  # the worker then dies
    assert services.codecheck_sweep() == 0
    CodeFile.objects.filter(id=code_file.id).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert services.codecheck_sweep() == 1


@pytest.mark.django_db
def test_sweep_command_runs_one_sweep(owner, capsys):
    make_file(owner)
    call_command("sweep_codecheck")
    assert "Checked 1 file(s)." in capsys.readouterr().out
    assert CodeFile.objects.get().status == FileStatus.CHECKED


@pytest.mark.django_db(transaction=True)
def test_overlapping_sweeps_check_each_file_once(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
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
    assert Check.objects.count() == len(files)
    assert set(CodeFile.objects.values_list("status", flat=True)) == {FileStatus.CHECKED}


@pytest.mark.django_db
def test_report_mail_goes_once_and_marks_the_check(owner, smtp):
    make_file(owner)
    services.codecheck_sweep()
    check = Check.objects.get()
    assert services.check_notify(check_id=check.id) is True
    assert services.check_notify(check_id=check.id) is False  # a second delivery
    [mail] = smtp.messages
    assert mail["To"] == owner.email
    assert mail["Subject"] == "Code check failed with 3 issue(s): example.py"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "1:1  F401  'os' imported but unused" in text
    assert "<code>E302</code>" in html
    check.refresh_from_db()
    assert check.email_sent and check.email_sent_at is not None


@pytest.mark.django_db
def test_refused_mail_raises_and_leaves_email_sent_false(owner, smtp, caplog):
    make_file(owner, CLEAN, "clean.py")
    services.codecheck_sweep()
    check = Check.objects.get()
    smtp.refuse = True
    with pytest.raises(Exception, match="550"):
        services.check_notify(check_id=check.id)
    check.refresh_from_db()
    assert (check.email_sent, check.email_sent_at) == (False, None)
    assert f"report for clean.py not emailed to {owner.email}" in caplog.text
    assert "emailed to" not in caplog.text.replace("not emailed to", "")
    smtp.refuse = False
    assert services.check_notify(check_id=check.id) is True
    assert smtp.messages[0]["Subject"] == "Code check passed: clean.py"
    assert f"report for clean.py emailed to {owner.email}" in caplog.text


@pytest.mark.django_db
def test_report_mail_compares_with_the_previous_check_only_when_there_is_one(owner, smtp):
    code_file = make_file(owner)
    services.codecheck_sweep()
    services.check_notify(check_id=code_file.checks.get().id)
    services.codefile_overwrite(code_file=code_file, upload=py_upload(DIRTY_V2))
    services.codecheck_sweep()
    services.check_notify(check_id=code_file.checks.order_by("-version").first().id)
    first, second = (message.get_body(("plain",)).get_content() for message in smtp.messages)
    assert "the file's first check" in first and "since the previous check" not in first
    assert "since the previous check" in second and "first check" not in second


@pytest.mark.django_db
def test_a_recheck_of_an_unchanged_file_is_compared_with_the_previous_check(owner, smtp):
    code_file = make_file(owner)
    services.codecheck_sweep()
    services.codefile_request_check(code_file=code_file)
    services.codecheck_sweep()
    first, again = code_file.checks.order_by("id")
    services.check_notify(check_id=again.id)
    body = smtp.messages[0].get_body(("plain",)).get_content()
    assert again.version == first.version
    assert "since the previous check" in body


@pytest.mark.django_db
def test_a_report_mail_lost_at_commit_is_queued_again_by_a_later_sweep(owner):
    # In this test's transaction the after-commit send never happens: as if the broker had
    # been down when the check committed.
    make_file(owner)
    services.codecheck_sweep()
    check = Check.objects.get()
    assert check.notify_sent_at is None
    assert services.checks_resend_lost_notifications() == 0  # too recent to call lost
    Check.objects.filter(id=check.id).update(finished_at=timezone.now() - timedelta(minutes=5))
    assert services.checks_resend_lost_notifications() == 1
    check.refresh_from_db()
    assert check.notify_sent_at is not None
    assert services.checks_resend_lost_notifications() == 0


@pytest.mark.django_db
@pytest.mark.django_db(transaction=True)
def test_a_checked_file_marks_its_report_mail_sent_once_the_broker_has_it(owner):
    make_file(owner)
    services.codecheck_sweep()
    # The send happens on a sender thread after commit.
    wait_for(lambda: Check.objects.get().notify_sent_at, what="the broker's confirm")
