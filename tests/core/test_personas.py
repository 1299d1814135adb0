"""Every secured API call, read from the OpenAPI schema, tried without and with a bad token.

New endpoints are covered as soon as they appear in the schema: none may answer an
anonymous or forged caller with anything but 401 (JWT authentication comes first).
"""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def secured_calls() -> list[tuple[str, str]]:
    from django.test import Client

    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    calls = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if {} in (operation.get("security") or [{}]):
                continue  # open to anyone: register, token, refresh
            [id_schema] = [p["schema"] for p in operation.get("parameters", []) if p["name"] == "id"] or [{}]
            sample_id = str(uuid.uuid4()) if id_schema.get("format") == "uuid" else "1"
            calls.append((method, path.replace("{id}", sample_id)))
    return calls


@pytest.fixture(scope="module")
def calls(django_db_blocker) -> list[tuple[str, str]]:
    with django_db_blocker.unblock():
        return secured_calls()


def test_the_schema_lists_the_secured_calls(calls):
    assert len(calls) >= 20
    assert ("post", "/api/tasks/") in calls


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic b3duZXJAZXhhbXBsZS5jb206eA=="],
    ids=["anonymous", "forged", "wrong-scheme"],
)
def test_every_secured_call_is_401_without_a_valid_token(calls, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    answers = {f"{method} {path}": getattr(client, method)(path).status_code for method, path in calls}
    assert {call: status for call, status in answers.items() if status != 401} == {}
