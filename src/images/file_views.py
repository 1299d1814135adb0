"""`GET /api/images/{id}/file/?rendition=`: an async view that streams an image's bytes.

Async so a slow download holds no worker thread: storage reads run in a thread pool one
chunk at a time. DRF has no async views, so authentication (JWT first, then the session)
and the error answers follow the API's shape by hand.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core.async_auth import user_or_401
from core.storage import FileChunks
from images.imaging import rendition_names
from images.models import Image, ImageStatus
from images.selectors import image_get_for_download
from images.storage import image_file_presigned_url, image_file_stream

ORIGINAL = "original"
CHUNK_SIZE = 64 * 1024


def _next_chunk(chunks: FileChunks) -> bytes:
    return next(chunks, b"")


async def _chunks(chunks: FileChunks) -> AsyncIterator[bytes]:
    """Each chunk read in the thread pool; the file is closed however the download ends."""
    try:
        while chunk := await sync_to_async(_next_chunk, thread_sensitive=False)(chunks):
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=False)()


def _rendition_choices(image: Image) -> list[str]:
    """The original and the renditions this image has, whatever the setting says now.

    An image not ready yet (processing, or failed) takes the configured names too, so
    asking for one answers 404 "not ready" rather than 400.
    """
    names = [ORIGINAL, *(rendition["name"] for rendition in image.renditions)]
    if image.status != ImageStatus.READY:
        names += [name for name in rendition_names(settings.IMAGE_RENDITION_SIZES) if name not in names]
    return names


@require_safe
async def image_file(request: HttpRequest, pk: UUID) -> HttpResponseBase:
    user = await user_or_401(request)
    if isinstance(user, JsonResponse):
        return user
    image = await image_get_for_download(owner=user, image_id=pk)
    if image is None:
        return JsonResponse({"detail": "No image with this id."}, status=404)
    wanted = request.GET.get("rendition") or ORIGINAL
    names = _rendition_choices(image)
    if wanted not in names:
        return JsonResponse(
            {"rendition": [f"Unknown rendition {wanted!r}. Choose one of: {', '.join(names)}."]}, status=400
        )
    if wanted == ORIGINAL:
        path = image.file.name
    else:
        rendition = image.rendition(wanted)
        if rendition is None:
            return JsonResponse(
                {"detail": f"The {wanted} rendition is not ready (the image is {image.status})."}, status=404
            )
        path = rendition["path"]
    filename = f"{wanted}.{path.rsplit('.', 1)[-1]}"
    if settings.S3_PRESIGNED_SECONDS:
        url = await sync_to_async(image_file_presigned_url, thread_sensitive=False)(
            name=path, filename=filename, seconds=settings.S3_PRESIGNED_SECONDS
        )
        if url is not None:
            # The URL expires: a cached redirect would soon point at a refusal.
            return HttpResponseRedirect(url, headers={"Cache-Control": "no-store"})
    try:
        size, chunks = await sync_to_async(image_file_stream, thread_sensitive=False)(
            name=path, chunk_size=CHUNK_SIZE
        )
    except FileNotFoundError:
        return JsonResponse({"detail": "The file is missing from storage."}, status=404)
    response = StreamingHttpResponse(
        _chunks(chunks), content_type=mimetypes.guess_type(path)[0] or "application/octet-stream"
    )
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response
