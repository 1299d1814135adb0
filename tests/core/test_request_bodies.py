"""Bodies that are malformed, nested too deeply or too large: a 4xx with a message anywhere.

One parser serves every JSON endpoint, so these run against several of them, open and
authenticated, and check that nothing was written.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser as DRFJSONParser

from core.models import User
from core.parsers import MAX_JSON_DEPTH, JSONParser
from images.models import Image
from tasks_api.models import Task

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
JUST_TOO_DEEP = '{"kind": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}"


@pytest.fixture
def image(owner) -> Image:
    return Image.objects.create(
        owner=owner, name="photo", file="images/photo.jpg", width=1, height=1, size=1, format="JPEG"
    )


@pytest.fixture(params=["tasks", "register", "token", "refresh", "image-patch"])
def endpoint(request, owner_client, anon_client):
    """(client, method, path) for one JSON endpoint."""
    if request.param == "image-patch":
        return owner_client, "PATCH", f"/api/images/{request.getfixturevalue('image').id}/"
    return {
        "tasks": (owner_client, "POST", "/api/tasks/"),
        "register": (anon_client, "POST", "/api/auth/register/"),
        "token": (anon_client, "POST", "/api/auth/token/"),
        "refresh": (anon_client, "POST", "/api/auth/token/refresh/"),
    }[request.param]


def send(endpoint, body: str | bytes):
    client, method, path = endpoint
    return client.generic(method, path, body, content_type="application/json")


def assert_nothing_written(owner) -> None:
    assert not Task.objects.exists()
    assert list(User.objects.all()) == [owner]
    assert not Image.objects.exclude(name="photo").exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (DEEP, "nested"),
        (JUST_TOO_DEEP, f"deeper than {MAX_JSON_DEPTH} levels"),
        ('{"kind": "sleep", ', "JSON parse error"),
        (b'{"kind": "\xff"}', "JSON parse error"),
        ('{"kind": NaN}', "JSON parse error"),
    ],
    ids=["100000-deep", "just-too-deep", "truncated", "not-utf-8", "nan"],
)
def test_a_body_that_does_not_parse_is_a_400_with_a_message(endpoint, owner, body, detail):
    response = send(endpoint, body)
    assert response.status_code == 400, response.content[:200]
    assert detail in response.json()["detail"]
    assert_nothing_written(owner)


def test_a_json_body_over_the_limit_is_a_413_with_a_message(endpoint, owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = send(endpoint, '{"kind": "sleep", "params": {"seconds": 1}, "pad": "' + "x" * 1000 + '"}')
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body (files aside) is larger than the limit of 1,000 bytes."
    }
    assert_nothing_written(owner)


def test_nesting_within_the_depth_limit_still_parses(owner_client):
    nested = {"seconds": 1}
    for _ in range(MAX_JSON_DEPTH - 2):
        nested = {"a": nested}
    response = owner_client.post("/api/tasks/", {"kind": "sleep", "params": nested}, format="json")
    assert response.status_code == 400
    assert response.json()["params"] == {"a": ["Unknown parameter for this kind."]}


def test_a_form_with_too_many_fields_is_a_400_with_a_message(owner_client, owner, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"field{n}": "x" for n in range(20)}
    response = owner_client.post("/api/images/", fields, format="multipart")
    assert response.status_code == 400
    assert "fields" in response.json()["detail"]
    assert_nothing_written(owner)


def test_a_form_field_over_the_limit_is_a_413_with_a_message(owner_client, owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = owner_client.post("/api/images/", {"name": "x" * 2000}, format="multipart")
    assert response.status_code == 413
    assert "1,000 bytes" in response.json()["detail"]
    assert_nothing_written(owner)


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None:
                yield prefix + str(pattern.pattern), view(**pattern.callback.initkwargs)


def test_every_api_view_parses_json_with_the_bounded_parser():
    views = list(_api_views(get_resolver().url_patterns))
    assert views, "the URL patterns must hold DRF views for this to mean anything"
    for route, view in views:
        for parser in view.get_parsers():
            if isinstance(parser, DRFJSONParser):
                assert isinstance(parser, JSONParser), f"{route} parses JSON with {type(parser)}"
