"""Mail about a task at most once, however many times its message is delivered.

The claim is a row created before sending (its primary key is the task, so only one run
creates it) and `sent_at` is set once the server accepted the mail. A run that finds the
row leaves the mail alone; only a claim older than a whole SMTP exchange, whose run must
have died before it could mark anything, is taken over and sent again.
"""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks_api.models import Task, TaskEmail
from tasks_api.services import TransientTaskError

logger = logging.getLogger(__name__)
CLAIM_POLL_SECONDS = 0.2


class EmailRefused(Exception):
    """The mail server refused the message for good (a 5xx answer)."""


def _claim(*, task: Task, to: str) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            TaskEmail.objects.create(task=task, to=to, claimed_at=now)
        return True
    except IntegrityError:
        stale = now - timedelta(seconds=2 * settings.EMAIL_TIMEOUT)
        return bool(
            TaskEmail.objects.filter(task=task, sent_at__isnull=True, claimed_at__lt=stale).update(
                claimed_at=now
            )
        )


def task_email_once(*, task: Task, to: str, subject: str, body: str, html: str = "") -> bool:
    """Send the task's mail unless a run sent it already; True once the server accepted it.

    `html`, when given, goes along as the HTML alternative of the plain-text `body`.

    A refused message raises EmailRefused; an unreachable server raises TransientTaskError.
    Either way the claim is dropped, so a later try may send.
    """
    # A claim lives 2 x EMAIL_TIMEOUT (see _claim): wait no longer than one lifetime.
    deadline = time.monotonic() + 2 * settings.EMAIL_TIMEOUT
    while not _claim(task=task, to=to):
        if TaskEmail.objects.filter(task=task, sent_at__isnull=False).exists():
            return True
        if time.monotonic() > deadline:
            return False
        # Another delivery of the same message is sending right now. Its outcome is this
        # run's too: wait for it (sent, or claim dropped so this run may send, or claim
        # gone stale and taken over by _claim) instead of reporting "not emailed".
        time.sleep(CLAIM_POLL_SECONDS)
    message = EmailMultiAlternatives(subject, body, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        TaskEmail.objects.filter(task=task, sent_at__isnull=True).delete()
        raise EmailRefused(f"The mail server refused the address {to}.") from exc
    except smtplib.SMTPResponseException as exc:
        TaskEmail.objects.filter(task=task, sent_at__isnull=True).delete()
        reply = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        if exc.smtp_code >= 500:
            raise EmailRefused(f"The mail server refused the message: {exc.smtp_code} {reply}") from exc
        raise TransientTaskError(f"The mail server answered {exc.smtp_code} {reply}.") from exc
    except (smtplib.SMTPException, OSError) as exc:
        TaskEmail.objects.filter(task=task, sent_at__isnull=True).delete()
        raise TransientTaskError(f"Could not reach the mail server: {exc}") from exc
    TaskEmail.objects.filter(task=task).update(sent_at=timezone.now())
    logger.info("task email sent", extra={"task_id": str(task.id), "to": to})
    return True
