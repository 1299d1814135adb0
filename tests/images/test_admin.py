"""The images admin: thumbnails inline, and deleting there removes the files too (both read
from and removed in either storage: `storage` runs a test on MEDIA_ROOT and on S3)."""

from __future__ import annotations

import pytest

from images.models import Image, Tag
from tests.images.test_images_api import process, uploaded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

# `admin_client` is pytest-django's: a logged-in superuser.


def test_list_and_change_pages_show_the_thumbnail(admin_client, owner_client, storage):
    ready = uploaded(owner_client, name="ready one")
    process(ready["id"])
    uploaded(owner_client, name="still processing")
    page = admin_client.get("/admin/images/image/").content.decode()
    assert page.count('src="data:image/jpeg;base64,') == 1
    assert "ready one" in page and "still processing" in page
    page = admin_client.get(f"/admin/images/image/{ready['id']}/change/").content.decode()
    assert 'src="data:image/jpeg;base64,' in page


def test_delete_in_the_admin_removes_the_files(
    admin_client, owner_client, storage, django_capture_on_commit_callbacks
):
    image = uploaded(owner_client)
    process(image["id"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/images/image/{image['id']}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.exists()
    assert storage.object_keys() == []


def test_uploads_go_through_the_api_not_the_admin(admin_client):
    assert admin_client.get("/admin/images/image/add/").status_code == 403


def test_edit_in_the_admin_goes_through_the_service(
    admin_client, owner_client, django_capture_on_commit_callbacks
):
    image = uploaded(owner_client, name="before")
    assert owner_client.get(f"/api/images/{image['id']}/").json()["name"] == "before"  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/images/image/{image['id']}/change/", {"name": "after", "tags": []}
        )
    assert response.status_code == 302
    detail = owner_client.get(f"/api/images/{image['id']}/").json()
    assert detail["name"] == "after"
    assert detail["tags"] == []


def test_tags_are_read_only_in_the_admin(admin_client, owner_client):
    """Tags come from the API, lower-cased and stripped, so `?tag=` always finds them."""
    image = uploaded(owner_client, tags=["sea"])
    tag = Tag.objects.get()
    assert "sea" in admin_client.get("/admin/images/tag/").content.decode()
    assert admin_client.get(f"/admin/images/tag/{tag.id}/change/").status_code == 200  # to look at
    assert admin_client.get("/admin/images/tag/add/").status_code == 403
    assert admin_client.post("/admin/images/tag/add/", {"name": " Beach"}).status_code == 403
    assert admin_client.post(f"/admin/images/tag/{tag.id}/change/", {"name": "Sea "}).status_code == 403
    assert admin_client.post(f"/admin/images/tag/{tag.id}/delete/", {"post": "yes"}).status_code == 403
    assert list(Tag.objects.values_list("name", flat=True)) == ["sea"]
    assert owner_client.get("/api/images/?tag=sea").json()["count"] == 1
    # Nor can the image form add one on the side.
    page = admin_client.get(f"/admin/images/image/{image['id']}/change/").content.decode()
    assert 'id="add_id_tags"' not in page


def test_deleting_the_owner_in_the_admin_removes_their_images_files(
    admin_client, owner, owner_client, storage, django_capture_on_commit_callbacks
):
    image = uploaded(owner_client)
    process(image["id"])  # its task finished: nothing stops the owner's deletion
    assert len(storage.object_keys()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/core/user/{owner.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.exists()
    assert storage.object_keys() == []
