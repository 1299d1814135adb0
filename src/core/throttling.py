from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework import throttling
from rest_framework.throttling import SimpleRateThrottle

from core.cache import count_in_window


class UserRateThrottle(throttling.UserRateThrottle):
    """USER_THROTTLE_RATE per user, counted in fixed windows of the rate's period.

    DRF's own keeps the time of every request within the period, a pickled list read and
    written back on each call (1,000 floats at the default rate): this one adds one to a
    counter, one Redis round trip. A burst across a window's end may pass up to twice the
    rate within one period.
    """

    num_requests: int  # parsed from the rate by DRF
    duration: int
    window_ends = 0.0

    def get_rate(self) -> str:
        return settings.USER_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = int(time.time() // self.duration)
        self.window_ends = (window + 1) * self.duration
        return count_in_window(f"{key}:{window}", self.duration) <= self.num_requests

    def wait(self) -> float:
        return max(self.window_ends - time.time(), 1.0)


class AuthRateThrottle(SimpleRateThrottle):
    """Limits register, token and refresh calls per client address (password guessing)."""

    scope = "auth"

    def get_rate(self) -> str:
        return settings.AUTH_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_posts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count a Django view's POSTs against the same per-address budget as the API's log-in.

    For the site's and the admin's log-in and register forms, which would otherwise let a
    password be guessed as fast as the server answers.
    """

    @wraps(view)
    def throttled(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            throttle = AuthRateThrottle()
            if not throttle.allow_request(request, None):
                wait = math.ceil(throttle.wait() or 1)
                response = HttpResponse(
                    f"Too many attempts from your address: try again in {wait} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return throttled
