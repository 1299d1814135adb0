from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from codecheck.models import Check, CodeFile


@extend_schema_serializer(component_name="CodeCheckSummary")
class CheckSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Check
        fields = ["id", "version", "finished_at", "result", "issue_count", "new_issues", "fixed_issues"]
        read_only_fields = fields


@extend_schema_serializer(component_name="CodeFile")
class CodeFileSerializer(serializers.ModelSerializer):
    last_check = serializers.SerializerMethodField(help_text="The newest check, or null before the first.")

    class Meta:
        model = CodeFile
        fields = ["id", "name", "status", "size", "version", "uploaded_at", "updated_at", "last_check"]
        read_only_fields = fields

    @extend_schema_field(CheckSummarySerializer(allow_null=True))
    def get_last_check(self, code_file: CodeFile) -> dict | None:
        checks = getattr(code_file, "last_checks", None)
        if checks is None:  # not prefetched: a freshly written row
            checks = list(code_file.checks.order_by("-finished_at", "-id")[:1])
        return CheckSummarySerializer(checks[0]).data if checks else None


@extend_schema_serializer(component_name="CodeFileUpload")
class CodeFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A Python source file: name ending in .py, UTF-8, at most CODECHECK_MAX_BYTES."
    )


@extend_schema_serializer(component_name="CodeCheckIssue")
class IssueSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.IntegerField()
    code = serializers.CharField(help_text="flake8's code, such as E501 or F401.")
    message = serializers.CharField()


@extend_schema_serializer(component_name="CodeCheck")
class CheckSerializer(serializers.ModelSerializer):
    issues = IssueSerializer(
        many=True,
        read_only=True,
        help_text="The first CODECHECK_MAX_ISSUES (1000) issues in file order; `issue_count` counts them all.",
    )

    class Meta:
        model = Check
        fields = [
            "id",
            "file",
            "file_name",
            "version",
            "started_at",
            "finished_at",
            "result",
            "issue_count",
            "issues",
            "new_issues",
            "fixed_issues",
            "email_sent",
            "email_sent_at",
        ]
        read_only_fields = fields
