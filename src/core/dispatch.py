"""Send work to Dramatiq actors by name, once the surrounding transaction commits.

Domain apps never import the `actors` package: they name the actor and this helper looks
it up in the broker when the transaction has committed, so an actor never starts before
the row it works on exists.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import dramatiq
from django.db import transaction

logger = logging.getLogger(__name__)


def send_actor(actor_name: str, /, *args: Any, delay_ms: int | None = None, **kwargs: Any) -> None:
    """Enqueue now. Use `enqueue_on_commit` from code that writes rows."""
    actor = dramatiq.get_broker().get_actor(actor_name)
    actor.send_with_options(args=args, kwargs=kwargs, delay=delay_ms)
    logger.debug("enqueued %s", actor_name, extra={"actor": actor_name})


def enqueue_on_commit(actor_name: str, /, *args: Any, **kwargs: Any) -> None:
    # robust: a broker outage after commit is logged, not turned into a 500 for a request
    # whose row is already saved; the row can be re-queued (admin action) once it is back.
    transaction.on_commit(partial(send_actor, actor_name, *args, **kwargs), robust=True)
