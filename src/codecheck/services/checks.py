"""Running one code check: the handler of the `code_check` task kind.

flake8 runs with no lock held; the check is then written under the task's row lock, and
only if the task still runs (it was not cancelled) and the file still has the version that
was checked (an overwrite or a delete during the check makes the result stale). A second
delivery of the same message finds the check written by the first and goes on to the mail.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from codecheck.checker import Issue, check_source
from codecheck.models import Check, CheckResult, CodeFile, FileStatus
from codecheck.services.report_mail import check_report_mail
from tasks_api.models import Task
from tasks_api.services import task_set_progress

logger = logging.getLogger(__name__)

OVERWRITTEN = "The file was overwritten during its check; its new version gets a check of its own."
DELETED = "The file was deleted before its check was written."
CANCELLED = "The check was cancelled."


def _fingerprints(issues: list[Issue]) -> dict[str, int]:
    """How many issues share each (code, line text), keyed by a short hash of the pair."""
    keys = (
        hashlib.blake2b(f"{issue.code}\0{issue.text}".encode(), digest_size=8).hexdigest() for issue in issues
    )
    return dict(Counter(keys))


def _count_changes(previous: dict[str, int], current: dict[str, int]) -> tuple[int, int]:
    """New and fixed issues, matched as (code, line text) multisets: moved lines do not count."""
    before, after = Counter(previous), Counter(current)
    return sum((after - before).values()), sum((before - after).values())


def _stale_reason(*, code_file: CodeFile | None, version: int) -> str:
    if code_file is None or code_file.status == FileStatus.DELETED:
        return DELETED
    if code_file.version != version:
        return OVERWRITTEN
    return ""


def _mailing_message(result: str) -> str:
    return f"check {result}; mailing the report"


@transaction.atomic
def _check_record(*, task: Task, issues: list[Issue], started_at: datetime) -> Check | str:
    """Write the check of the task's version; the reason when it must not be written.

    The file's row is locked before the task's, the order codefile_delete takes them in.
    The task's row is locked by the progress write, which also tells whether it still runs;
    when nothing is written that write is rolled back with the rest.
    """
    version = task.params["version"]
    code_file = (
        CodeFile.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(id=task.params["file_id"])
        .first()
    )
    result = CheckResult.FAILED if issues else CheckResult.PASSED
    if not task_set_progress(task_id=task.id, progress=90, message=_mailing_message(result)):
        return CANCELLED
    written = Check.objects.filter(task=task).first()
    if written is not None:  # another delivery of the same message got here first
        return written
    if reason := _stale_reason(code_file=code_file, version=version):
        transaction.set_rollback(True)
        return reason
    previous = (
        Check.objects.filter(file=code_file).order_by("-finished_at", "-id").only("fingerprints").first()
    )
    fingerprints = _fingerprints(issues)
    new, fixed = _count_changes(previous.fingerprints if previous else {}, fingerprints)
    check = Check.objects.create(
        file=code_file,
        task=task,
        version=version,
        file_name=code_file.name,
        started_at=started_at,
        finished_at=timezone.now(),
        result=result,
        issue_count=len(issues),
        issues=[issue.as_dict() for issue in issues[: settings.CODECHECK_MAX_ISSUES]],
        fingerprints=fingerprints,
        new_issues=new,
        fixed_issues=fixed,
    )
    code_file.status = FileStatus.CHECKED
    code_file.save(update_fields=["status"])
    logger.info(
        "code file checked",
        extra={"file_id": code_file.id, "check_id": check.id, "result": check.result, "issues": len(issues)},
    )
    return check


def _check_run(*, task: Task, code_file: CodeFile | None) -> Check | str:
    if reason := _stale_reason(code_file=code_file, version=task.params["version"]):
        return reason
    assert code_file is not None
    started_at = timezone.now()
    return _check_record(task=task, issues=check_source(code_file.content), started_at=started_at)


def code_check_run(task: Task) -> dict[str, Any]:
    """Check the task's file version once and mail its owner the report once.

    An unreachable mail server raises TransientTaskError: the task is retried for the mail
    alone (the check is written already), and fails once no retry is left.
    """
    outcome: dict[str, Any] = {"file_id": task.params["file_id"], "version": task.params["version"]}
    # One query for the common case: the file to check, and whether a delivery of this
    # message wrote its check already (then only the mail is left to do).
    code_file = (
        CodeFile.objects.annotate(checked=Exists(Check.objects.filter(task=task)))
        .filter(id=task.params["file_id"])
        .first()
    )
    if code_file is not None and code_file.checked:
        check: Check | str = Check.objects.select_related("file__owner").get(task=task)
        task_set_progress(task_id=task.id, progress=90, message=_mailing_message(check.result))
    else:
        check = _check_run(task=task, code_file=code_file)
    if isinstance(check, str):
        logger.info("code check not written", extra={"task_id": str(task.id), "reason": check})
        return {**outcome, "check_id": None, "skipped": check}
    outcome.update(check_id=check.id, result=check.result, issue_count=check.issue_count)
    return {**outcome, **check_report_mail(check=check, task=task)}
