"""Actors of the core app: clearing out expired refresh tokens."""

from __future__ import annotations

import dramatiq
from django.conf import settings
from periodiq import cron

from core.services import tokens_flush_expired


@dramatiq.actor(
    actor_name="flush_expired_tokens",
    queue_name="maintenance",
    periodic=cron(settings.TOKEN_FLUSH_CRON),
    max_retries=0,
    time_limit=300_000,
)
def flush_expired_tokens() -> None:
    tokens_flush_expired()
