"""The embedded default's email backend: each mail is one log record, not stray stdout.

Django's console backend writes the raw MIME text (encoded parts included) to stdout while
every other thread logs to stderr, so a report mail comes out torn by log lines. Here the
headers and the plain-text body go out as a single record through the same handler as the
logs, which writes it whole, in the log's format.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("mail")


def _render(message: EmailMessage) -> str:
    headers = {
        "From": message.from_email,
        "To": ", ".join(message.to),
        "Cc": ", ".join(message.cc),
        "Subject": message.subject,
    }
    lines = [f"{name}: {value}" for name, value in headers.items() if value]
    extras = [f"a {mimetype} version" for _, mimetype in getattr(message, "alternatives", [])]
    if message.attachments:
        extras.append(f"{len(message.attachments)} attachment(s)")
    if extras:
        lines.append(f"(also in the mail: {', '.join(extras)})")
    return "\n".join([*lines, "", message.body])


class ConsoleEmailBackend(BaseEmailBackend):
    """Logs each mail (not sent anywhere): set EMAIL_URL to send them for real."""

    def send_messages(self, email_messages: Sequence[EmailMessage | EmailMultiAlternatives]) -> int:
        for message in email_messages:
            logger.info("mail not sent (no EMAIL_URL), it reads:\n%s", _render(message))
        return len(email_messages)
