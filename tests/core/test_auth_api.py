from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from core.models import User
from core.services import tokens_flush_expired
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
ME = "/api/auth/me/"


def test_register_creates_user_with_email_login(anon_client):
    response = anon_client.post(REGISTER, {"email": "New@Example.com", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "email": "new@example.com"}
    user = User.objects.get()
    assert user.email == "new@example.com"
    assert user.check_password(PASSWORD)


def test_register_duplicate_email_is_400_and_creates_nothing(anon_client, owner):
    response = anon_client.post(REGISTER, {"email": "OWNER@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901", "owner@example.com"],
    ids=["too-short", "common", "numeric", "same-as-email"],
)
def test_register_weak_password_is_400(anon_client, password):
    response = anon_client.post(REGISTER, {"email": "owner@example.com", "password": password})
    assert response.status_code == 400
    assert response.json()["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"email": "not-an-email", "password": PASSWORD}, {"email": "a@example.com"}]
)
def test_register_bad_body_is_400(anon_client, body):
    assert anon_client.post(REGISTER, body).status_code == 400
    assert not User.objects.exists()


def test_login_returns_token_pair_that_authenticates(anon_client, owner):
    response = anon_client.post(TOKEN, {"email": "owner@example.com", "password": PASSWORD})
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = anon_client.get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "owner@example.com"
    assert set(me.json()) == {"id", "email", "date_joined"}


@pytest.mark.parametrize(
    "typed", ["Mixed.Case@Example.com", "mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM"]
)
def test_login_matches_the_email_whatever_its_case(anon_client, typed):
    assert (
        anon_client.post(REGISTER, {"email": "Mixed.Case@Example.com", "password": PASSWORD}).status_code
        == 201
    )
    response = anon_client.post(TOKEN, {"email": typed, "password": PASSWORD})
    assert response.status_code == 200, response.json()


def test_login_wrong_password_is_401(anon_client, owner):
    response = anon_client.post(TOKEN, {"email": "owner@example.com", "password": "wrong-password"})
    assert response.status_code == 401
    assert "detail" in response.json()


def test_refresh_rotates_and_blacklists_the_old_token(anon_client, owner):
    tokens = anon_client.post(TOKEN, {"email": "owner@example.com", "password": PASSWORD}).json()
    first = anon_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]
    again = anon_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert again.status_code == 401
    assert anon_client.post(REFRESH, {"refresh": first.json()["refresh"]}).status_code == 200


def test_me_without_token_is_401(anon_client):
    response = anon_client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(anon_client, owner):
    token = str(AccessToken.for_user(owner))
    with time_machine.travel(timedelta(hours=1)):
        anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert anon_client.get(ME).status_code == 401


def test_forged_token_is_401(anon_client, owner):
    header, payload, _signature = str(AccessToken.for_user(owner)).split(".")
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{payload}.forgedsignature")
    assert anon_client.get(ME).status_code == 401


def test_token_signed_with_another_key_is_401(anon_client, owner, settings):
    import jwt

    forged = jwt.encode(
        {"token_type": "access", "user_id": str(owner.id), "exp": 9999999999, "jti": "x"},
        "not-the-secret-key",
        algorithm="HS256",
    )
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert anon_client.get(ME).status_code == 401


@pytest.mark.parametrize(
    ("url", "body", "refused"),
    [
        (TOKEN, {"email": "owner@example.com", "password": "wrong"}, 401),
        (REGISTER, {"email": "owner@example.com", "password": PASSWORD}, 400),
        (REFRESH, {"refresh": "not-a-token"}, 401),
    ],
    ids=["token", "register", "refresh"],
)
def test_auth_endpoints_are_throttled(anon_client, owner, settings, url, body, refused):
    settings.AUTH_THROTTLE_RATE = "3/min"
    codes = [anon_client.post(url, body).status_code for _ in range(4)]
    assert codes == [refused, refused, refused, 429]
    assert "Retry-After" in anon_client.post(url, body)


def test_an_expired_refresh_token_is_401(anon_client, owner, settings):
    tokens = anon_client.post(TOKEN, {"email": "owner@example.com", "password": PASSWORD}).json()
    with time_machine.travel(timedelta(days=settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].days + 1)):
        response = anon_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_expired_refresh_tokens_are_flushed_and_live_ones_kept(anon_client, owner, settings):
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(timezone.now() - lifetime - timedelta(hours=1)):
        old = anon_client.post(TOKEN, {"email": "owner@example.com", "password": PASSWORD}).json()
        anon_client.post(REFRESH, {"refresh": old["refresh"]})  # rotated: the old one blacklisted
    live = anon_client.post(TOKEN, {"email": "owner@example.com", "password": PASSWORD}).json()
    assert OutstandingToken.objects.count() == 3 and BlacklistedToken.objects.count() == 1
    assert tokens_flush_expired() == 3  # two expired tokens and the blacklist entry
    assert list(OutstandingToken.objects.values_list("token", flat=True)) == [live["refresh"]]
    assert anon_client.post(REFRESH, {"refresh": live["refresh"]}).status_code == 200


def test_a_password_change_revokes_the_tokens_issued_before_it(anon_client, owner):
    tokens = anon_client.post(TOKEN, {"email": "owner@example.com", "password": PASSWORD}).json()
    owner.set_password("a whole new passphrase 99")
    owner.save()
    refreshed = anon_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    assert refreshed.json() == {"detail": "The password changed since this token was issued."}
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert anon_client.get(ME).status_code == 401
    anon_client.credentials()
    fresh = anon_client.post(TOKEN, {"email": "owner@example.com", "password": "a whole new passphrase 99"})
    assert anon_client.post(REFRESH, {"refresh": fresh.json()["refresh"]}).status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(anon_client, owner, settings):
    settings.AUTH_THROTTLE_RATE = "3/min"
    body = {"email": "owner@example.com", "password": "wrong"}
    codes = [
        anon_client.post(TOKEN, body, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]
