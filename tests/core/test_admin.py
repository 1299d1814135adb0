"""The user admin: adding and editing users keeps log-in unambiguous."""

from __future__ import annotations

import pytest

from core.models import User
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def add_user(admin_client, email: str):
    password = "a long enough passphrase 42"
    return admin_client.post(
        "/admin/core/user/add/", {"email": email, "password1": password, "password2": password}
    )


def test_a_user_added_in_the_admin_is_stored_lower_cased_and_can_log_in(admin_client, anon_client):
    assert add_user(admin_client, "Grace@Example.COM").status_code == 302
    assert User.objects.filter(email="grace@example.com").exists()
    response = anon_client.post(
        "/api/auth/token/", {"email": "GRACE@example.com", "password": "a long enough passphrase 42"}
    )
    assert response.status_code == 200


def test_an_address_that_differs_only_in_case_is_refused(admin_client, owner, anon_client):
    response = add_user(admin_client, owner.email.upper())
    assert response.status_code == 200  # the form again, with its error
    assert "A user with this email already exists." in response.content.decode()
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    changed = admin_client.post(
        f"/admin/core/user/{User.objects.get(email='admin@example.com').id}/change/",
        {"email": owner.email.title(), "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )
    assert changed.status_code == 200
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    login = {"email": owner.email.upper(), "password": PASSWORD}
    assert anon_client.post("/api/auth/token/", login).status_code == 200
