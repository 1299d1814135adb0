from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import ApplicationError
from core.parsers import JSONParser
from core.schema import error_response
from images import examples, selectors, services
from images.cache import image_cache_get_or_build
from images.filters import ImageFilter
from images.models import Image
from images.parsers import ImageUploadParser
from images.serializers import ImageCreateSerializer, ImageSerializer, ImageUpdateSerializer

# Room for the multipart boundaries, headers and the name and tags fields.
MULTIPART_OVERHEAD = 64 * 1024


@extend_schema_view(
    list=extend_schema(
        summary="List your images, newest first",
        description=(
            "Filter by `tag` (any case) or `search` (part of the name). Each image lists its "
            "renditions once they are made, with the URL to download each."
        ),
        examples=examples.IMAGES,
    ),
    retrieve=extend_schema(
        summary="An image: its metadata, status and renditions",
        description=(
            "`status` is `processing` until the worker has made the renditions, then `ready` (or "
            "`failed`, with `error`). Reads are cached and invalidated on every change."
        ),
        examples=examples.IMAGE,
    ),
    destroy=extend_schema(
        summary="Delete an image",
        description="The row, the original and every rendition go; an `image.deleted` event goes out.",
    ),
)
class ImageViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's images. Reads are cached per owner and invalidated on every change."""

    serializer_class = ImageSerializer
    filterset_class = ImageFilter
    queryset = Image.objects.none()

    # DRF reads it as an attribute; a property answers per route.
    @property
    def parser_classes(self) -> list[type[BaseParser]]:  # type: ignore[override]
        # One content type per call: the upload (POST on the list) is multipart, a change of
        # name or tags (PUT or PATCH on an image) is JSON. Keyed on the route, not the action,
        # because the browsable API reads this on the page's own view to pick each form.
        return [JSONParser] if self.detail else [ImageUploadParser]

    def get_serializer_class(self):
        # The browsable API builds its POST and PUT forms from this: offer the right fields.
        method = self.request.method if self.request is not None else "GET"
        if method == "POST":
            return ImageCreateSerializer
        if method in ("PUT", "PATCH"):
            return ImageUpdateSerializer
        return ImageSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Image.objects.none()
        return selectors.image_list(owner=self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        # The page links are absolute, so the host is part of what the answer depends on.
        query = urlencode(sorted(request.query_params.lists()), doseq=True)
        digest = hashlib.sha256(f"{request.get_host()}?{query}".encode()).hexdigest()
        data = image_cache_get_or_build(
            owner_id=request.user.id,
            key=f"list:{digest}",
            build=lambda: super(ImageViewSet, self).list(request, *args, **kwargs).data,
        )
        return Response(data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        data = image_cache_get_or_build(
            owner_id=request.user.id,
            key=f"detail:{kwargs['pk']}",
            build=lambda: ImageSerializer(self.get_object()).data,
        )
        return Response(data)

    @extend_schema(
        summary="Upload an image",
        request=ImageCreateSerializer,
        responses={
            201: ImageSerializer,
            400: error_response("Not an image, an empty file or too many pixels.", fields=True),
            413: error_response("The file is larger than IMAGE_MAX_BYTES."),
        },
        examples=examples.UPLOAD,
        description=(
            "Upload an image. It answers 201 with `status: processing`; a worker then makes the "
            "renditions (follow `task` in /api/tasks/). Not an image: 400; over IMAGE_MAX_BYTES: 413; "
            "over IMAGE_MAX_PIXELS: 400."
        ),
    )
    def create(self, request: Request) -> Response:
        # Refuse an oversized body before it is parsed (the web server's MAX_REQUEST_BYTES
        # already stopped anything larger from being read); the service checks the file's
        # own size, since the body also carries the form around it.
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.IMAGE_MAX_BYTES + MULTIPART_OVERHEAD:
            raise ApplicationError(
                f"Images may be at most {settings.IMAGE_MAX_BYTES:,} bytes.",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer = ImageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.image_create(owner=request.user, **serializer.validated_data)
        return Response(
            ImageSerializer(image).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/images/{image.id}/"},
        )

    @extend_schema(
        summary="Replace an image's name and tags",
        description="`name` is required; tags left out are removed. The file itself cannot change.",
        request=ImageUpdateSerializer,
        responses={200: ImageSerializer},
        examples=examples.CHANGE,
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        image = self.get_object()
        serializer = ImageUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        # PUT replaces both fields: no tags given means no tags.
        tags = serializer.validated_data.get("tags", None if partial else [])
        image = services.image_update(image=image, name=serializer.validated_data.get("name"), tags=tags)
        return Response(ImageSerializer(image).data)

    @extend_schema(
        summary="Change an image's name or tags",
        description="Only what is sent changes; `tags`, when sent, replace the image's tags.",
        request=ImageUpdateSerializer,
        responses={200: ImageSerializer},
        examples=examples.PARTIAL_CHANGE,
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: Image) -> None:
        services.image_delete(image=instance)
