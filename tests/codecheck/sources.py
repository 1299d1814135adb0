"""Sample sources and upload builders shared by the code-check tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

# Three issues: F401 (unused import), E225 (x=1), E302 (def after one blank line).
DIRTY = "import os\nx=1\n\ndef f(a):\n    return a\n"
# The same file with the import removed (fixed F401), E225 still there but one line up,
# E302 still there, and a new E231 (missing whitespace after ',').
DIRTY_V2 = "x=1\n\ndef f(a):\n    return [a,a]\n"
CLEAN = 'def f(a):\n    """Return a."""\n    return a\n'
SYNTAX_ERROR = "def f(:\n    pass\n"


def py_upload(content: str | bytes = DIRTY, name: str = "example.py") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/x-python")


def run_checks() -> int:
    """Run every queued code-check task here, through its actor's code, as a worker would.

    The tests' transactions never commit, so the after-commit messages are never sent:
    this stands in for the broker. Returns how many tasks ran.
    """
    from actors.codecheck import code_check_task
    from tasks_api.models import Task

    queued = Task.objects.filter(kind="code_check", status="queued").order_by("created_at")
    task_ids = [str(task_id) for task_id in queued.values_list("id", flat=True)]
    for task_id in task_ids:
        code_check_task(task_id)
    return len(task_ids)


def sweep_and_check() -> int:
    """One sweep, then its checks; returns how many check tasks the sweep created."""
    from codecheck.services import codecheck_sweep

    created = codecheck_sweep()
    run_checks()
    return created
