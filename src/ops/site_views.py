"""`/ops/`: the staff dashboard, server-rendered from the same selectors as the ops API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from ops import selectors, services
from ops.queues import queues_stats
from tasks_api.models import Task
from tasks_api.services import task_cancel, task_requeue


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous 401 (with a way to log in), other users 403, as on the ops API."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return render(request, "ops/denied.html", {"login": True}, status=401)
        if not request.user.is_staff:
            return render(request, "ops/denied.html", {"login": False}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        queues, broker_error = queues_stats(), ""
    except ApplicationError as exc:
        queues, broker_error = [], exc.message
    context = {
        "workers": selectors.workers_live(),
        "queues": queues,
        "broker_error": broker_error,
        "activity": selectors.task_activity(),
        "schedules": selectors.schedules_list(),
        "running": selectors.task_running(),
        "failures": selectors.task_recent_failures(),
    }
    return render(request, "ops/dashboard.html", context)


@require_POST
@staff_only
def retry_task(request: HttpRequest, pk: UUID) -> HttpResponse:
    task = get_object_or_404(Task, id=pk)
    try:
        task_requeue(task=task)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Task {task.id} is queued again.")
    return redirect("ops-site:dashboard")


@require_POST
@staff_only
def retry_failed(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    try:
        retried = services.tasks_retry_failed(kind=kind)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Queued again {retried} failed {kind} task(s).")
    return redirect("ops-site:dashboard")


@require_POST
@staff_only
def cancel_task(request: HttpRequest, pk: UUID) -> HttpResponse:
    task = get_object_or_404(Task, id=pk)
    try:
        task_cancel(task=task)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Task {task.id} is cancelled; a running one stops within seconds.")
    return redirect("ops-site:dashboard")
