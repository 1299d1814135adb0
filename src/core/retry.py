"""`retry`: call a flaky function again a few times before giving up.

Used where a remote service may blink (publishing an event to RabbitMQ): a short pause
and a fresh attempt usually succeed, and a persistent failure still surfaces as the last
error so the caller decides what to do with it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def retry(
    times: int = 3, delay: float = 1, exceptions: tuple[type[BaseException], ...] = (Exception,)
) -> Callable[[F], F]:
    """Decorate a function (sync or async) to run it up to `times` times in all.

    Only `exceptions` trigger another attempt, after `delay` seconds; anything else goes
    straight up. When the last attempt fails too, its exception is raised unchanged.
    """
    if times < 1:
        raise ValueError("retry: times must be at least 1")
    if delay < 0:
        raise ValueError("retry: delay must not be negative")

    def log_attempt(func: Callable[..., Any], attempt: int, exc: BaseException) -> None:
        logger.warning(
            "attempt %d of %d failed, retrying in %ss: %s",
            attempt,
            times,
            delay,
            exc,
            extra={"function": getattr(func, "__qualname__", repr(func)), "attempt": attempt},
        )

    def decorate(func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                for attempt in range(1, times + 1):
                    try:
                        return await func(*args, **kwargs)
                    except exceptions as exc:
                        if attempt == times:
                            raise
                        log_attempt(func, attempt, exc)
                        await asyncio.sleep(delay)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, times + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions as exc:
                    if attempt == times:
                        raise
                    log_attempt(func, attempt, exc)
                    time.sleep(delay)

        return wrapper  # type: ignore[return-value]

    return decorate
