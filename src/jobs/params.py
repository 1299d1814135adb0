"""The params field the waiting kinds (`sleep`, `sequential`) share."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

MAX_SECONDS = 3600


class SecondsField(serializers.FloatField):
    """A duration of 0..3600 seconds, fractions allowed (SPEC §3).

    The number is kept as sent, so a result that echoes it gives back `2` for `2` and `0.3`
    for `0.3`. A boolean is not a number here (Python's float(True) would make it 1.0), and
    neither are NaN and the infinities (a string "nan" parses as a float, and NaN passes
    every bound check).
    """

    default_error_messages = {"invalid": "A number of seconds is required."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_SECONDS)
        kwargs.setdefault("help_text", f"Seconds, 0 to {MAX_SECONDS}; fractions allowed.")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value if isinstance(value, int) else float(value)

    def to_internal_value(self, data: Any) -> int | float:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return data
        number = super().to_internal_value(data)
        if not math.isfinite(number):
            self.fail("invalid")
        return number
