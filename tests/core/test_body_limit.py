"""The web server's body limit, through the ASGI application the web process serves."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator

from core.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def scope(headers: list[tuple[bytes, bytes]]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/images/",
        "raw_path": b"/api/images/",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


def exchange(headers: list[tuple[bytes, bytes]], chunks: list[bytes], app=application) -> tuple[int, dict]:
    """Send the request head and `chunks` of body (more to come unless it is the last), read the answer."""

    async def run() -> tuple[int, dict]:
        communicator = ApplicationCommunicator(app, scope(headers))
        for n, chunk in enumerate(chunks, 1):
            more = n < len(chunks) or not chunks
            await communicator.send_input({"type": "http.request", "body": chunk, "more_body": more})
        start = await communicator.receive_output(timeout=5)
        body = await communicator.receive_output(timeout=5)
        # The view's thread is still sending the end of the body: were the loop to close
        # under it, that thread would wait for the loop forever and the test process could
        # never exit.
        await communicator.wait(timeout=5)
        return start["status"], json.loads(body["body"])

    return asyncio.run(run())


def test_a_declared_length_over_the_limit_is_413_before_any_byte_is_read(settings):
    settings.MAX_REQUEST_BYTES = 1000
    # No body is ever sent: the answer cannot have waited for it.
    status, body = exchange([(b"content-length", b"5000000000")], [])
    assert status == 413
    assert "larger than the limit of 1,000 bytes" in body["detail"]


def test_a_body_without_length_is_cut_off_once_it_passes_the_limit(settings):
    settings.MAX_REQUEST_BYTES = 1000
    # Two chunks pass the limit; the third, which would end the body, is never needed.
    status, _ = exchange([(b"transfer-encoding", b"chunked")], [b"x" * 600, b"x" * 600, b""])
    assert status == 413


def test_a_body_within_the_limit_reaches_the_view(settings):
    settings.MAX_REQUEST_BYTES = 1000
    status, body = exchange([(b"content-length", b"10")], [b"0123456789"])
    assert status == 401, body  # the image API's own answer to a caller without a token


def test_an_exchange_returns_only_once_the_application_has_finished(settings):
    """The view's thread sends the end of the body after the answer is read: a loop closed
    before that leaves the thread waiting for it forever, and the test process never exits."""
    settings.MAX_REQUEST_BYTES = 1000
    finished = []

    async def recorded(scope, receive, send) -> None:
        await application(scope, receive, send)
        finished.append(scope["path"])

    for _ in range(5):
        exchange([(b"content-length", b"10")], [b"0123456789"], app=recorded)
    assert finished == ["/api/images/"] * 5
