"""The migration to check tasks keeps what new and fixed issues are counted against."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from codecheck import services
from codecheck.models import CodeFile
from tests.codecheck.sources import py_upload, sweep_and_check

BEFORE = [("codecheck", "0004_uploaded_at_set_by_the_upload")]
AFTER = [("codecheck", "0005_checks_run_as_tasks")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_old_fingerprints_still_match_the_issues_of_the_next_check(make_user):
    owner = make_user()
    source = "import os\nx=1\n"
    try:
        migrate(BEFORE)
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        now = timezone.now()
        code_file = old.get_model("codecheck", "CodeFile").objects.create(
            owner_id=owner.id,
            name="old.py",
            content=source,
            size=len(source),
            updated_at=now,
            status="checked",
        )
        old.get_model("codecheck", "Check").objects.create(
            file=code_file,
            version=1,
            started_at=now,
            finished_at=now,
            result="failed",
            issue_count=2,
            issues=[],
            fingerprints=[["F401", "import os"], ["E225", "x=1"]],
            new_issues=2,
            fixed_issues=0,
        )
        migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    code_file = CodeFile.objects.get(name="old.py")
    services.codefile_overwrite(code_file=code_file, upload=py_upload(source + "y=2\n", "old.py"))
    sweep_and_check()
    newest = code_file.checks.order_by("-id").first()
    assert (newest.issue_count, newest.new_issues, newest.fixed_issues) == (3, 1, 0)
