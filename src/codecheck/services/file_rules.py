"""What every write on a code file checks first."""

from __future__ import annotations

from rest_framework import status

from codecheck.models import CodeFile, FileStatus
from core.exceptions import ApplicationError


def refuse_if_deleted(code_file: CodeFile) -> None:
    """A deleted file is kept for its history and nothing more: 409 for anything else."""
    if code_file.status == FileStatus.DELETED:
        raise ApplicationError("The file was deleted.", status_code=status.HTTP_409_CONFLICT)
