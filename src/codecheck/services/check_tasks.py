"""Code checks as tasks: the sweep and "check now" create them, a file's delete cancels them.

A check is a task of the internal kind `code_check`, so it has the runtime's claim,
re-dispatch and retries. Its idempotency key names what it checks: the sweep's is
`codecheck:<file id>:<version>`, and a task-create with a key used before returns the first
task, so each version is checked once however many sweeps overlap. "Check now" on a file
whose version was checked already adds the newest check's id, `...:after:<check id>`: a
re-check runs once per request made after that check, and requests that arrive together
share one task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import suppress

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from rest_framework import serializers

from codecheck.models import PENDING_STATUSES, Check, CodeFile, FileStatus
from codecheck.services.file_rules import refuse_if_deleted
from core.exceptions import ApplicationError
from tasks_api.models import Task, TaskStatus
from tasks_api.params import ParamsSerializer
from tasks_api.services import task_cancel, task_create

logger = logging.getLogger(__name__)

CODE_CHECK_KIND = "code_check"
KEY_PREFIX = "codecheck"
# Files given a task per sweep; the next sweep, a minute later, takes the rest.
SWEEP_BATCH = 1000


class CodeCheckParamsSerializer(ParamsSerializer):
    file_id = serializers.IntegerField(min_value=1)
    version = serializers.IntegerField(min_value=1, help_text="The version of the file to check.")


def _version_key(*, file_id: int, version: int) -> str:
    return f"{KEY_PREFIX}:{file_id}:{version}"


def _check_task_create(*, code_file: CodeFile, key: str) -> tuple[Task, bool]:
    return task_create(
        owner=code_file.owner,
        kind=CODE_CHECK_KIND,
        params={"file_id": code_file.id, "version": code_file.version},
        idempotency_key=key,
    )


def codecheck_sweep() -> int:
    """Give every new or updated file the check task of its version; returns how many were made.

    Files whose version has its task already are left out in the query itself; one that
    gets it between that query and task_create (a sweep beside this one) gets the same task
    back from the key, not a second one.
    """
    version_key = Concat(
        Value(f"{KEY_PREFIX}:"),
        Cast(OuterRef("id"), CharField()),
        Value(":"),
        Cast(OuterRef("version"), CharField()),
        output_field=CharField(),
    )
    has_task = Exists(Task.objects.filter(owner_id=OuterRef("owner_id"), idempotency_key=version_key))
    waiting = (
        CodeFile.objects.filter(status__in=PENDING_STATUSES)
        .filter(~has_task)
        .select_related("owner")
        .only("id", "version", "owner")
        .order_by("updated_at", "id")[:SWEEP_BATCH]
    )
    created = 0
    for code_file in waiting:
        _, new = _check_task_create(
            code_file=code_file, key=_version_key(file_id=code_file.id, version=code_file.version)
        )
        created += new
    logger.info("code check sweep done", extra={"tasks_created": created})
    return created


@transaction.atomic
def codefile_request_check(*, code_file: CodeFile) -> Task:
    """Check the file now instead of at the next sweep (also re-checks an unchanged file)."""
    code_file = CodeFile.objects.select_for_update().select_related("owner").get(id=code_file.id)
    refuse_if_deleted(code_file)
    key = _version_key(file_id=code_file.id, version=code_file.version)
    if code_file.status == FileStatus.CHECKED:
        newest = Check.objects.filter(file=code_file).order_by("-id").values_list("id", flat=True).first()
        key = f"{key}:after:{newest}"
    task, _ = _check_task_create(code_file=code_file, key=key)
    logger.info("code check requested", extra={"file_id": code_file.id, "task_id": str(task.id)})
    return task


def check_tasks_cancel(*, file_ids: Iterable[int]) -> None:
    """Cancel the unfinished check tasks of these files, running ones included.

    A running check stops without writing: it looks at its row, and at its file, before it
    records anything.
    """
    ids = list(file_ids)
    if not ids:
        return
    unfinished = Task.objects.filter(
        kind=CODE_CHECK_KIND,
        status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING],
        params__file_id__in=ids,
    )
    for task in unfinished:
        with suppress(ApplicationError):  # it finished meanwhile
            task_cancel(task=task)
