"""Server-Sent Events that follow a database read: the state now, then each change of it.

The streams are async views, so an open one holds no server thread: every `poll_seconds`
they read their state again (one thread-sensitive database call) and send `data: <JSON>`
when it differs from the last one sent. A comment line after a quiet spell keeps proxies
from closing an idle stream. A client that goes away cancels the generator under ASGI; its
`finally` (`on_close`) is where the stream ends either way.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse

KEEPALIVE_SECONDS = 15.0


def sse_event(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data, cls=DjangoJSONEncoder)}\n\n".encode()


async def sse_changes(
    read: Callable[[], Awaitable[dict[str, Any] | None]],
    *,
    first: dict[str, Any],
    poll_seconds: float,
    on_close: Callable[[dict[str, Any]], None],
    last_event: Callable[[dict[str, Any]], bool] = lambda state: False,
) -> AsyncIterator[bytes]:
    """`first` now, then every change `read` sees; ends after a `last_event` or a None read."""
    last = first
    quiet = 0.0
    try:
        yield sse_event(first)
        while not last_event(last):
            await asyncio.sleep(poll_seconds)
            current = await read()
            if current is None:
                return
            if current != last:
                yield sse_event(current)
                last, quiet = current, 0.0
            else:
                quiet += poll_seconds
                if quiet >= KEEPALIVE_SECONDS:
                    yield b": keep-alive\n\n"
                    quiet = 0.0
    finally:
        on_close(last)


def sse_response(events: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx would hold the events back otherwise
    return response
