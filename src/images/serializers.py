from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from images.models import Image, ImageStatus, Tag

MAX_TAGS = 20
MAX_TAG_LENGTH = Tag._meta.get_field("name").max_length


class TagsField(serializers.ListField):
    """Tags as a list, repeated multipart fields, or one comma-separated value.

    Stored lower-case, stripped and without repeats, so `?tag=` matches however a tag was
    typed.
    """

    child = serializers.CharField(allow_blank=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text", f"Up to {MAX_TAGS} tags; a single value may hold several, comma-separated."
        )
        super().__init__(**kwargs)

    def to_representation(self, data: Any) -> list[str]:
        # An image's tags (a related manager) when a form shows the current values.
        if hasattr(data, "all"):
            return [tag.name for tag in data.all()]
        return super().to_representation(data)

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [data]
        names: list[str] = []
        for value in super().to_internal_value(data):
            for part in value.split(","):
                name = part.strip().lower()
                if len(name) > MAX_TAG_LENGTH:
                    raise serializers.ValidationError(f"A tag may have at most {MAX_TAG_LENGTH} characters.")
                if name and name not in names:
                    names.append(name)
        if len(names) > MAX_TAGS:
            raise serializers.ValidationError(f"At most {MAX_TAGS} tags.")
        return names


# Inline enum: a shared `StatusEnum` component would collide with the tasks' status.
@extend_schema_field({"type": "string", "enum": ImageStatus.values, "readOnly": True})
class ImageStatusField(serializers.CharField):
    pass


@extend_schema_serializer(component_name="ImageRendition")
class RenditionSerializer(serializers.Serializer):
    name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.CharField(help_text="Where to download it (same authentication).")


@extend_schema_serializer(component_name="Image")
class ImageSerializer(serializers.ModelSerializer):
    file_path = serializers.CharField(source="file.name", help_text="The original's path in storage.")
    resolution = serializers.CharField(help_text='"WxH", as displayed.')
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name"
    )
    status = ImageStatusField(help_text="processing, then ready or failed (see error).")
    renditions = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = [
            "id",
            "name",
            "file_path",
            "uploaded_at",
            "resolution",
            "width",
            "height",
            "size",
            "format",
            "mode",
            "tags",
            "status",
            "error",
            "renditions",
            "task",
        ]
        read_only_fields = fields

    @extend_schema_field(RenditionSerializer(many=True))
    def get_renditions(self, image: Image) -> list[dict[str, Any]]:
        url = reverse("images:image-file", kwargs={"pk": image.id})
        return [
            {
                "name": rendition["name"],
                "width": rendition["width"],
                "height": rendition["height"],
                "size": rendition["size"],
                "url": f"{url}?rendition={rendition['name']}",
            }
            for rendition in image.renditions
        ]


@extend_schema_serializer(component_name="ImageUpload")
class ImageCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="JPEG, PNG, WebP, GIF, BMP or TIFF.")
    name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="Default: the file name."
    )
    tags = TagsField(required=False, default=list)


@extend_schema_serializer(component_name="ImageChange")
class ImageUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    tags = TagsField(required=False)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The name may not be blank.")
        return value
