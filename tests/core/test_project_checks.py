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
            if method in {"post", "put", "patch"} and not path.endswith(("/cancel/", "/check/")):
                assert "requestBody" in operation, f"{method} {path} documents no request body"
