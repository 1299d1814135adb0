"""The periodic schedule: which actors run on which cron, and the embedded scheduler loop."""

from __future__ import annotations

from datetime import UTC, datetime

import dramatiq
import pytest
import time_machine
from dramatiq.brokers.stub import StubBroker
from periodiq import PeriodiqMiddleware, cron

from core.scheduling import SchedulerThread, periodic_actors


def test_every_periodic_actor_follows_its_setting(settings):
    schedule = {actor.actor_name: actor.options["periodic"] for actor in periodic_actors()}
    expected = {
        "codecheck_sweep": settings.CODECHECK_SWEEP_CRON,
        "prune_tasks": settings.TASK_PRUNE_CRON,
        "wake_sequential_lane": settings.SEQUENTIAL_WAKE_CRON,
        "flush_expired_tokens": settings.TOKEN_FLUSH_CRON,
    }
    assert set(schedule) == set(expected)
    moment = datetime(2026, 1, 5, 3, 17, tzinfo=UTC)  # a Monday, 03:17: every one of them is due
    for name, spec in expected.items():
        assert schedule[name].validate(moment) is cron(spec).validate(moment), name


@pytest.fixture
def stub_actor():
    broker = StubBroker(middleware=[PeriodiqMiddleware()])
    broker.emit_after("process_boot")

    @dramatiq.actor(broker=broker, actor_name="every_minute", periodic=cron("* * * * *"))
    def every_minute() -> None:
        """Only its messages are looked at."""

    return broker, every_minute


def test_the_scheduler_thread_sends_a_due_actor_once_per_minute(stub_actor):
    broker, actor = stub_actor
    # Half a second before a minute starts: the actor is due then, and not again for a minute.
    with time_machine.travel(datetime(2026, 1, 5, 3, 16, 59, 500_000, tzinfo=UTC), tick=True):
        thread = SchedulerThread([actor])
        thread.start()
        try:
            message = dramatiq.Message.decode(broker.queues["default"].get(timeout=5))
        finally:
            thread.stop()
            thread.join(timeout=5)
    assert message.actor_name == "every_minute"
    assert message.options["scheduled_at"] == "2026-01-05 03:17:00+00:00"
    assert broker.queues["default"].qsize() == 0
