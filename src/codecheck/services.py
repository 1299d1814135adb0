"""Writes of code checks: uploads, overwrites, deletes, the sweep that checks files, the report mail.

A check runs in three steps so that no database lock is held while flake8 works: claim a
file (a token with an expiry, taken under `SELECT ... FOR UPDATE SKIP LOCKED`), run flake8
on the claimed version, then write the check only if the claim still holds. An overwrite or
a delete drops the claim, so a file that changed during its check keeps waiting and is
checked again; a claim left by a worker that died runs out and the file is taken over.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework import status

from codecheck.checker import Issue, check_source
from codecheck.models import Check, CheckResult, CodeFile, FileStatus
from core.dispatch import enqueue_on_commit, send_actor
from core.exceptions import ApplicationError
from core.models import User

logger = logging.getLogger(__name__)

# Longer than flake8 needs for the largest accepted file: a live claim is never taken over.
CLAIM_SECONDS = 300
# A sweep stops claiming after this long and leaves the rest to the next one, well inside
# the sweep actor's time limit.
SWEEP_BUDGET_SECONDS = 240
# A check whose report-mail message the broker has not confirmed after this long lost it.
NOTIFY_RESEND_AFTER_SECONDS = 120


@dataclass(frozen=True)
class Claim:
    file_id: int
    token: uuid.UUID
    version: int
    name: str
    content: str


def _read_upload(upload: UploadedFile) -> tuple[str, str, int]:
    """Validate an upload; its cleaned name, its text and its size, or a field error."""
    name = PurePath((upload.name or "").replace("\\", "/")).name
    if not name.lower().endswith(".py") or name.lower() == ".py":
        raise ValidationError({"file": ["Only Python source files (.py) are accepted."]})
    if len(name) > 255:
        raise ValidationError({"file": ["The file name is longer than 255 characters."]})
    limit = settings.CODECHECK_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"file": [f"The file is larger than the limit of {limit:,} bytes."]})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": [f"The file is larger than the limit of {limit:,} bytes."]})
    if not data:
        raise ValidationError({"file": ["The file is empty."]})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": ["The file is not UTF-8 text."]}) from exc
    if "\x00" in text:
        raise ValidationError({"file": ["The file contains NUL bytes, so it is not Python source text."]})
    return name, text, len(data)


def refuse_if_deleted(code_file: CodeFile) -> None:
    if code_file.status == FileStatus.DELETED:
        raise ApplicationError("The file was deleted.", status_code=status.HTTP_409_CONFLICT)


@transaction.atomic
def codefile_create(*, owner: User, upload: UploadedFile) -> CodeFile:
    """Store an uploaded .py file as `new`; the next sweep checks it."""
    name, text, size = _read_upload(upload)
    now = timezone.now()
    code_file = CodeFile.objects.create(
        owner=owner, name=name, content=text, size=size, uploaded_at=now, updated_at=now
    )
    logger.info("code file uploaded", extra={"file_id": code_file.id, "size": size})
    return code_file


@transaction.atomic
def codefile_overwrite(*, code_file: CodeFile, upload: UploadedFile) -> CodeFile:
    """Replace the source (and name) with a new version, `updated`, waiting for a check."""
    name, text, size = _read_upload(upload)
    code_file = CodeFile.objects.select_for_update().get(id=code_file.id)
    refuse_if_deleted(code_file)
    code_file.name, code_file.content, code_file.size = name, text, size
    code_file.version += 1
    code_file.status = FileStatus.UPDATED
    code_file.needs_check = True
    code_file.claim_token = code_file.claimed_until = None  # a check in progress is now stale
    code_file.updated_at = timezone.now()
    code_file.save()
    logger.info("code file overwritten", extra={"file_id": code_file.id, "version": code_file.version})
    return code_file


@transaction.atomic
def codefile_delete(*, code_file: CodeFile) -> CodeFile:
    """Mark the file `deleted` and drop its source; the row and its checks stay."""
    code_file = CodeFile.objects.select_for_update().get(id=code_file.id)
    if code_file.status != FileStatus.DELETED:
        code_file.status = FileStatus.DELETED
        code_file.updated_at = timezone.now()
        code_file.content = ""
        code_file.needs_check = False
        code_file.claim_token = code_file.claimed_until = None
        code_file.save()
        logger.info("code file deleted", extra={"file_id": code_file.id})
    return code_file


@transaction.atomic
def codefile_request_check(*, code_file: CodeFile) -> CodeFile:
    """Check the file now instead of at the next sweep (also re-checks an unchanged file)."""
    code_file = CodeFile.objects.select_for_update().get(id=code_file.id)
    refuse_if_deleted(code_file)
    if not code_file.needs_check:
        code_file.needs_check = True
        code_file.save(update_fields=["needs_check"])
    enqueue_on_commit("codecheck_check_file", code_file.id)
    logger.info("code check requested", extra={"file_id": code_file.id})
    return code_file


@transaction.atomic
def codefile_claim(*, file_id: int | None = None) -> Claim | None:
    """Claim the longest-waiting file (or `file_id`) for a check; None when nothing waits.

    SKIP LOCKED: a file another sweep is claiming right now is left to it, not waited for.
    """
    now = timezone.now()
    pending = (
        CodeFile.objects.select_for_update(skip_locked=True)
        .filter(needs_check=True)
        .exclude(status=FileStatus.DELETED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )
    if file_id is not None:
        pending = pending.filter(id=file_id)
    code_file = pending.order_by("updated_at", "id").first()
    if code_file is None:
        return None
    code_file.claim_token = uuid.uuid4()
    code_file.claimed_until = now + timedelta(seconds=CLAIM_SECONDS)
    code_file.save(update_fields=["claim_token", "claimed_until"])
    return Claim(code_file.id, code_file.claim_token, code_file.version, code_file.name, code_file.content)


def _count_changes(previous: list[list[str]], current: list[list[str]]) -> tuple[int, int]:
    """New and fixed issues, matched as (code, line text) multisets: moved lines do not count."""
    before = Counter(map(tuple, previous))
    after = Counter(map(tuple, current))
    return sum((after - before).values()), sum((before - after).values())


@transaction.atomic
def _check_record(*, claim: Claim, issues: list[Issue], started_at: datetime) -> Check | None:
    code_file = CodeFile.objects.select_for_update().filter(id=claim.file_id, claim_token=claim.token).first()
    if code_file is None:
        # Overwritten, deleted, or taken over after the claim ran out: this result is stale.
        logger.info("code file changed during its check", extra={"file_id": claim.file_id})
        return None
    previous = Check.objects.filter(file=code_file).order_by("-finished_at", "-id").first()
    fingerprints = [[issue.code, issue.text] for issue in issues]
    new, fixed = _count_changes(previous.fingerprints if previous else [], fingerprints)
    check = Check.objects.create(
        file=code_file,
        version=claim.version,
        file_name=claim.name,
        started_at=started_at,
        finished_at=timezone.now(),
        result=CheckResult.FAILED if issues else CheckResult.PASSED,
        issue_count=len(issues),
        issues=[issue.as_dict() for issue in issues],
        fingerprints=fingerprints,
        new_issues=new,
        fixed_issues=fixed,
    )
    code_file.status = FileStatus.CHECKED
    code_file.needs_check = False
    code_file.claim_token = code_file.claimed_until = None
    code_file.save(update_fields=["status", "needs_check", "claim_token", "claimed_until"])
    check_id = check.id
    enqueue_on_commit("codecheck_notify", check_id, on_sent=lambda: _mark_notify_sent(check_id))
    logger.info(
        "code file checked",
        extra={"file_id": code_file.id, "check_id": check.id, "result": check.result, "issues": len(issues)},
    )
    return check


def _check_claimed(claim: Claim) -> Check | None:
    started_at = timezone.now()
    return _check_record(claim=claim, issues=check_source(claim.content), started_at=started_at)


def codefile_check(*, file_id: int) -> Check | None:
    """Check one file now if it waits for a check and nobody else is checking it.

    None when there was nothing to claim or the file changed while it was being checked.
    """
    claim = codefile_claim(file_id=file_id)
    return _check_claimed(claim) if claim else None


def _mark_notify_sent(check_id: int) -> None:
    Check.objects.filter(id=check_id).update(notify_sent_at=timezone.now())


def check_notify_again(*, check: Check) -> Check:
    """Queue the report mail again, for a check whose mail retries ran out (an admin action).

    The notification actor gives up after its retries (about 17 minutes of a mail server
    refusing or away); once the server is back, this sends it. A mail sent already is not
    sent twice: check_notify looks at `email_sent` under the row lock.
    """
    if check.email_sent:
        raise ApplicationError("The report mail was sent already.", status_code=status.HTTP_409_CONFLICT)
    check_id = check.id
    enqueue_on_commit("codecheck_notify", check_id, on_sent=lambda: _mark_notify_sent(check_id))
    logger.info("report mail queued again", extra={"check_id": check_id})
    return check


def checks_resend_lost_notifications(*, older_than_seconds: int = NOTIFY_RESEND_AFTER_SECONDS) -> int:
    """Queue again the report mails whose message never reached the broker; returns how many.

    The notification goes out after the check commits; a broker outage at that moment
    loses it. Such checks have no notify_sent_at, and the next sweeps send them again.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    lost = Check.objects.filter(notify_sent_at__isnull=True, email_sent=False, finished_at__lt=cutoff)
    sent = 0
    for check_id in lost.values_list("id", flat=True)[:1000]:
        try:
            send_actor("codecheck_notify", check_id)
        except Exception:
            logger.exception("report mail not queued", extra={"check_id": check_id})
            break  # the broker is still away: the next sweep tries again
        _mark_notify_sent(check_id)
        sent += 1
    return sent


