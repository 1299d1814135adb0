"""The report mail of a check: a summary, the first issues and a link, sent at most once.

The mail goes through tasks_api.email_once, keyed by the check's task, so a redelivered
message never mails twice. It stays small whatever the file: CODECHECK_MAIL_ISSUES issues
at most, then "and N more" and the link to the file's page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from rest_framework import status

from codecheck.models import Check, CheckResult
from core.exceptions import ApplicationError
from tasks_api.email_once import EmailRefused, task_email_once
from tasks_api.models import Task, TaskEmail
from tasks_api.services import TransientTaskError, task_requeue

logger = logging.getLogger(__name__)


def _report_context(check: Check) -> dict[str, Any]:
    shown = check.issues[: settings.CODECHECK_MAIL_ISSUES]
    return {
        "check": check,
        "file": check.file,
        "first_check": not Check.objects.filter(file_id=check.file_id, id__lt=check.id).exists(),
        "issues": shown,
        "more": check.issue_count - len(shown),
        "url": settings.SITE_URL.rstrip("/") + reverse("codecheck-site:file", args=[check.file_id]),
    }


def _subject(check: Check) -> str:
    verdict = "passed" if check.result == CheckResult.PASSED else f"failed with {check.issue_count} issue(s)"
    return f"Code check {verdict}: {check.file_name}"


def check_report_mail(*, check: Check, task: Task) -> dict[str, Any]:
    """Email the owner the check's report unless it went already; `{emailed[, email_error]}`.

    A message the server refuses for good leaves `emailed` false with the reason; an
    unreachable server raises TransientTaskError for the task's retries to deal with.
    """
    address = check.file.owner.email
    context = _report_context(check)
    try:
        sent = task_email_once(
            task=task,
            to=address,
            subject=_subject(check),
            body=render_to_string("codecheck/email/report.txt", context),
            html=render_to_string("codecheck/email/report.html", context),
        )
    except TransientTaskError as exc:
        logger.warning(
            f"report for {check.file_name} not emailed to {address}: {exc}", extra={"check_id": check.id}
        )
        raise
    except EmailRefused as exc:
        logger.warning(
            f"report for {check.file_name} not emailed to {address}: {exc}", extra={"check_id": check.id}
        )
        return {"emailed": False, "email_error": str(exc)}
    if sent:
        sent_at = TaskEmail.objects.filter(task=task).values("sent_at")
        Check.objects.filter(id=check.id).update(email_sent=True, email_sent_at=Subquery(sent_at))
        logger.info(f"report for {check.file_name} emailed to {address}", extra={"check_id": check.id})
    return {"emailed": sent}


@transaction.atomic
def check_notify_again(*, check: Check) -> Check:
    """Run the check's task again for its mail, once its retries ran out (an admin action).

    The check is written already, so the new run only mails; a mail sent already is not
    sent twice.
    """
    if check.email_sent:
        raise ApplicationError("The report mail was sent already.", status_code=status.HTTP_409_CONFLICT)
    if check.task is None:
        raise ApplicationError(
            "The check's task was pruned: its mail can no longer be sent.",
            status_code=status.HTTP_409_CONFLICT,
        )
    task_requeue(task=check.task)
    logger.info("report mail queued again", extra={"check_id": check.id})
    return check
