"""Deleting an account: every app removes what the user owns through its own services.

core knows no domain app (SPEC §1), so each app registers its cleanup here from its
AppConfig.ready(); `user_delete` runs them all, then deletes the user, in one transaction.
What a cleanup leaves for after the commit (files, events) goes once the deletion commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from core.models import User

logger = logging.getLogger(__name__)

AccountCleanup = Callable[[User], object]
_cleanups: dict[str, AccountCleanup] = {}


def account_cleanup_register(name: str, cleanup: AccountCleanup) -> None:
    """Run `cleanup(user)` whenever an account is deleted, before the user row goes."""
    _cleanups[name] = cleanup


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the user and everything they own, each app's part through its services."""
    user = User.objects.select_for_update().get(id=user.id)
    for name, cleanup in _cleanups.items():
        cleanup(user)
        logger.info("account cleanup done", extra={"user_id": user.id, "cleanup": name})
    user_id = user.id
    user.delete()
    logger.info("account deleted", extra={"user_id": user_id})
