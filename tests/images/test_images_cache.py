"""Cached image reads: hits, invalidation on every change, and no sharing between users.

A hit is shown by changing the row behind the cache's back (a queryset update, which
skips the services): the cached answer still shows the old value until a service change.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from images.models import Image
from tests.images.test_images_api import process, uploaded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def sneak_rename(image_id: str, name: str) -> None:
    Image.objects.filter(id=image_id).update(name=name)


def list_names(client, query: str = "") -> list[str]:
    return sorted(image["name"] for image in client.get(f"/api/images/{query}").json()["results"])


def test_detail_is_served_from_cache_until_an_update(owner_client, django_capture_on_commit_callbacks):
    image = uploaded(owner_client, name="first")
    url = f"/api/images/{image['id']}/"
    assert owner_client.get(url).json()["name"] == "first"
    sneak_rename(image["id"], "behind the cache")
    assert owner_client.get(url).json()["name"] == "first"  # a hit

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.patch(url, {"tags": ["x"]}, format="json")
    body = owner_client.get(url).json()
    assert (body["name"], body["tags"]) == ("behind the cache", ["x"])


def test_list_is_cached_per_query_and_invalidated_by_create_and_delete(
    owner_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = uploaded(owner_client, name="one", tags="a")
    assert list_names(owner_client) == ["one"]
    assert list_names(owner_client, "?tag=a") == ["one"]
    sneak_rename(first["id"], "renamed")
    assert list_names(owner_client) == ["one"]  # hit
    assert list_names(owner_client, "?tag=a&page=1") == ["renamed"]  # another query, another entry

    with django_capture_on_commit_callbacks(execute=True):
        uploaded(owner_client, name="two")
    assert list_names(owner_client) == ["renamed", "two"]

    sneak_rename(first["id"], "again")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.delete(f"/api/images/{first['id']}/")
    assert list_names(owner_client) == ["two"]


def test_processing_invalidates_the_cached_detail(owner_client, django_capture_on_commit_callbacks):
    image = uploaded(owner_client)
    url = f"/api/images/{image['id']}/"
    assert owner_client.get(url).json()["status"] == "processing"
    with django_capture_on_commit_callbacks(execute=True):
        process(image["id"])
    body = owner_client.get(url).json()
    assert body["status"] == "ready"
    assert len(body["renditions"]) == 3


def test_one_users_cache_is_never_anothers(owner_client, other_client, django_capture_on_commit_callbacks):
    image = uploaded(owner_client, name="private")
    url = f"/api/images/{image['id']}/"
    assert owner_client.get(url).status_code == 200
    assert owner_client.get("/api/images/").json()["count"] == 1
    assert other_client.get(url).status_code == 404
    assert other_client.get("/api/images/").json()["count"] == 0
    # And the other user's change leaves the owner's entries alone.
    sneak_rename(image["id"], "changed")
    with django_capture_on_commit_callbacks(execute=True):
        uploaded(other_client)
    assert owner_client.get(url).json()["name"] == "private"


def test_an_update_whose_version_bump_redis_refuses_still_invalidates(
    owner, owner_client, django_capture_on_commit_callbacks
):
    """Whatever makes the INCR fail (a dropped connection, a timeout), a fresh version is set.

    Here Redis refuses it for real: the owner's version is at the largest integer Redis
    counts to, so INCR answers "increment or decrement would overflow".
    """
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    cache.set(f"images:owner:{owner.id}:version", 2**63 - 1, timeout=None)
    image = uploaded(owner_client, name="first")
    url = f"/api/images/{image['id']}/"
    assert owner_client.get(url).json()["name"] == "first"  # cached under that version

    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.patch(url, {"name": "renamed"}, format="json").status_code == 200
    assert owner_client.get(url).json()["name"] == "renamed"
