"""The embedded default's console mail: each mail is one whole log record."""

from __future__ import annotations

import logging

from django.core import mail
from django.core.mail import EmailMultiAlternatives


def test_a_mail_is_logged_whole_as_one_record(settings, caplog):
    settings.EMAIL_BACKEND = "core.mail.ConsoleEmailBackend"
    message = EmailMultiAlternatives("Report for style.py", "2 issues\nE225 at 1:2", to=["ada@example.com"])
    message.attach_alternative("<p>2 issues</p>", "text/html")
    with caplog.at_level(logging.INFO, logger="mail"):
        assert mail.get_connection().send_messages([message]) == 1
    [record] = [r for r in caplog.records if r.name == "mail"]
    text = record.getMessage()
    assert "To: ada@example.com" in text and "Subject: Report for style.py" in text
    assert text.endswith("\n\n2 issues\nE225 at 1:2")
    assert "a text/html version" in text
