"""The image events: `image.created|updated|deleted|processed`, published after commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from core.events import event_publish_on_commit


def image_event_publish(*, event: str, image_id: UUID, owner_id: int, data: dict[str, Any]) -> None:
    """Publish `image.<event>` with the shape of SPEC §3 once the transaction commits."""
    routing_key = f"image.{event}"
    event_publish_on_commit(
        exchange=settings.IMAGE_EVENTS_EXCHANGE,
        routing_key=routing_key,
        payload={
            "event": routing_key,
            "image_id": str(image_id),
            "owner_id": owner_id,
            "occurred_at": timezone.now().isoformat(),
            "data": data,
        },
        sequence_key=f"image:{image_id}",
    )
