from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import SimpleRateThrottle


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
