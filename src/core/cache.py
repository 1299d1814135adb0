"""Redis as a cache that fails open.

Everything that uses the cache (API throttles, cached image reads) treats it as an
optimisation: when Redis is unreachable, reads miss and writes are dropped, with a
warning in the log, so an outage makes the service slower instead of answering 500.
`/readyz` still reports the cache as down.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
WARN_EVERY_SECONDS = 10.0
_last_warning = 0.0


def _warn(operation: str, exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:  # one line per outage burst, not per call
        _last_warning = now
        logger.warning(
            "cache unavailable, carrying on without it", extra={"operation": operation, "error": str(exc)}
        )


def _fail_open(fallback: Callable[..., Any]) -> Callable:
    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                _warn(method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _missing_counter(key: str, delta: int) -> int:
    raise ValueError(f"Key {key!r} not found (the cache is unavailable)")


class FailOpenRedisCacheClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[Any, Any] = {}

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> Any:
        """One redis.Redis per connection pool, made once and shared by every call.

        Django's makes a client per call, and redis-py copies its ~170 response callbacks into
        each new one: that cost more CPU than the round trip it was made for. A client is
        safe to share (each command takes a connection from the pool).
        """
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's; not in its stubs
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = super().get_client(key, write=write)
        return client

    add = _fail_open(lambda *a, **k: False)(RedisCacheClient.add)
    get = _fail_open(lambda key, default: default)(RedisCacheClient.get)
    set = _fail_open(lambda *a, **k: None)(RedisCacheClient.set)
    touch = _fail_open(lambda *a, **k: False)(RedisCacheClient.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCacheClient.delete)
    get_many = _fail_open(lambda *a, **k: {})(RedisCacheClient.get_many)
    has_key = _fail_open(lambda *a, **k: False)(RedisCacheClient.has_key)
    incr = _fail_open(_missing_counter)(RedisCacheClient.incr)
    set_many = _fail_open(lambda data, timeout: list(data))(RedisCacheClient.set_many)
    delete_many = _fail_open(lambda *a, **k: None)(RedisCacheClient.delete_many)
    clear = _fail_open(lambda *a, **k: False)(RedisCacheClient.clear)


_clients: dict[str, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
        self._shared_key = repr((server, sorted(params.get("OPTIONS", {}).items())))

    @functools.cached_property
    def _cache(self) -> RedisCacheClient:
        """The process's one client, with its connection pools, for these servers and options.

        Django makes a cache object per thread and per context, and core.asgi runs each
        request in a context of its own (a2wsgi copies the event loop's): with a client per
        object, every request opened a Redis connection of its own, handshake included.
        """
        with _clients_lock:
            client = _clients.get(self._shared_key)
            if client is None:
                client = _clients[self._shared_key] = super()._cache
        return client

    def count(self, key: str, timeout: int) -> int:
        """Add one to the counter `key` (created at 1, expiring `timeout` seconds after its
        first count) and return it: one round trip. 0 while Redis is away."""
        key = self.make_and_validate_key(key)
        try:
            pipeline = self._cache.get_client(key, write=True).pipeline()
            pipeline.incr(key)
            pipeline.expire(key, timeout, nx=True)
            return pipeline.execute()[0]
        except RedisError as exc:
            _warn("count", exc)
            return 0


def count_in_window(key: str, timeout: int) -> int:
    """FailOpenRedisCache.count on the default cache, or the same with add and incr on
    another backend (the embedded default's local memory)."""
    cache = caches["default"]
    if isinstance(cache, FailOpenRedisCache):
        return cache.count(key, timeout)
    cache.add(key, 0, timeout)
    return cache.incr(key)
