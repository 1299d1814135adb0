"""With Redis unreachable the API keeps answering: the cache fails open, readiness says so."""

from __future__ import annotations

import logging

import pytest

from tests.images.conftest import make_image, upload

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def redis_down(settings, monkeypatch):
    settings.CACHES = UNREACHABLE_REDIS
    # The warning comes once per outage burst: one an earlier test caused must not hide this one's.
    monkeypatch.setattr("core.cache._last_warning", float("-inf"))


def test_throttled_api_calls_still_answer(redis_down, owner_client, caplog):
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert owner_client.get("/api/tasks/").status_code == 200
    assert "cache unavailable" in caplog.text


def test_cached_image_reads_and_writes_still_answer(redis_down, owner_client, media_root):
    created = owner_client.post("/api/images/", {"file": upload(make_image())}, format="multipart")
    assert created.status_code == 201
    image_id = created.json()["id"]
    assert owner_client.get(f"/api/images/{image_id}/").status_code == 200
    assert owner_client.get("/api/images/").json()["count"] == 1
    renamed = owner_client.patch(f"/api/images/{image_id}/", {"name": "renamed"}, format="json")
    assert renamed.status_code == 200
    assert owner_client.get(f"/api/images/{image_id}/").json()["name"] == "renamed"


def test_readyz_reports_the_cache_down(redis_down, anon_client):
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["cache"] == "down"


def test_a_change_whose_invalidation_cannot_reach_redis_says_so(
    redis_down, owner_client, media_root, caplog, django_capture_on_commit_callbacks
):
    image = owner_client.post("/api/images/", {"file": upload(make_image())}, format="multipart").json()
    with (
        caplog.at_level(logging.WARNING, logger="images.cache"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        renamed = owner_client.patch(f"/api/images/{image['id']}/", {"name": "renamed"}, format="json")
    assert renamed.status_code == 200
    assert [record.getMessage() for record in caplog.records if record.name == "images.cache"] == [
        "image cache not invalidated: cached reads may be stale until they expire"
    ]
