"""An image row deleted by a cascade (its owner deleted in the admin) takes its files along.

Both image_delete and a cascade come through here; without it a cascade, which goes around
the service, would leave the original and its renditions in storage for good.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from images.models import Image
from images.storage import image_files_delete


@receiver(post_delete, sender=Image, dispatch_uid="images.files_follow_the_row")
def files_follow_the_row(sender: type[Image], instance: Image, **kwargs) -> None:
    image_id = instance.id
    transaction.on_commit(lambda: image_files_delete(image_id=image_id), robust=True)
