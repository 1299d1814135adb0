"""`manage.py ready`: the worker's and scheduler's container healthcheck."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_ready_when_every_service_answers():
    out = io.StringIO()
    call_command("ready", stdout=out)
    assert out.getvalue().strip() == "Ready: database, broker, cache."


def test_not_ready_names_the_service_that_does_not_answer(settings):
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"
    with pytest.raises(CommandError, match=r"^Not ready\. broker: "):
        call_command("ready")
