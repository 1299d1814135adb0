"""The admin for code files and checks: lists, filters and the re-check action."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from codecheck import services
from tasks_api.models import Task
from tests.codecheck.sources import py_upload, run_checks, sweep_and_check

pytestmark = pytest.mark.django_db


def test_lists_and_filters(admin_client, owner):
    services.codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    assert b"example.py" in admin_client.get("/admin/codecheck/codefile/?status__exact=checked").content
    assert b"example.py" not in admin_client.get("/admin/codecheck/codefile/?status__exact=new").content
    assert b"example.py" in admin_client.get("/admin/codecheck/check/?result__exact=failed").content
    assert admin_client.get("/admin/codecheck/check/?email_sent__exact=0").status_code == 200
    check_id = owner.code_files.get().checks.get().id
    assert admin_client.get(f"/admin/codecheck/check/{check_id}/change/").status_code == 200


def test_recheck_action_queues_checked_files_and_skips_deleted_ones(admin_client, owner):
    checked = services.codefile_create(owner=owner, upload=py_upload())
    deleted = services.codefile_create(owner=owner, upload=py_upload(name="gone.py"))
    sweep_and_check()
    services.codefile_delete(code_file=deleted)
    response = admin_client.post(
        "/admin/codecheck/codefile/",
        {"action": "recheck", "_selected_action": [checked.id, deleted.id]},
        follow=True,
    )
    content = response.content.decode()
    assert "Queued a check of 1 file(s)." in content
    assert "Gone.py: The file was deleted." in content  # the admin capitalises messages
    assert run_checks() == 1
    assert checked.checks.count() == 2


def test_delete_in_the_admin_keeps_rows_and_history(admin_client, owner):
    code_file = services.codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    check_id = code_file.checks.get().id
    # No hard delete: not on a file's page, not on a check's, not as the stock bulk action.
    assert admin_client.get(f"/admin/codecheck/codefile/{code_file.id}/delete/").status_code == 403
    assert admin_client.get(f"/admin/codecheck/check/{check_id}/delete/").status_code == 403
    response = admin_client.post(
        "/admin/codecheck/codefile/",
        {"action": "mark_deleted", "_selected_action": [code_file.id]},
        follow=True,
    )
    assert "Deleted 1 file(s)." in response.content.decode()
    code_file.refresh_from_db()
    assert (code_file.status, code_file.content) == ("deleted", "")
    assert code_file.checks.get().id == check_id


def test_the_report_mail_of_a_check_can_be_sent_again(
    admin_client, owner, smtp, settings, django_capture_on_commit_callbacks
):
    port, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = settings.EMAIL_PORT, 9, 2  # nothing listens
    code_file = services.codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    check = code_file.checks.get()  # its mail's retries ran out: email_sent stayed false
    assert Task.objects.get(id=check.task_id).status == "failed"
    settings.EMAIL_PORT = port
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/codecheck/check/", {"action": "notify_again", "_selected_action": [check.id]}, follow=True
        )
    assert "Queued the report mail of 1 check(s)." in response.content.decode()
    assert len(callbacks) == 1  # the check task's actor, sent after commit
    assert run_checks() == 1  # what the worker then does: the mail alone
    assert len(smtp.messages) == 1
    assert code_file.checks.count() == 1
    response = admin_client.post(
        "/admin/codecheck/check/", {"action": "notify_again", "_selected_action": [check.id]}, follow=True
    )
    assert "The report mail was sent already." in response.content.decode()


def test_the_check_list_does_not_load_issue_lists(admin_client, owner):
    services.codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get("/admin/codecheck/check/").status_code == 200
    check_reads = [q["sql"] for q in queries if 'FROM "codecheck_check"' in q["sql"]]
    assert check_reads and not any('"codecheck_check"."issues"' in sql for sql in check_reads)
