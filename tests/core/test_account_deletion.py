"""Deleting an account, from the admin and through `DELETE /api/auth/me/`.

Each app removes its part through its own services: code files and checks go, images go
with their files and `image.deleted` events, unfinished tasks are cancelled.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from codecheck.models import Check, CodeFile
from codecheck.services import codefile_create
from core.models import User
from images.models import Image
from tasks_api.models import Task
from tests.codecheck.sources import py_upload, sweep_and_check
from tests.helpers import PASSWORD
from tests.images.conftest import files_under
from tests.images.conftest import media_root as media_root  # the images tests' fixture, here too
from tests.images.event_queue import EventQueue
from tests.images.test_images_api import process, uploaded

ME = "/api/auth/me/"


def owned_rows(user_id: int) -> dict[str, int]:
    return {
        "code files": CodeFile.objects.filter(owner_id=user_id).count(),
        "checks": Check.objects.filter(file__owner_id=user_id).count(),
        "images": Image.objects.filter(owner_id=user_id).count(),
        "tasks": Task.objects.filter(owner_id=user_id).count(),
        "users": User.objects.filter(id=user_id).count(),
    }


NOTHING = {"code files": 0, "checks": 0, "images": 0, "tasks": 0, "users": 0}


@pytest.mark.django_db
def test_the_admin_deletes_a_user_who_uploaded_a_code_file(admin_client, owner, caplog):
    codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    waiting = Task.objects.create(owner=owner, kind="sleep", params={"seconds": 1})
    assert owned_rows(owner.id)["checks"] == 1
    confirm = admin_client.get(f"/admin/core/user/{owner.id}/delete/")
    assert confirm.status_code == 200  # was 403: the cascade reached models the admin never deletes
    response = admin_client.post(f"/admin/core/user/{owner.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert owned_rows(owner.id) == NOTHING
    cancelled = [r for r in caplog.records if r.getMessage() == "task cancelled"]
    assert [r.task_id for r in cancelled] == [str(waiting.id)]  # the unfinished one, through task_cancel


@pytest.mark.django_db
def test_the_admin_bulk_delete_goes_through_the_same_service(admin_client, owner, other_user):
    for user in (owner, other_user):
        codefile_create(owner=user, upload=py_upload())
    response = admin_client.post(
        "/admin/core/user/",
        {"action": "delete_selected", "_selected_action": [owner.id, other_user.id], "post": "yes"},
    )
    assert response.status_code == 302
    assert owned_rows(owner.id) == owned_rows(other_user.id) == NOTHING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "error"),
    [({}, "This field is required."), ({"password": "wrong"}, "The password is wrong.")],
    ids=["missing", "wrong"],
)
def test_a_deletion_without_the_right_password_is_400_and_deletes_nothing(owner, owner_client, body, error):
    codefile_create(owner=owner, upload=py_upload())
    response = owner_client.delete(ME, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": [error]}
    assert owned_rows(owner.id)["code files"] == 1 and owned_rows(owner.id)["users"] == 1


@pytest.mark.django_db
def test_the_schema_documents_the_password_body(anon_client):
    schema = anon_client.get("/api/schema/", {"format": "json"}).json()
    body = schema["paths"][ME]["delete"]["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == ["application/json"]
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][name]["required"] == ["password"]


@pytest.mark.django_db
def test_anonymous_deletion_is_401(anon_client):
    assert anon_client.delete(ME, {"password": PASSWORD}, format="json").status_code == 401


@pytest.mark.django_db
def test_the_deletion_is_throttled_per_address(owner_client, settings):
    settings.AUTH_THROTTLE_RATE = "2/min"
    codes = [owner_client.delete(ME, {"password": "wrong"}, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


@pytest.mark.skipif(not settings.RABBITMQ_URL, reason="reads the image events back from RabbitMQ")
@pytest.mark.django_db(transaction=True)
def test_the_api_deletion_removes_rows_and_files_and_publishes_the_image_events(
    owner, owner_client, other_client, media_root
):
    theirs = uploaded(other_client)  # another user's image stays
    images = [uploaded(owner_client, name=f"photo {n}") for n in range(2)]
    process(images[0]["id"])  # one ready with renditions, one still processing (its task queued)
    codefile_create(owner=owner, upload=py_upload())
    sweep_and_check()
    assert owned_rows(owner.id)["checks"] == 1 and files_under(media_root / "images")
    events = EventQueue(settings.IMAGE_EVENTS_EXCHANGE, routing_key="image.deleted")
    try:
        response = owner_client.delete(ME, {"password": PASSWORD}, format="json")
        assert response.status_code == 204
        deleted = events.wait_for_events(2)
    finally:
        events.close()
    assert sorted(e["image_id"] for e in deleted) == sorted(i["id"] for i in images)
    assert {e["owner_id"] for e in deleted} == {owner.id}
    assert owned_rows(owner.id) == NOTHING
    assert {path.parent.name for path in files_under(media_root / "images")} == {theirs["id"]}
    assert str(Image.objects.get().id) == theirs["id"]
    assert owner_client.get(ME).status_code == 401  # the token's user is gone
