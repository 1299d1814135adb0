"""Submitting md5 tasks through the API: what is accepted and what gets a clear 400."""

from __future__ import annotations

import pytest

from tasks_api.models import Task

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"


def submit(client, params):
    return client.post(TASKS, {"kind": "md5", "params": params}, format="json")


def test_submit_answers_202_and_enqueues_the_md5_actor(owner_client, django_capture_on_commit_callbacks):
    params = {"url": "https://example.com/file.iso", "email": "me@example.com"}
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
        ({"url": "https://example.com/", "email": "nope"}, "email", "valid email"),
        ({"url": "https://example.com/", "mail": "me@example.com"}, "mail", "Unknown parameter"),
    ],
)
def test_bad_params_are_a_400_naming_the_field(owner_client, params, field, message):
    response = submit(owner_client, params)
    assert response.status_code == 400
    assert message in str(response.json()["params"][field])
    assert not Task.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://10.0.0.5/x", "http://[::1]/x"])
def test_a_literal_private_address_is_refused_at_once(owner_client, settings, url):
    settings.MD5_ALLOW_PRIVATE = False
    response = submit(owner_client, {"url": url})
    assert response.status_code == 400
    assert "addresses are refused" in str(response.json()["params"]["url"])


def test_a_literal_private_address_is_accepted_with_the_flag(owner_client, settings):
    settings.MD5_ALLOW_PRIVATE = True
    assert submit(owner_client, {"url": "http://127.0.0.1:8000/x"}).status_code == 202


def test_anonymous_is_401(anon_client):
    assert submit(anon_client, {"url": "https://example.com/"}).status_code == 401


def test_another_users_md5_task_is_404(owner_client, other_client):
    task_id = submit(owner_client, {"url": "https://example.com/"}).json()["id"]
    assert other_client.get(f"{TASKS}{task_id}/").status_code == 404
