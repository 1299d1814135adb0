"""The Redis cache keeps its connections for the life of the process."""

from __future__ import annotations

import contextvars
from unittest import mock

import pytest
from django.core.cache import caches
from redis.connection import Connection

from core.cache import FailOpenRedisCache


def test_requests_each_in_a_context_of_its_own_open_no_new_redis_connection(owner_client):
    """core.asgi runs each request in a copy of the event loop's context (a2wsgi), which has
    never seen Django's cache objects: each request makes new ones, and the throttle's count
    must still reuse the process's connection."""
    if not isinstance(caches["default"], FailOpenRedisCache):
        pytest.skip("needs Redis (REDIS_URL)")
    # The process's connection, opened by a request in a context of its own as well.
    assert contextvars.Context().run(owner_client.get, "/api/auth/me/").status_code == 200
    with mock.patch.object(Connection, "_connect", autospec=True, side_effect=Connection._connect) as opened:
        for _ in range(5):
            response = contextvars.Context().run(owner_client.get, "/api/auth/me/")
            assert response.status_code == 200
    assert opened.call_count == 0
