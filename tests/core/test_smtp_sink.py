"""The SMTP sink the e2e tests rely on receives real SMTP traffic and can refuse it."""

import smtplib

import pytest
from django.core.mail import send_mail


def test_mail_sent_over_smtp_arrives(smtp):
    send_mail("Hello", "Body text", "from@example.com", ["to@example.com"])
    assert [m["Subject"] for m in smtp.messages] == ["Hello"]
    assert smtp.messages[0].get_content().strip() == "Body text"


def test_refusing_sink_makes_send_fail(smtp):
    smtp.refuse = True
    with pytest.raises(smtplib.SMTPDataError):
        send_mail("Hello", "Body", "from@example.com", ["to@example.com"])
    assert smtp.messages == []
