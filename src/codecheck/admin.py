from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from codecheck import services
from codecheck.models import Check, CodeFile
from core.admin_actions import apply_to_each


@admin.register(CodeFile)
class CodeFileAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "status", "version", "size", "updated_at"]
    list_filter = ["status", "updated_at"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    readonly_fields = [
        "owner",
        "name",
        "content",
        "size",
        "status",
        "version",
        "uploaded_at",
        "updated_at",
    ]
    actions = ["recheck", "mark_deleted"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # files come through the API or the site, which validate them

    def has_delete_permission(self, request: HttpRequest, obj: CodeFile | None = None) -> bool:
        return False  # a deleted file keeps its row and its check history: see mark_deleted

    @admin.action(description="Delete the selected files (their check history stays)")
    def mark_deleted(self, request: HttpRequest, queryset: QuerySet[CodeFile]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            service=lambda code_file: services.codefile_delete(code_file=code_file),
            label=lambda code_file: code_file.name,
            done="Deleted {count} file(s).",
        )

    @admin.action(description="Check the selected files again now")
    def recheck(self, request: HttpRequest, queryset: QuerySet[CodeFile]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            service=lambda code_file: services.codefile_request_check(code_file=code_file),
            label=lambda code_file: code_file.name,
            done="Queued a check of {count} file(s).",
        )


@admin.register(Check)
class CheckAdmin(admin.ModelAdmin):
    list_display = ["id", "file_name", "version", "result", "issue_count", "new_issues", "fixed_issues"]
    list_display += ["email_sent", "finished_at"]
    list_filter = ["result", "email_sent", "finished_at"]
    search_fields = ["file_name", "file__owner__email"]
    list_select_related = ["file"]
    exclude = ["fingerprints"]
    readonly_fields = [
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
        "task",
        "email_sent",
        "email_sent_at",
    ]

    actions = ["notify_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Check]:
        # The change list shows no issues: a check may hold CODECHECK_MAX_ISSUES of them.
        queryset = super().get_queryset(request)
        return queryset if request.resolver_match.url_name.endswith("_change") else queryset.defer("issues")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # checks are written by their tasks

    def has_delete_permission(self, request: HttpRequest, obj: Check | None = None) -> bool:
        return False  # the report keeps every check

    @admin.action(description="Send the report mail of the selected checks again")
    def notify_again(self, request: HttpRequest, queryset: QuerySet[Check]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            service=lambda check: services.check_notify_again(check=check),
            label=lambda check: f"{check.file_name} (check {check.id})",
            done="Queued the report mail of {count} check(s).",
        )
