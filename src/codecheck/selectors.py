"""Reads of code files and checks, always scoped to their owner."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from codecheck.models import Check, CodeFile
from codecheck.services.check_tasks import CODE_CHECK_KIND
from core.models import User
from tasks_api.models import Task, TaskStatus


def _with_last_check(files: QuerySet[CodeFile]) -> QuerySet[CodeFile]:
    """Attach `last_checks` (the newest check, or nothing) without loading every issue list."""
    newest = Check.objects.defer("issues", "fingerprints").order_by("-finished_at", "-id")[:1]
    return files.prefetch_related(Prefetch("checks", queryset=newest, to_attr="last_checks"))


def codefile_list(*, owner: User, status: str | None = None) -> QuerySet[CodeFile]:
    files = CodeFile.objects.filter(owner=owner).defer("content")
    if status:
        files = files.filter(status=status)
    return _with_last_check(files)


def codefile_get(*, owner: User, file_id: int | str) -> CodeFile:
    """The caller's file; another user's file is a 404, the same as a missing one."""
    return get_object_or_404(_with_last_check(CodeFile.objects.filter(owner=owner)), id=file_id)


def check_list(*, owner: User, file_id: int | None = None, with_issues: bool = True) -> QuerySet[Check]:
    """The caller's checks, newest first; without their issue lists unless `with_issues`."""
    deferred = (
        ["fingerprints", "file__content"] if with_issues else ["fingerprints", "issues", "file__content"]
    )
    checks = Check.objects.filter(file__owner=owner).select_related("file").defer(*deferred)
    if file_id is not None:
        checks = checks.filter(file_id=file_id)
    return checks


def codefiles_with_check_task(*, owner: User, files: Iterable[CodeFile]) -> list[CodeFile]:
    """The files, each with `check_task`: its check still queued or running (the oldest), or None.

    The site's pages follow that task's event stream to update themselves when it is done.
    """
    files = list(files)
    tasks = Task.objects.filter(
        owner=owner,
        kind=CODE_CHECK_KIND,
        status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING],
        params__file_id__in=[code_file.id for code_file in files],
    ).order_by("-created_at")
    by_file = {task.params["file_id"]: task for task in tasks}  # the oldest comes last and stays
    for code_file in files:
        code_file.check_task = by_file.get(code_file.id)  # type: ignore[attr-defined]  # for the templates
    return files
