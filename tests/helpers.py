"""Small helpers shared by the tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

T = TypeVar("T")
PASSWORD = "a-Strong-passw0rd!"


def client_for(user) -> APIClient:
    """An API client that sends the user's real JWT access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll `condition` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
