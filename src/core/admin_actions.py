"""Admin actions that run a service on each selected row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.contrib import admin, messages
from django.http import HttpRequest

from core.exceptions import ApplicationError

T = TypeVar("T")


def apply_to_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[T],
    *,
    service: Callable[[T], object],
    label: Callable[[T], str],
    done: str,
) -> None:
    """Call `service` on each object; say which were refused and why, then how many were done.

    `done` is a message with `{count}`, shown when at least one object went through.
    """
    count = 0
    for obj in objects:
        try:
            service(obj)
        except ApplicationError as exc:
            model_admin.message_user(request, f"{label(obj)}: {exc.message}", messages.WARNING)
        else:
            count += 1
    if count:
        model_admin.message_user(request, done.format(count=count), messages.SUCCESS)
