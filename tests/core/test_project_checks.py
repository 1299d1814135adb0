"""Project-wide checks that CI also runs through `make lint`, kept here as tests too."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_openapi_schema_validates_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "openapi: 3" in out.getvalue()


def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_schema_documents_every_api_route_with_request_and_response(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), f"{method} {path} has no success response"
            if method in {"post", "put", "patch"} and not path.endswith(("/cancel/", "/check/", "/retry/")):
                assert "requestBody" in operation, f"{method} {path} documents no request body"


def test_schema_documents_the_error_answers_with_their_shape(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    open_calls = {"/api/auth/register/", "/api/auth/token/", "/api/auth/token/refresh/"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses, call = operation["responses"], f"{method} {path}"
            errors = {code: answer for code, answer in responses.items() if code >= "400"}
            assert "429" in errors, call
            if path not in open_calls:
                assert "401" in errors, call
            if "{id}" in path:
                assert "404" in errors, call
            if "requestBody" in operation:
                assert "400" in errors, call
            for code, answer in errors.items():
                assert "$ref" in answer["content"]["application/json"]["schema"], f"{call} {code}"
    assert "409" in schema["paths"]["/api/tasks/{id}/cancel/"]["post"]["responses"]
    assert "413" in schema["paths"]["/api/images/"]["post"]["responses"]
    token = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert {"200", "401"} <= token.keys()
