"""Base for the serializers that validate a task kind's params."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ParamsSerializer(serializers.Serializer):
    """Params are a closed set: an unknown key is an error, not something silently ignored."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Unknown parameter for this kind."] for key in unknown}
                )
        return super().to_internal_value(data)
