from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import ApplicationError
from core.parsers import JSONParser
from images import selectors, services
from images.cache import image_cache_get_or_build
from images.filters import ImageFilter
from images.models import Image
from images.serializers import ImageCreateSerializer, ImageSerializer, ImageUpdateSerializer

# Room for the multipart boundaries, headers and the name and tags fields.
MULTIPART_OVERHEAD = 64 * 1024


class ImageViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's images. Reads are cached per owner and invalidated on every change."""

    serializer_class = ImageSerializer
    filterset_class = ImageFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = Image.objects.none()

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
        request={"multipart/form-data": ImageCreateSerializer},
        responses={
            201: ImageSerializer,
            413: OpenApiResponse(description="The file is larger than IMAGE_MAX_BYTES."),
        },
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

    @extend_schema(request=ImageUpdateSerializer, responses={200: ImageSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        image = self.get_object()
        serializer = ImageUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        # PUT replaces both fields: no tags given means no tags.
        tags = serializer.validated_data.get("tags", None if partial else [])
        image = services.image_update(image=image, name=serializer.validated_data.get("name"), tags=tags)
        return Response(ImageSerializer(image).data)

    @extend_schema(request=ImageUpdateSerializer, responses={200: ImageSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: Image) -> None:
        services.image_delete(image=instance)
