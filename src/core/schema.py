"""OpenAPI: the error answers every operation can give, added where a view did not say more.

DRF's errors have two shapes: `{"detail": "..."}` and field errors (`{"field": ["..."]}`).
Rather than repeat the same 400/401/404/429 on every view, this hook adds them by rule:
a body can be invalid, a secured call can lack a valid token, a path with an id can name
nothing of the caller's, and every API call is throttled. Answers a view documents itself
(a 409, a 413, a more precise 400) are kept as they are. An error answer without examples
gets a typical one, so every answer in the schema shows what it looks like.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse

ERROR = "Error"
FIELD_ERRORS = "FieldErrors"
SCHEMAS = {
    ERROR: {
        "type": "object",
        "properties": {"detail": {"type": "string", "description": "What went wrong, for a person."}},
        "required": ["detail"],
    },
    FIELD_ERRORS: {
        "type": "object",
        "description": (
            "The fields that were refused, each with its messages (nested objects for nested "
            "fields), or a `detail` when the refusal is about the request as a whole."
        ),
        "additionalProperties": {},
    },
}


# A typical body for each error answer that no view gave an example of.
TYPICAL_ERRORS: dict[str, dict[str, Any]] = {
    "400": {"field": ["This field is required."]},
    "401": {"detail": "Authentication credentials were not provided."},
    "403": {"detail": "You do not have permission to perform this action."},
    "404": {"detail": "Not found."},
    "429": {"detail": "Request was throttled. Expected available in 42 seconds."},
}


def error_response(description: str, *, fields: bool = False) -> OpenApiResponse:
    """An error answer a view documents itself, in the API's error shape.

    Examples for it come from the view's `OpenApiExample`s with its status code.
    """
    return OpenApiResponse({"$ref": f"#/components/schemas/{FIELD_ERRORS if fields else ERROR}"}, description)


def _typical_example(status: str, answer: dict[str, Any]) -> dict[str, Any]:
    value = TYPICAL_ERRORS.get(status) or {"detail": answer.get("description") or "The request was refused."}
    return {"typical": {"summary": "Typical answer", "value": value}}


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _is_secured(operation: dict[str, Any]) -> bool:
    security = operation.get("security") or []
    return bool(security) and {} not in security


def document_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook; runs last, after the other hooks."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in {"post", "put"} and "requestBody" in operation:
                # Such a body is never optional here. drf-spectacular cannot tell for a oneOf
                # (the task submission), and a generated client would then let it be left out.
                operation["requestBody"]["required"] = True
            responses = operation.setdefault("responses", {})
            queries = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            if "requestBody" in operation:
                responses.setdefault("400", _answer("The body was refused: see the messages.", FIELD_ERRORS))
            if queries - {"page"}:
                responses.setdefault("400", _answer("A query parameter was refused.", FIELD_ERRORS))
            if "page" in queries:
                responses.setdefault("404", _answer("No such page.", ERROR))
            if _is_secured(operation):
                responses.setdefault("401", _answer("No token, or an expired or forged one.", ERROR))
            if "{" in path:
                responses.setdefault("404", _answer("No such object among the caller's.", ERROR))
            responses.setdefault("429", _answer("Too many requests: wait the seconds it says.", ERROR))
            for status, answer in responses.items():
                if not (status.isdigit() and int(status) >= 400):
                    continue
                # A view's bare OpenApiResponse(description=...) for an error gets the shape.
                if "content" not in answer:
                    answer["content"] = _answer("", FIELD_ERRORS if status == "400" else ERROR)["content"]
                for media in answer["content"].values():
                    media.setdefault("examples", _typical_example(status, answer))
    return result
