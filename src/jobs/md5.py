"""The `md5` kind: the MD5 of the body at a URL, streamed in constant memory, optionally mailed.

The body is hashed chunk by chunk as it arrives and never stored, so memory stays flat
whatever its size; MD5_MAX_BYTES and the timeouts bound the rest. Fetching, with its
address checks and redirects, is jobs.urlfetch.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from dramatiq.middleware import TimeLimitExceeded
from rest_framework import serializers

from jobs.urlfetch import body_chunks, open_url, resolve_checked
from tasks_api.email_once import EmailRefused, task_email_once
from tasks_api.models import Task
from tasks_api.params import ParamsSerializer
from tasks_api.runs import raise_if_stopped
from tasks_api.services import (
    PermanentTaskError,
    TransientTaskError,
    failure_reason,
    task_set_progress,
)

logger = logging.getLogger(__name__)

# Progress is written every this long while the body flows, and as soon as the server
# pauses (jobs.urlfetch.body_chunks): a slow body moves twice a second, a stalled one shows
# where it stopped, and a body that comes in one go costs no write at all.
PROGRESS_INTERVAL_SECONDS = 0.5
MIB = 1024 * 1024


class Md5ParamsSerializer(ParamsSerializer):
    url = serializers.URLField(max_length=2048, help_text="An http or https URL to fetch and hash.")
    email = serializers.EmailField(required=False, help_text="Mail the result (or the failure) here.")

    def validate_url(self, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme.lower() not in {"http", "https"}:
            raise serializers.ValidationError("Only http and https URLs are accepted.")
        # Resolved and checked now, so a refused host is a 400 at once; the worker resolves
        # and checks again before it connects (the answer may have changed since).
        try:
            resolve_checked(value)
        except (PermanentTaskError, TransientTaskError) as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


def _too_big() -> PermanentTaskError:
    return PermanentTaskError(f"The body is larger than the limit of {settings.MD5_MAX_BYTES} bytes.")


def _step(size: int, length: int | None) -> int:
    """How far the hashing is: a percent when the length is known, else MiB hashed."""
    return 100 * size // length if length else size // MIB


class _ProgressWriter:
    """Writes how far a task's hashing is to its row, when it moved since the last write."""

    def __init__(self, task_id: UUID | None, length: int | None) -> None:
        self.task_id, self.length = task_id, length
        self.size, self.reported = 0, 0
        self.written_at = time.monotonic()

    def hashed(self, size: int) -> None:
        self.size = size
        if time.monotonic() - self.written_at >= PROGRESS_INTERVAL_SECONDS:
            self.write()

    def write(self) -> None:
        step = _step(self.size, self.length)
        if self.task_id is None or step <= self.reported:
            return
        self.reported, self.written_at = step, time.monotonic()
        percent = min(step, 99) if self.length else 0
        task_set_progress(task_id=self.task_id, progress=percent, message=_hashed(self.size, self.length))


def _hashed(size: int, length: int | None) -> str:
    """The progress message: "hashed 312 of 1024 MiB", or "hashed 312 MiB" without a length."""
    return f"hashed {_mib(size)} of {_mib(length)} MiB" if length else f"hashed {_mib(size)} MiB"


def _mib(size: int) -> str:
    return f"{size / MIB:.0f}" if size >= 10 * MIB else f"{size / MIB:.1f}"


def md5_of_url(*, url: str, task_id: UUID | None = None) -> dict[str, Any]:
    """Stream the body at `url` into MD5; `{md5, size, url}`. Raises task errors on failure."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with open_url(url) as response:
        declared = response.headers.get("Content-Length", "")
        length = int(declared) if declared.isdigit() else None
        if length is not None and length > settings.MD5_MAX_BYTES:
            raise _too_big()
        progress = _ProgressWriter(task_id, length)
        for chunk in body_chunks(response, url, on_pause=progress.write):
            size += len(chunk)
            if size > settings.MD5_MAX_BYTES:
                raise _too_big()
            digest.update(chunk)
            raise_if_stopped()
            progress.hashed(size)
    return {"md5": digest.hexdigest(), "size": size, "url": url}


def _mail_failure(task: Task, email: str, reason: str) -> None:
    """Best effort: the task fails with `reason` whether or not this mail goes out."""
    url = task.params["url"]
    try:
        task_email_once(
            task=task,
            to=email,
            subject=f"MD5 of {url} failed",
            body=f"The MD5 of {url} could not be computed.\n\nReason: {reason}\n",
        )
    except (EmailRefused, TransientTaskError) as exc:
        logger.warning("failure email not sent", extra={"task_id": str(task.id), "error": str(exc)})


def _hash_of_an_earlier_attempt(task: Task) -> dict[str, Any] | None:
    """The hash an earlier attempt computed before the mail server failed it (see md5_run)."""
    result = task.result if isinstance(task.result, dict) else {}
    return result if {"md5", "size", "url"} <= result.keys() else None


def md5_run(task: Task, *, can_retry: bool) -> dict[str, Any]:
    """Hash the task's URL and, with `email`, mail the outcome once.

    When the hash is known but the mail server cannot be reached, the hash is kept on the
    row and the task retried for the mail alone: the body is not fetched again. Once no
    retry is left the task succeeds with the hash, `emailed` false and the reason.
    """
    url, email = task.params["url"], task.params.get("email")
    try:
        result = _hash_of_an_earlier_attempt(task) or md5_of_url(url=url, task_id=task.id)
    except TransientTaskError as exc:
        if email and not can_retry:
            _mail_failure(task, email, str(exc))
        raise
    except PermanentTaskError as exc:
        if email:
            _mail_failure(task, email, str(exc))
        raise
    except (Exception, TimeLimitExceeded) as exc:
        # The task fails now (task_execute says so on the row): the mail says so too.
        if email:
            _mail_failure(task, email, failure_reason(exc))
        raise
    if email:
        try:
            result["emailed"] = task_email_once(
                task=task,
                to=email,
                subject=f"MD5 of {url}: {result['md5']} ({result['size']:,} bytes)",
                body=f"URL: {url}\nMD5: {result['md5']}\nSize: {result['size']} bytes\n",
            )
        except EmailRefused as exc:
            result.update(emailed=False, email_error=str(exc))
        except TransientTaskError as exc:
            if can_retry:
                Task.objects.filter(id=task.id).update(result=result)
                raise
            result.update(emailed=False, email_error=str(exc))
    return result
