"""The whole API against its own OpenAPI schema: generated requests, schema-checked answers.

Schemathesis reads /api/schema/ and sends each operation valid and invalid requests built
from it, as the owner of a real token. No call may answer 500, and every answer must be one
the schema documents, in the documented shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from core.wsgi import application
from tests.helpers import client_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def owner_headers(owner) -> dict[str, str]:
    return {"Authorization": client_for(owner)._credentials["HTTP_AUTHORIZATION"]}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_operation_keeps_to_its_schema(case, owner_headers):
    case.call_and_validate(headers=owner_headers, checks=CHECKS)
