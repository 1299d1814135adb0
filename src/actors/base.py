"""What every task actor shares: retry policy and the question "may I still retry?"."""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import CurrentMessage

# Transient failures are retried with exponential backoff between these bounds; anything
# else fails the task at once (see tasks_api.services.task_execute).
TASK_RETRY_OPTIONS = {"max_retries": 5, "min_backoff": 1_000, "max_backoff": 60_000}


def can_retry() -> bool:
    """Whether the message being processed has Dramatiq retries left."""
    message = CurrentMessage.get_current_message()
    if message is None:
        return False
    actor = dramatiq.get_broker().get_actor(message.actor_name)
    return message.options.get("retries", 0) < actor.options.get("max_retries", 0)
