"""The site's account pages (core): register, log in, log out, and their throttle."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from core.models import User
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


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


def test_the_pages_use_the_layout_and_assets_served_here(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"core/bootstrap/bootstrap.min" in page.content
    assert b'href="/accounts/register/"' in page.content


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