def codecheck_sweep(*, budget_seconds: float = SWEEP_BUDGET_SECONDS) -> int:
    """Check every waiting file, one claim at a time; returns how many checks were written.

    Safe to run in many places at once: each file version goes to exactly one claimant.
    """
    deadline = time.monotonic() + budget_seconds
    checked = claims = 0
    while time.monotonic() < deadline and (claim := codefile_claim()) is not None:
        claims += 1
        try:
            if _check_claimed(claim):
                checked += 1
        except Exception:
            # One file that breaks the checker must not hold up everyone else's: its claim
            # runs out and a later sweep tries it again; the log says which file it was.
            logger.exception("code file check crashed", extra={"file_id": claim.file_id})
    resent = checks_resend_lost_notifications()
    logger.info(
        "code check sweep done", extra={"checked": checked, "claimed": claims, "mails_requeued": resent}
    )
    return checked


def _report_message(check: Check) -> EmailMultiAlternatives:
    first = not Check.objects.filter(file_id=check.file_id, id__lt=check.id).exists()
    context = {"check": check, "file": check.file, "first_check": first}
    verdict = "passed" if check.result == CheckResult.PASSED else f"failed with {check.issue_count} issue(s)"
    message = EmailMultiAlternatives(
        subject=f"Code check {verdict}: {check.file_name}",
        body=render_to_string("codecheck/email/report.txt", context),
        to=[check.file.owner.email],
    )
    message.attach_alternative(render_to_string("codecheck/email/report.html", context), "text/html")
    return message


def check_notify(*, check_id: int) -> bool:
    """Email the owner the check's report, once; True when this call sent it.

    The check row stays locked while the mail goes out, so a second delivery of the same
    message waits and then finds `email_sent`; a worker that dies mid-send releases the lock
    with its connection and leaves `email_sent` false for the redelivery. A mail the server
    refuses raises (the actor retries with backoff) and leaves nothing written.
    """
    with transaction.atomic():
        check = (
            Check.objects.select_for_update(of=("self",))
            .select_related("file__owner")
            .filter(id=check_id)
            .first()
        )
        if check is None or check.email_sent:
            logger.info("code check report already emailed or gone", extra={"check_id": check_id})
            return False
        address = check.file.owner.email
        try:
            _report_message(check).send()
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning(
                f"report for {check.file_name} not emailed to {address}: {exc}",
                extra={"check_id": check.id},
            )
            raise
        check.email_sent = True
        check.email_sent_at = timezone.now()
        check.save(update_fields=["email_sent", "email_sent_at"])
    logger.info(f"report for {check.file_name} emailed to {address}", extra={"check_id": check.id})
    return True
