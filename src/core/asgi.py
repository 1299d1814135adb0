"""The web application that every server runs (uvicorn in the Procfile and the image, and
`manage.py serve`): Django's sync views on a fixed pool of threads, the async ones on the
event loop.

Django's ASGI handler runs a request's sync code on a thread made for that request, so no
database connection outlives its request and each one pays a new connection (about 6 ms
of PostgreSQL CPU). Nearly every view is sync (DRF's are), so those go to Django's WSGI
handler on WEB_THREADS threads that live as long as the process, and their connections
persist (CONN_MAX_AGE, pinged before each request's first query: core.postgresql). The async
views, the task event stream and the image download, stay on the ASGI handler, which
awaits them on the event loop.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import Resolver404, resolve

from core.body_limit import RequestBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

Scope = dict[str, Any]
CHUNK_BYTES = 64 * 1024


def serves_async_view(path: str) -> bool:
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False


def close_the_requests_connections(**kwargs: Any) -> None:
    """An async view's sync parts ran on a thread made for its request, which ends with it:
    a connection kept there (CONN_MAX_AGE) would linger until collected, unusable. Django
    sends request_finished on that same thread."""
    connections.close_all()


request_finished.connect(close_the_requests_connections, sender=ASGIHandler)


class SyncViewsOnThreads:
    """Routes each HTTP request by its view: an async one to `asgi`, any other to `wsgi`."""

    def __init__(self, asgi: Any, wsgi: Any, threads: int) -> None:
        self.asgi = asgi
        self.wsgi = WSGIMiddleware(wsgi, workers=threads)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or serves_async_view(scope["path"]):
            await self.asgi(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"content-length" in headers or b"transfer-encoding" not in headers:
            await self.wsgi(scope, receive, send)
            return
        # A chunked body: WSGI reads a body of CONTENT_LENGTH bytes, so measure it first
        # (RequestBodyLimit still cuts it off at the limit).
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                body.write(message.get("body", b""))
                more = message.get("more_body", False)
            size = body.tell()
            body.seek(0)

            async def replay() -> dict[str, Any]:
                chunk = body.read(CHUNK_BYTES)
                return {"type": "http.request", "body": chunk, "more_body": body.tell() < size}

            measured = [
                *((name, value) for name, value in scope["headers"] if name != b"transfer-encoding"),
                (b"content-length", str(size).encode()),
            ]
            await self.wsgi({**scope, "headers": measured}, replay, send)


application = RequestBodyLimit(
    SyncViewsOnThreads(get_asgi_application(), get_wsgi_application(), threads=settings.WEB_THREADS)
)
