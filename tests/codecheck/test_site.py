"""The server-rendered site through Django's test client: forms, messages, scoping, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from codecheck import services
from codecheck.models import CodeFile
from tests.codecheck.sources import CLEAN, DIRTY, py_upload, run_checks, sweep_and_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_pages_need_login(client):
    for path in ("/", "/files/", "/files/1/", "/reports/"):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/"), path


def test_upload_list_and_detail(site, owner):
    response = site.post("/files/", {"file": py_upload()}, follow=True)
    assert texts(response) == ["Uploaded example.py; it will be checked at the next sweep."]
    code_file = CodeFile.objects.get(owner=owner)
    assert b'data-status="new"' in response.content
    sweep_and_check()
    page = site.get(f"/files/{code_file.id}/")
    assert page.status_code == 200
    assert b'data-status="checked"' in page.content
    assert b"<code>F401</code>" in page.content and b"imported but unused" in page.content
    assert b"bootstrap.min.css" in page.content


def test_bad_upload_shows_the_reason_and_stores_nothing(site):
    response = site.post("/files/", {"file": py_upload(b"\xff\xfe", "bad.py")})
    assert response.status_code == 400
    assert "The file is not UTF-8 text." in texts(response)
    assert b"The file is not UTF-8 text." in response.content
    assert site.post("/files/", {}).status_code == 400
    assert not CodeFile.objects.exists()


def test_overwrite_check_now_and_delete(site, owner):
    code_file = services.codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    response = site.post(
        f"/files/{code_file.id}/overwrite/", {"file": py_upload(CLEAN, "v2.py")}, follow=True
    )
    assert texts(response) == ["Overwrote with v2.py (version 2); it will be checked again."]
    assert b'data-status="updated"' in response.content
    bad = site.post(f"/files/{code_file.id}/overwrite/", {"file": py_upload(DIRTY, "v3.txt")})
    assert bad.status_code == 400
    response = site.post(f"/files/{code_file.id}/check/", follow=True)
    assert texts(response) == ["A check of v2.py is on its way."]
    response = site.post(f"/files/{code_file.id}/delete/", follow=True)
    assert texts(response) == ["Deleted v2.py. Its check history stays."]
    assert b'data-status="deleted"' in response.content
    response = site.post(f"/files/{code_file.id}/check/", follow=True)
    assert texts(response) == ["The file was deleted."]
    assert site.get(f"/files/{code_file.id}/delete/").status_code == 405


def test_reports_show_every_check_with_its_email_mark(site, owner, smtp):
    services.codefile_create(owner=owner, upload=py_upload())
    services.codefile_create(owner=owner, upload=py_upload(CLEAN, "clean.py"))
    sweep_and_check()
    smtp.refuse = True
    services.codefile_request_check(code_file=owner.code_files.get(name="clean.py"))
    run_checks()  # a third check, whose mail the server refused
    page = site.get("/reports/")
    assert page.content.count(b"data-check-id=") == 3
    assert page.content.count(b'data-email="sent"') == 2
    assert page.content.count(b'data-email="pending"') == 1


def test_another_users_file_is_404(site, other_user):
    theirs = services.codefile_create(owner=other_user, upload=py_upload())
    for path in ("", "overwrite/", "check/", "delete/"):
        method = site.get if not path else site.post
        assert method(f"/files/{theirs.id}/{path}").status_code == 404
    assert b"example.py" not in site.get("/files/").content
    assert CodeFile.objects.get(id=theirs.id).status == "new"


def test_posts_need_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/files/", {"file": py_upload()}).status_code == 403
    page = client.get("/files/")
    token = page.context["csrf_token"]
    assert client.post("/files/", {"file": py_upload(), "csrfmiddlewaretoken": token}).status_code == 302


def test_long_lists_are_paged(site, owner):
    for n in range(26):
        services.codefile_create(owner=owner, upload=py_upload(name=f"f{n}.py"))
    first, second = site.get("/files/"), site.get("/files/?page=2")
    assert first.content.count(b"data-file-id=") == 25
    assert second.content.count(b"data-file-id=") == 1
    assert b"Page 2 of 2" in second.content


def test_a_file_page_pages_its_check_history_and_says_how_many_issues_are_not_stored(site, owner, settings):
    settings.CODECHECK_MAX_ISSUES = 10
    code_file = services.codefile_create(owner=owner, upload=py_upload("a=1\n" * 40, "many.py"))
    sweep_and_check()
    for _ in range(5):
        services.codefile_request_check(code_file=code_file)
        run_checks()
    first, second = site.get(f"/files/{code_file.id}/"), site.get(f"/files/{code_file.id}/?page=2")
    assert first.content.count(b"data-check-id=") == 5
    assert second.content.count(b"data-check-id=") == 1
    assert b"Page 2 of 2" in second.content
    assert first.content.count(b"<code>E225</code>") == 5 * 10
    assert b'data-more-issues="30"' in first.content
    assert b"and 30 more issues not stored" in first.content


def test_the_reports_page_does_not_load_issue_lists(site, owner):
    services.codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    with CaptureQueriesContext(connection) as queries:
        page = site.get("/reports/")
    assert page.content.count(b"data-check-id=") == 1
    check_reads = [q["sql"] for q in queries if 'FROM "codecheck_check"' in q["sql"]]
    assert check_reads and not any('"codecheck_check"."issues"' in sql for sql in check_reads)


@time_machine.travel(datetime(2026, 3, 4, 9, 41, 20, tzinfo=UTC), tick=False)
def test_the_files_page_says_when_the_next_check_runs(site, settings):
    settings.CODECHECK_SWEEP_CRON = "*/15 * * * *"
    page = site.get("/files/").content.decode()
    assert "Next check at 09:45 UTC." in page
