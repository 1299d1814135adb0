"""The scheduler (`manage.py runscheduler`) survives RabbitMQ going away at a cron minute.

Its broker connection goes through a fault proxy. The process's clock is moved (time_machine,
ticking) to a few seconds before a minute, so its first cron minute comes at once instead of
up to a minute later; the next one is a real minute after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ARTIFACTS, worker_database_url
from tests.helpers import ROOT, wait_for

pytestmark = pytest.mark.timeout(150)

# manage.py runscheduler, with the clock set to the ISO time in argv[1] and ticking on.
RUN_SCHEDULER_AT = textwrap.dedent(
    """
    import runpy, sys
    from datetime import datetime
    import time_machine

    time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True).start()
    sys.argv = ["manage.py", "runscheduler"]
    runpy.run_path("manage.py", run_name="__main__")
    """
)


def records(log_path) -> list[dict]:
    complete = log_path.read_text(errors="replace").rpartition("\n")[0]
    return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]


def test_the_scheduler_logs_a_send_the_broker_refused_and_sends_the_next_one(broker_proxy):
    next_minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    log_path = ARTIFACTS / "scheduler-outage.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    broker_proxy.cut()  # RabbitMQ is down when the first cron minute comes
    scheduler = subprocess.Popen(
        [sys.executable, "-c", RUN_SCHEDULER_AT, (next_minute - timedelta(seconds=3)).isoformat()],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "RABBITMQ_URL": broker_proxy.url,
            "RABBITMQ_CONNECT_TIMEOUT": "1",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
        },
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        failed = wait_for(
            lambda: (
                [r for r in records(log_path) if r["message"].startswith("could not send")]
                or scheduler.poll() is not None
            ),
            timeout=60,
            what="the scheduler's first send to fail",
        )
        assert scheduler.poll() is None, log_path.read_text()
        assert datetime.fromisoformat(failed[0]["scheduled_at"]) == next_minute

        broker_proxy.restore()
        sent = wait_for(
            lambda: (
                [r for r in records(log_path) if r["message"].startswith("scheduled ")]
                or scheduler.poll() is not None
            ),
            timeout=100,
            what="the scheduler's next send",
        )
        assert scheduler.poll() is None, log_path.read_text()
        # The same minute's next actor, when the restore comes while the loop is still sending
        # that minute's jobs; the next minute's otherwise.
        assert datetime.fromisoformat(sent[0]["scheduled_at"]) >= next_minute
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
