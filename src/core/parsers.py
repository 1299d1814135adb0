"""The JSON parser of every API endpoint: bounded in depth.

DRF's own parser lets a RecursionError out of the json module: `[[[...]]]` nested 100,000
times was a 500. Here anything that does not parse (nested too deeply for the decoder
included) is a 400, and so is a body that parses but nests deeper than MAX_JSON_DEPTH (deep
enough that later code, such as `str()` of the value in a field's error, could itself run
out of recursion). The size bound is Django's DATA_UPLOAD_MAX_MEMORY_SIZE, checked when DRF
reads the body, before any parser runs (core.exceptions makes it a 413).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

# No request of this API nests deeper than a few levels; this leaves room for any client.
MAX_JSON_DEPTH = 64


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and objects deeper than `limit` (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(
                stream.read().decode(encoding), parse_constant=strict_constant if self.strict else None
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise ParseError(self._too_deep()) from exc
        if isinstance(data, (dict, list)) and json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(self._too_deep())
        return data

    @staticmethod
    def _too_deep() -> str:
        return f"JSON parse error - lists and objects are nested deeper than {MAX_JSON_DEPTH} levels."
