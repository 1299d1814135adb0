from __future__ import annotations

import django_filters

from images.models import Image


class ImageFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(method="filter_tag", help_text="Only images with this tag.")
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", help_text="Only images whose name contains this."
    )

    class Meta:
        model = Image
        fields = ["tag", "search"]

    def filter_tag(self, queryset, name: str, value: str):
        # Tags are stored lower-case (images.serializers.TagsField).
        return queryset.filter(tags__name=value.strip().lower()).distinct()
