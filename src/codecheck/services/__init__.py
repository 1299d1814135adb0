"""Writes of code checks, one module per job: uploads, check tasks, running a check, the report mail."""

from codecheck.services.check_tasks import (
    CODE_CHECK_KIND,
    CodeCheckParamsSerializer,
    check_tasks_cancel,
    codecheck_sweep,
    codefile_request_check,
)
from codecheck.services.checks import code_check_run
from codecheck.services.file_rules import refuse_if_deleted
from codecheck.services.report_mail import check_notify_again, check_report_mail
from codecheck.services.uploads import (
    codefile_create,
    codefile_delete,
    codefile_overwrite,
    codefiles_erase_owner,
)

__all__ = [
    "CODE_CHECK_KIND",
    "CodeCheckParamsSerializer",
    "check_notify_again",
    "check_report_mail",
    "check_tasks_cancel",
    "code_check_run",
    "codecheck_sweep",
    "codefile_create",
    "codefile_delete",
    "codefile_overwrite",
    "codefile_request_check",
    "codefiles_erase_owner",
    "refuse_if_deleted",
]
