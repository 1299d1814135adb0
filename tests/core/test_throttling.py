"""The per-user API throttle (USER_THROTTLE_RATE): a count per user in each period."""

from __future__ import annotations

import time

import pytest
import time_machine

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"


def test_a_user_gets_the_rate_in_each_period_then_429_until_it_ends(owner_client, other_client, settings):
    settings.USER_THROTTLE_RATE = "3/min"
    period_start = (int(time.time()) // 60 + 1) * 60  # the next minute: a fresh window
    with time_machine.travel(period_start + 10, tick=False):
        assert [owner_client.get(TASKS).status_code for _ in range(4)] == [200, 200, 200, 429]
        refused = owner_client.get(TASKS)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "50"  # the seconds left in the period
        assert other_client.get(TASKS).status_code == 200, "each user counts on their own"
    with time_machine.travel(period_start + 60, tick=False):
        assert owner_client.get(TASKS).status_code == 200
