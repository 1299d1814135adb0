"""What every task actor shares: retry policy and the question "may I still retry?"."""

from __future__ import annotations

from dramatiq.middleware import CurrentMessage

from tasks_api.services import is_database_error

MAX_RETRIES = 5


def retry_when(retries: int, exception: BaseException) -> bool:
    """Retry transient failures a few times, and a database outage until the database is back.

    A message that used up its retries while the database was away would leave its row
    behind for good; with the backoff capped at a minute, waiting costs nothing.
    """
    return is_database_error(exception) or retries < MAX_RETRIES


# Transient failures are retried with exponential backoff between these bounds; anything
# else fails the task at once (see tasks_api.services.execute.task_execute). notify_shutdown: a
# stopping worker interrupts its runs, which put their task back for the next start.
TASK_RETRY_OPTIONS = {
    "max_retries": MAX_RETRIES,
    "retry_when": retry_when,
    "min_backoff": 1_000,
    "max_backoff": 60_000,
    "notify_shutdown": True,
}


def can_retry() -> bool:
    """Whether the message being processed has Dramatiq retries left."""
    message = CurrentMessage.get_current_message()
    if message is None:
        return False
    return message.options.get("retries", 0) < MAX_RETRIES
