"""The task endpoints, without a worker: validation, scoping, idempotency, cancel."""

from __future__ import annotations

import uuid

import pytest

from tasks_api import services
from tasks_api.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"


def submit(client, kind="sleep", params=None, **headers):
    return client.post(
        TASKS,
        {"kind": kind, "params": params if params is not None else {"seconds": 1}},
        format="json",
        **headers,
    )


def test_create_answers_202_with_location_and_queued_task(
    owner_client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(owner_client, params={"seconds": 5})
    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == f"/api/tasks/{body['id']}/"
    assert body["status"] == "queued"
    assert body["kind"] == "sleep"
    assert body["params"] == {"seconds": 5}
    assert set(body) == {
        "id",
        "kind",
        "status",
        "params",
        "result",
        "error",
        "progress",
        "progress_message",
        "position",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert Task.objects.get(id=body["id"]).owner == owner
    assert len(callbacks) == 1, "the actor is sent once, after commit"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nope", "params": {}}, "kind"),
        ({"params": {"seconds": 1}}, "kind"),
        ({"kind": "sleep", "params": {"seconds": -1}}, "params"),
        ({"kind": "sleep", "params": {"seconds": 3601}}, "params"),
        ({"kind": "sleep", "params": {"seconds": "soon"}}, "params"),
        ({"kind": "sleep", "params": {"seconds": -0.1}}, "params"),
        ({"kind": "sleep", "params": {"seconds": 3600.5}}, "params"),
        ({"kind": "sleep", "params": {"seconds": True}}, "params"),
        ({"kind": "sleep", "params": {"seconds": "nan"}}, "params"),
        ({"kind": "sleep", "params": {"seconds": "-inf"}}, "params"),
        ({"kind": "sleep", "params": {}}, "params"),
        ({"kind": "sleep", "params": {"seconds": 1, "extra": True}}, "params"),
        ({"kind": "sleep", "params": [1]}, "params"),
    ],
    ids=[
        "unknown-kind",
        "no-kind",
        "negative",
        "too-long",
        "not-a-number",
        "negative-fraction",
        "over-by-a-fraction",
        "boolean",
        "nan",
        "infinite",
        "missing",
        "unknown-param",
        "not-an-object",
    ],
)
def test_bad_input_is_400_and_creates_no_row(owner_client, body, field):
    response = owner_client.post(TASKS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Task.objects.exists()


@pytest.mark.parametrize("seconds", [0, 0.3, 2.5, 3600, 3599.75])
def test_sleep_takes_any_number_of_seconds_within_bounds(owner_client, seconds):
    response = submit(owner_client, params={"seconds": seconds})
    assert response.status_code == 202, response.json()
    assert response.json()["params"] == {"seconds": seconds}
    assert Task.objects.get().params == {"seconds": seconds}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        ("kind=sleep", "text/plain", 415, 'Unsupported media type "text/plain" in request.'),
        (
            "<task kind='sleep'/>",
            "application/xml",
            415,
            'Unsupported media type "application/xml" in request.',
        ),
        ('{"kind": "sleep", ', "application/json", 400, "JSON parse error"),
    ],
    ids=["text", "xml", "broken-json"],
)
def test_a_body_that_is_not_json_is_refused_and_creates_no_row(
    owner_client, body, content_type, status, detail
):
    response = owner_client.generic("POST", TASKS, body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)
    assert not Task.objects.exists()


def test_internal_kind_names_are_not_accepted(owner_client):
    from tasks_api import registry

    internal = [kind.name for kind in registry.all_kinds() if not kind.public]
    for name in internal:
        assert owner_client.post(TASKS, {"kind": name, "params": {}}, format="json").status_code == 400
    assert not Task.objects.exists()


def test_anonymous_is_401(anon_client):
    assert anon_client.get(TASKS).status_code == 401
    assert submit(anon_client).status_code == 401
    assert not Task.objects.exists()


def test_list_is_newest_first_and_filters(owner_client, other_client):
    first = submit(owner_client).json()
    second = submit(owner_client).json()
    submit(other_client)
    Task.objects.filter(id=first["id"]).update(status=TaskStatus.SUCCEEDED)
    listing = owner_client.get(TASKS).json()
    assert listing["count"] == 2
    assert [t["id"] for t in listing["results"]] == [second["id"], first["id"]]
    done = owner_client.get(TASKS, {"status": "succeeded", "kind": "sleep"}).json()
    assert [t["id"] for t in done["results"]] == [first["id"]]
    assert owner_client.get(TASKS, {"status": "bogus"}).status_code == 400


def test_another_users_task_is_404_everywhere(owner_client, other_client):
    task_id = submit(owner_client).json()["id"]
    assert other_client.get(f"{TASKS}{task_id}/").status_code == 404
    assert other_client.post(f"{TASKS}{task_id}/cancel/").status_code == 404
    assert owner_client.get(f"{TASKS}{uuid.uuid4()}/").status_code == 404
    assert Task.objects.get(id=task_id).status == "queued"


def test_cancel_queued_then_409(owner_client):
    task_id = submit(owner_client).json()["id"]
    response = owner_client.post(f"{TASKS}{task_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"]
    again = owner_client.post(f"{TASKS}{task_id}/cancel/")
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]


def test_cancel_while_running_is_200_and_the_task_ends_cancelled(owner_client):
    task_id = submit(owner_client).json()["id"]
    services.task_claim(task_id=task_id)
    response = owner_client.post(f"{TASKS}{task_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["attempts"][-1]["error"] == "Cancelled."


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled"])
def test_cancel_once_finished_is_409(owner_client, status):
    task_id = submit(owner_client).json()["id"]
    Task.objects.filter(id=task_id).update(status=status)
    assert owner_client.post(f"{TASKS}{task_id}/cancel/").status_code == 409
    assert Task.objects.get(id=task_id).status == status


def test_idempotency_key_returns_the_first_task(
    owner_client, other_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = submit(owner_client, HTTP_IDEMPOTENCY_KEY="abc-123")
        second = submit(owner_client, params={"seconds": 9}, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second["Location"] == first["Location"]
    assert len(callbacks) == 1
    # Keys are per user: another user's same key is a new task.
    assert submit(other_client, HTTP_IDEMPOTENCY_KEY="abc-123").status_code == 202
    assert Task.objects.count() == 2


def test_overlong_idempotency_key_is_400(owner_client):
    assert submit(owner_client, HTTP_IDEMPOTENCY_KEY="k" * 256).status_code == 400
    assert not Task.objects.exists()


def test_an_internal_task_cannot_be_cancelled(owner_client, owner):
    # An image's processing task: cancelling it would leave the image `processing` for good.
    task = Task.objects.create(owner=owner, kind="image_process", params={"image_id": str(uuid.uuid4())})
    response = owner_client.post(f"{TASKS}{task.id}/cancel/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The image_process task is started by the service itself and cannot be cancelled."
    }
    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED
