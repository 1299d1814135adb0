"""Writes of code files: upload, overwrite, delete, and what a deleted account leaves."""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from codecheck.models import Check, CodeFile, FileStatus
from codecheck.services.check_tasks import check_tasks_cancel
from codecheck.services.file_rules import refuse_if_deleted
from core.models import User

logger = logging.getLogger(__name__)


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
    """Replace the source (and name) with a new version, `updated`, waiting for a check.

    A check of the old version still running finds the version changed and records nothing.
    """
    name, text, size = _read_upload(upload)
    code_file = CodeFile.objects.select_for_update().get(id=code_file.id)
    refuse_if_deleted(code_file)
    code_file.name, code_file.content, code_file.size = name, text, size
    code_file.version += 1
    code_file.status = FileStatus.UPDATED
    code_file.updated_at = timezone.now()
    code_file.save()
    logger.info("code file overwritten", extra={"file_id": code_file.id, "version": code_file.version})
    return code_file


@transaction.atomic
def codefile_delete(*, code_file: CodeFile) -> CodeFile:
    """Mark the file `deleted` and drop its source; the row and its checks stay.

    Its queued check tasks are cancelled; a running one finds the file deleted.
    """
    code_file = CodeFile.objects.select_for_update().get(id=code_file.id)
    if code_file.status != FileStatus.DELETED:
        code_file.status = FileStatus.DELETED
        code_file.updated_at = timezone.now()
        code_file.content = ""
        code_file.save()
        check_tasks_cancel(file_ids=[code_file.id])
        logger.info("code file deleted", extra={"file_id": code_file.id})
    return code_file


@transaction.atomic
def codefiles_erase_owner(*, owner: User) -> int:
    """Remove every file and check of a user whose account is deleted; returns how many files.

    Unlike codefile_delete nothing stays: the account goes, and its history with it.
    """
    file_ids = list(CodeFile.objects.filter(owner=owner).values_list("id", flat=True))
    check_tasks_cancel(file_ids=file_ids)
    Check.objects.filter(file_id__in=file_ids).delete()
    CodeFile.objects.filter(id__in=file_ids).delete()
    logger.info("code files erased", extra={"owner_id": owner.id, "files": len(file_ids)})
    return len(file_ids)
