from __future__ import annotations

import base64
import mimetypes

from django.contrib import admin
from django.core.files.storage import default_storage
from django.utils.html import format_html

from images import services
from images.models import Image, Tag

THUMBNAIL = "100x100"


@admin.display(description="thumbnail")
def thumbnail(image: Image) -> str:
    """The 100x100 rendition inline: the download endpoint is scoped to the owner, staff are not."""
    rendition = image.rendition(THUMBNAIL)
    if rendition is None:
        return "-"
    try:
        with default_storage.open(rendition["path"], "rb") as handle:
            data = base64.b64encode(handle.read()).decode()
    except FileNotFoundError:
        return "missing"
    content_type = mimetypes.guess_type(rendition["path"])[0]
    return format_html('<img src="data:{};base64,{}" alt="" style="max-height:100px">', content_type, data)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [thumbnail, "name", "owner", "status", "resolution", "format", "size", "uploaded_at"]
    list_filter = ["status", "format"]
    search_fields = ["name", "owner__email", "tags__name"]
    list_select_related = ["owner"]
    readonly_fields = [
        thumbnail,
        "id",
        "owner",
        "file",
        "uploaded_at",
        "updated_at",
        "width",
        "height",
        "size",
        "format",
        "extension",
        "mode",
        "status",
        "error",
        "renditions",
        "task",
    ]
    fields = ["name", "tags", *readonly_fields]
    filter_horizontal = ["tags"]

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through the API, which checks the file

    def save_model(self, request, obj: Image, form, change: bool) -> None:
        """Saved in save_related, once the form's tags are known too."""

    def save_related(self, request, form, formsets, change: bool) -> None:
        # Through the service, as the API does: it clears the owner's cached reads and
        # publishes image.updated.
        services.image_update(
            image=form.instance,
            name=form.cleaned_data["name"],
            tags=[tag.name for tag in form.cleaned_data["tags"]],
        )

    def delete_model(self, request, obj: Image) -> None:
        services.image_delete(image=obj)

    def delete_queryset(self, request, queryset) -> None:
        for image in queryset:
            services.image_delete(image=image)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Read-only: tags come from the API (lower-cased and stripped, so `?tag=` finds them)."""

    search_fields = ["name"]

    # A tag is shared by every owner's images: a rename or delete here would have to clear
    # each owner's cache and publish image.updated for each image, so tags are only viewed.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj: Tag | None = None) -> bool:
        return False

    def has_delete_permission(self, request, obj: Tag | None = None) -> bool:
        return False
