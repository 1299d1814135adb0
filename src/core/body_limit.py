"""Refuse request bodies over MAX_REQUEST_BYTES before they are read, not after.

Django's ASGI handler copies the whole body to a temporary file before any view runs, so a
view's own size check (an image over IMAGE_MAX_BYTES) would come after a multi-gigabyte
upload had filled the disk. This wrapper answers 413 from the Content-Length header at
once, and cuts off a body sent without one (chunked) as soon as it passes the limit.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

Scope = dict[str, Any]


class BodyTooLarge(Exception):
    """Raised from `receive` when a body without Content-Length passes the limit."""


class RequestBodyLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.MAX_REQUEST_BYTES
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            # Django reads the whole body before it answers, so nothing has been sent yet.
            await self._refuse(send, limit)

    async def _refuse(self, send: Any, limit: int) -> None:
        body = json.dumps(
            {"detail": f"The request body is larger than the limit of {limit:,} bytes."}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
