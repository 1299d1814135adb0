"""The image-events listener without RabbitMQ (the embedded default)."""

from __future__ import annotations

from tests.helpers import wait_for
from tests.images.listener import ListenerProcess


def test_without_rabbitmq_the_listener_says_so_and_stays_up(tmp_path):
    listener = ListenerProcess(log_dir=tmp_path, env={"RABBITMQ_URL": ""})
    try:
        wait_for(lambda: listener.lines, what="the listener's first line")
        assert listener.lines == [
            "No RABBITMQ_URL: the web process logs image events itself (embedded default)."
        ]
        assert listener.proc.poll() is None  # a process manager would stop everything if it ended
    finally:
        listener.stop()
