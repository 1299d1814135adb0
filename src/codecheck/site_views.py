"""The server-rendered code-check site: the same services as the API, with messages.

The account pages it logs in through are core's (core.account_views).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from periodiq import cron

from codecheck import selectors, services
from codecheck.forms import UploadForm
from core.exceptions import ApplicationError
from core.scheduling import next_run

PAGE_SIZE = 25
# Each check on a file's page shows its stored issues (up to CODECHECK_MAX_ISSUES).
CHECKS_PAGE_SIZE = 5


def _page(request: HttpRequest, rows: QuerySet, size: int = PAGE_SIZE) -> Page:
    return Paginator(rows, size).get_page(request.GET.get("page"))


def _upload_form(request: HttpRequest) -> tuple[UploadForm, bool]:
    """The bound upload form, and whether it holds a file (errors go on the form)."""
    form = UploadForm(request.POST, request.FILES)
    return form, form.is_valid()


def _add_service_errors(request: HttpRequest, form: UploadForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
        for error in errors:
            messages.error(request, error)


@login_required
def files(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    if request.method == "POST":
        form, valid = _upload_form(request)
        if valid:
            try:
                code_file = services.codefile_create(owner=request.user, upload=form.cleaned_data["file"])
            except ValidationError as exc:
                _add_service_errors(request, form, exc)
            else:
                messages.success(request, f"Uploaded {code_file.name}; it will be checked at the next sweep.")
                return redirect("codecheck-site:files")
        else:
            messages.error(request, "Choose a .py file to upload.")
    page = _page(request, selectors.codefile_list(owner=request.user))
    page.object_list = selectors.codefiles_with_check_task(owner=request.user, files=page.object_list)
    context = {"form": form, "page": page, "next_check_at": next_run(cron(settings.CODECHECK_SWEEP_CRON))}
    return render(request, "codecheck/files.html", context, status=400 if form.errors else 200)


def _file_page(request: HttpRequest, code_file, form: UploadForm, status: int = 200) -> HttpResponse:
    checks = selectors.check_list(owner=request.user, file_id=code_file.id)
    [code_file] = selectors.codefiles_with_check_task(owner=request.user, files=[code_file])
    context = {"file": code_file, "page": _page(request, checks, CHECKS_PAGE_SIZE), "form": form}
    return render(request, "codecheck/file_detail.html", context, status=status)


@login_required
def file_detail(request: HttpRequest, file_id: int) -> HttpResponse:
    code_file = selectors.codefile_get(owner=request.user, file_id=file_id)
    return _file_page(request, code_file, UploadForm())


@login_required
@require_POST
def file_overwrite(request: HttpRequest, file_id: int) -> HttpResponse:
    code_file = selectors.codefile_get(owner=request.user, file_id=file_id)
    form, valid = _upload_form(request)
    if not valid:
        messages.error(request, "Choose a .py file to upload.")
        return _file_page(request, code_file, form, status=400)
    try:
        code_file = services.codefile_overwrite(code_file=code_file, upload=form.cleaned_data["file"])
    except ValidationError as exc:
        _add_service_errors(request, form, exc)
        return _file_page(request, code_file, form, status=400)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Overwrote with {code_file.name} (version {code_file.version}); it will be checked again.",
        )
    return redirect("codecheck-site:file", file_id=code_file.id)


@login_required
@require_POST
def file_delete(request: HttpRequest, file_id: int) -> HttpResponse:
    code_file = services.codefile_delete(
        code_file=selectors.codefile_get(owner=request.user, file_id=file_id)
    )
    messages.success(request, f"Deleted {code_file.name}. Its check history stays.")
    return redirect("codecheck-site:files")


@login_required
@require_POST
def file_check(request: HttpRequest, file_id: int) -> HttpResponse:
    code_file = selectors.codefile_get(owner=request.user, file_id=file_id)
    try:
        services.codefile_request_check(code_file=code_file)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A check of {code_file.name} is on its way.")
    return redirect("codecheck-site:file", file_id=code_file.id)


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.check_list(owner=request.user, with_issues=False))
    return render(request, "codecheck/reports.html", {"page": page})
