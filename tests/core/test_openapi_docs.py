"""The served OpenAPI schema documents every operation for a person and for a generator.

These walk the whole schema, so an operation added later is held to the same bar: a summary,
a description, an example of every body it takes and gives, and exactly one content type
for its request body.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.django_db

MULTIPART_BODIES = {
    "post /api/images/",
    "post /api/codecheck/files/",
    "put /api/codecheck/files/{id}/",
}


@pytest.fixture
def schema(anon_client) -> dict[str, Any]:
    return anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def operations(schema: dict[str, Any]):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method} {path}", operation


def is_binary(media: dict[str, Any]) -> bool:
    return media.get("schema", {}).get("format") == "binary"


def test_every_operation_has_a_summary_and_a_description(schema):
    lacking = [
        call
        for call, operation in operations(schema)
        if not operation.get("summary", "").strip() or not operation.get("description", "").strip()
    ]
    assert not lacking, f"operations without a summary or a description: {lacking}"


def test_every_body_in_and_out_has_an_example(schema):
    lacking = []
    for call, operation in operations(schema):
        bodies = {"request": operation.get("requestBody", {}).get("content", {})}
        bodies.update(
            {status: answer.get("content", {}) for status, answer in operation["responses"].items()}
        )
        for where, content in bodies.items():
            for media_type, media in content.items():
                if not is_binary(media) and not (media.get("examples") or "example" in media):
                    lacking.append(f"{call} {where} {media_type}")
    assert not lacking, f"bodies without an example: {lacking}"


def test_every_request_body_has_one_content_type_json_or_multipart_for_uploads(schema):
    declared = {
        call: list(operation["requestBody"]["content"])
        for call, operation in operations(schema)
        if "requestBody" in operation
    }
    expected = {
        call: ["multipart/form-data" if call in MULTIPART_BODIES else "application/json"] for call in declared
    }
    assert declared == expected
    assert declared.keys() >= MULTIPART_BODIES


def test_the_download_declares_concrete_image_types_or_octet_stream(schema):
    content = schema["paths"]["/api/images/{id}/file/"]["get"]["responses"]["200"]["content"]
    assert {"image/jpeg", "image/png", "application/octet-stream"} <= content.keys()
    assert all(
        media_type.startswith("image/") and "*" not in media_type
        for media_type in content.keys() - {"application/octet-stream"}
    )


def json_schema(openapi_schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(openapi_schema, list):
        return [json_schema(item) for item in openapi_schema]
    if not isinstance(openapi_schema, dict):
        return openapi_schema
    converted = {key: json_schema(value) for key, value in openapi_schema.items() if key != "nullable"}
    if openapi_schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_every_example_fits_its_schema(schema):
    components = json_schema(schema["components"])
    wrong = []
    for call, operation in operations(schema):
        bodies = {"request": operation.get("requestBody", {}).get("content", {})}
        bodies.update(
            {status: answer.get("content", {}) for status, answer in operation["responses"].items()}
        )
        for where, content in bodies.items():
            for media in content.values():
                validator = Draft202012Validator(
                    {**json_schema(media.get("schema", {})), "components": components}
                )
                for name, example in media.get("examples", {}).items():
                    for error in validator.iter_errors(example["value"]):
                        wrong.append(f"{call} {where} {name}: {error.message} at {list(error.absolute_path)}")
    assert not wrong, "\n".join(wrong)


def test_every_post_or_put_body_is_required(schema):
    optional = [
        call
        for call, operation in operations(schema)
        if call.startswith(("post ", "put "))
        and "requestBody" in operation
        and operation["requestBody"].get("required") is not True
    ]
    assert not optional
