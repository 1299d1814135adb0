"""Reads of images, always scoped to their owner."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from core.models import User
from images.models import Image


def image_list(*, owner: User) -> QuerySet[Image]:
    return Image.objects.filter(owner=owner).prefetch_related("tags")


async def image_get_for_download(*, owner: User, image_id: UUID) -> Image | None:
    """The owner's image or None: another user's image does not exist for this caller."""
    return await Image.objects.filter(owner=owner, id=image_id).afirst()
