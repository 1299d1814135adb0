"""The server-rendered site through Django's test client: forms, messages, scoping, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client

from codecheck import services
from codecheck.models import CodeFile
from core.models import User
from tests.codecheck.sources import CLEAN, DIRTY, py_upload
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_register_logs_in_and_lands_on_files(client):
    response = client.post(
        "/accounts/register/",
        {"email": "New@Example.com", "password": PASSWORD, "password_confirmation": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [("/files/", 302)]
    assert response.context["user"].email == "new@example.com"
    assert "Welcome, new@example.com." in texts(response)[0]


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"password": PASSWORD, "password_confirmation": "other"}, "password_confirmation", "differ"),
        ({"password": "short", "password_confirmation": "short"}, "password", "too short"),
        (
            {"password": PASSWORD, "password_confirmation": PASSWORD, "email": "owner@example.com"},
            "email",
            "exists",
        ),
    ],
    ids=["mismatch", "weak", "taken"],
)
def test_register_errors_are_shown_on_the_form(client, owner, data, field, error):
    response = client.post("/accounts/register/", {"email": "someone@example.com", **data})
    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors[field])
    assert User.objects.count() == 1


def test_login_and_logout(client, owner):
    bad = client.post("/accounts/login/", {"username": owner.email, "password": "wrong"})
    assert bad.status_code == 200
    assert bad.context["form"].non_field_errors()
    response = client.post("/accounts/login/", {"username": owner.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/files/", 302)]
    assert texts(response) == [f"Logged in as {owner.email}."]
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1] == ("/accounts/login/", 302)
    assert "You are logged out." in texts(response)
    assert client.get("/files/").status_code == 302


def test_pages_need_login(client):
    for path in ("/", "/files/", "/files/1/", "/reports/"):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/"), path


def test_upload_list_and_detail(site, owner):
    response = site.post("/files/", {"file": py_upload()}, follow=True)
    assert texts(response) == ["Uploaded example.py; it will be checked at the next sweep."]
    code_file = CodeFile.objects.get(owner=owner)
    assert b'data-status="new"' in response.content
    services.codecheck_sweep()
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
    services.codecheck_sweep()
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
    services.codecheck_sweep()
    first = owner.code_files.get(name="example.py").checks.get()
    services.check_notify(check_id=first.id)
    page = site.get("/reports/")
    assert page.content.count(b"data-check-id=") == 2
    assert page.content.count(b'data-email="sent"') == 1
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


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/accounts/login/", {"username": "owner@example.com", "password": "wrong"}),
        ("/accounts/register/", {"email": "owner@example.com", "password1": "x", "password2": "y"}),
        ("/admin/login/", {"username": "owner@example.com", "password": "wrong"}),
    ],
    ids=["site-login", "site-register", "admin-login"],
)
def test_log_in_and_register_forms_are_throttled_per_address(client, owner, settings, url, data):
    settings.AUTH_THROTTLE_RATE = "3/min"
    codes = [client.post(url, data).status_code for _ in range(4)]
    assert 429 not in codes[:3] and codes[3] == 429
    refused = client.post(url, data)
    assert int(refused["Retry-After"]) > 0
    assert client.get(url).status_code == 200  # the form itself is still shown


@time_machine.travel(datetime(2026, 3, 4, 9, 41, 20, tzinfo=UTC), tick=False)
def test_the_files_page_says_when_the_next_check_runs(site, settings):
    settings.CODECHECK_SWEEP_CRON = "*/15 * * * *"
    page = site.get("/files/").content.decode()
    assert "Next check at 09:45 UTC." in page
