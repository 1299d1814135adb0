"""Submitting md5 tasks through the API: what is accepted and what gets a clear 400."""

from __future__ import annotations

import pytest

from tasks_api.models import Task

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"


def submit(client, params):
    return client.post(TASKS, {"kind": "md5", "params": params}, format="json")


def test_submit_answers_202_and_enqueues_the_md5_actor(owner_client, django_capture_on_commit_callbacks):
    params = {"url": "https://1.1.1.1/file.iso", "email": "me@example.com"}
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(owner_client, params)
    assert response.status_code == 202
    body = response.json()
    assert body["kind"] == "md5"
    assert body["status"] == "queued"
    assert body["params"] == params
    assert body["position"] is None
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"url": "ftp://example.com/f"}, "url", "Only http and https"),
        ({"url": "file:///etc/passwd"}, "url", "valid URL"),
        ({"url": "not a url"}, "url", "valid URL"),
        ({}, "url", "required"),
        ({"url": "https://1.1.1.1/", "email": "nope"}, "email", "valid email"),
        ({"url": "https://1.1.1.1/", "mail": "me@example.com"}, "mail", "Unknown parameter"),
    ],
)
def test_bad_params_are_a_400_naming_the_field(owner_client, params, field, message):
    response = submit(owner_client, params)
    assert response.status_code == 400
    assert message in str(response.json()["params"][field])
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "http://localhost/x",
        "http://LOCALHOST:8000/x",
    ],
)
def test_a_private_address_is_refused_at_once_saying_how_to_allow_it(owner_client, settings, url):
    settings.MD5_ALLOW_PRIVATE = False
    response = submit(owner_client, {"url": url})
    assert response.status_code == 400
    [message] = response.json()["params"]["url"]
    assert "resolves to a private, loopback, link-local or reserved address" in message
    assert "MD5_ALLOW_PRIVATE" in message
    assert not Task.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost:8000/x"])
def test_a_private_address_is_accepted_with_the_flag(owner_client, settings, url):
    settings.MD5_ALLOW_PRIVATE = True
    assert submit(owner_client, {"url": url}).status_code == 202


def test_a_public_address_is_accepted_without_the_flag(owner_client, settings):
    settings.MD5_ALLOW_PRIVATE = False
    assert submit(owner_client, {"url": "https://1.1.1.1/x"}).status_code == 202


def test_a_host_that_does_not_resolve_is_a_400(owner_client):
    # .invalid never resolves (RFC 6761).
    response = submit(owner_client, {"url": "https://no-such-host.invalid/file"})
    assert response.status_code == 400
    [message] = response.json()["params"]["url"]
    assert message.startswith("Could not resolve no-such-host.invalid")
    assert not Task.objects.exists()


def test_anonymous_is_401(anon_client):
    assert submit(anon_client, {"url": "https://1.1.1.1/"}).status_code == 401


def test_another_users_md5_task_is_404(owner_client, other_client):
    task_id = submit(owner_client, {"url": "https://1.1.1.1/"}).json()["id"]
    assert other_client.get(f"{TASKS}{task_id}/").status_code == 404
