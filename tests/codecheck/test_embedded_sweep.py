"""`manage.py sweep_codecheck` on the embedded default (in-process broker, SQLite).

The command's broker lives and dies with the command, so the report mails it queues must be
sent before it exits; this runs it as a separate process, as a person would.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

EMBEDDED_VARS = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "EMAIL_URL", "MEDIA_ROOT")

SETUP = """
from django.core.files.uploadedfile import SimpleUploadedFile
from core.models import User
from codecheck.services import codefile_create
user = User.objects.create_user(email="embedded@example.com", password="x")
codefile_create(owner=user, upload=SimpleUploadedFile("style.py", b"import os\\nx=1\\n"))
"""

READ_BACK = """
from codecheck.models import Check
check = Check.objects.get()
print("RESULT", check.result, check.email_sent)
"""


def test_sweep_command_mails_reports_before_it_exits(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in EMBEDDED_VARS}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=str(tmp_path), LOG_FORMAT="plain"
    )

    def manage(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result

    manage("migrate", "--noinput", "-v0")
    manage("shell", "-c", SETUP)
    sweep = manage("sweep_codecheck")
    assert "Queued a check of 1 file(s)." in sweep.stdout
    assert "To: embedded@example.com" in sweep.stderr  # the console backend logged the mail
    assert "report for style.py emailed to embedded@example.com" in sweep.stderr
    assert "RESULT failed True" in manage("shell", "-c", READ_BACK).stdout
