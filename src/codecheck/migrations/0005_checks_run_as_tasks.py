"""Checks run as `code_check` tasks: the file's own claim and the report mail's re-send mark go.

Fingerprints become a count per hashed (code, line text), the same as
codecheck.services.checks._fingerprints computes (kept here as it is now: a migration must
not change with the code). A "check now" waiting when this runs is dropped: ask again.
"""

import hashlib
from collections import Counter

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fingerprints_to_counts(apps, schema_editor):
    Check = apps.get_model("codecheck", "Check")
    for check in Check.objects.only("id", "fingerprints").iterator():
        if isinstance(check.fingerprints, list):
            keys = (
                hashlib.blake2b(f"{code}\0{text}".encode(), digest_size=8).hexdigest()
                for code, text in check.fingerprints
            )
            Check.objects.filter(id=check.id).update(fingerprints=dict(Counter(keys)))


class Migration(migrations.Migration):
    dependencies = [
        ("codecheck", "0004_uploaded_at_set_by_the_upload"),
        ("tasks_api", "0004_task_claimed_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="codefile",
            name="codefile_pending_idx",
        ),
        migrations.RemoveField(
            model_name="check",
            name="notify_sent_at",
        ),
        migrations.RemoveField(
            model_name="codefile",
            name="claim_token",
        ),
        migrations.RemoveField(
            model_name="codefile",
            name="claimed_until",
        ),
        migrations.RemoveField(
            model_name="codefile",
            name="needs_check",
        ),
        migrations.AddField(
            model_name="check",
            name="task",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="code_check",
                to="tasks_api.task",
            ),
        ),
        migrations.AlterField(
            model_name="check",
            name="fingerprints",
            field=models.JSONField(default=dict),
        ),
        migrations.AlterField(
            model_name="check",
            name="issue_count",
            field=models.PositiveIntegerField(help_text="Every issue flake8 reported."),
        ),
        migrations.AlterField(
            model_name="check",
            name="issues",
            field=models.JSONField(
                default=list,
                help_text="[{line, column, code, message}] in file order: the first CODECHECK_MAX_ISSUES of them.",
            ),
        ),
        migrations.AddIndex(
            model_name="codefile",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "updated"))),
                fields=["updated_at"],
                name="codefile_waiting_idx",
            ),
        ),
        migrations.RunPython(fingerprints_to_counts, migrations.RunPython.noop),
    ]
