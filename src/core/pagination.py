"""The API's pagination: DRF's page numbers."""

from __future__ import annotations

from typing import Any

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, whose schema examples describe a page of this API.

    drf-spectacular wraps each list example in these values: one result on the first and
    only page, rather than DRF's stock "123 accounts at api.example.org".
    """

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer = super().get_paginated_response_schema(schema)
        fields = answer["properties"]
        fields["count"]["example"] = 1
        fields["next"]["example"] = None
        fields["previous"]["example"] = None
        return answer
