"""Cached reads of a user's images (Django's cache: Redis when REDIS_URL is set).

Every key carries the owner's id and the owner's cache version, so one user never reads
another's entries, and a change bumps the version: every cached list and detail of that
owner is then out of reach at once, with no key lists to keep. The version is read before
the database, so a read that races a write caches under the old version, never the new.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def _version_key(owner_id: int) -> str:
    return f"images:owner:{owner_id}:version"


def _version(owner_id: int) -> int:
    key = _version_key(owner_id)
    version = cache.get(key)
    if version is None:
        # A fresh start value, so an evicted version key never brings old entries back.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def image_cache_get_or_build(*, owner_id: int, key: str, build: Callable[[], Any]) -> Any:
    """The cached value of `key` for this owner, or `build()`'s, cached for next time."""
    full_key = f"images:owner:{owner_id}:v{_version(owner_id)}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=settings.IMAGE_CACHE_SECONDS)
    return value


def image_cache_invalidate(*, owner_id: int) -> None:
    """Forget every cached read of this owner's images; a Redis outage is logged, not raised."""
    key = _version_key(owner_id)
    try:
        cache.incr(key)
    except ValueError:
        # No version yet, or the INCR failed (the fail-open cache reports a Redis error as
        # a missing key). Either way a fresh start value, set unconditionally: `add` would
        # keep a version that exists and lose the invalidation.
        cache.set(key, time.time_ns(), timeout=None)
        if cache.get(key) is None:  # the fail-open cache swallowed that error too
            logger.warning(
                "image cache not invalidated: cached reads may be stale until they expire",
                extra={"owner_id": owner_id, "expire_seconds": settings.IMAGE_CACHE_SECONDS},
            )
