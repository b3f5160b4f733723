"""Property-based tests of the whole OpenAPI schema with Schemathesis.

Every operation gets generated requests (bounded, so the file runs in well
under a minute); every answer must be below 500 and match the schema: a
documented status code, content type and body. The examples are drawn from a
fixed seed, so a run is repeatable; raise ``max_examples`` and drop
``derandomize`` locally to explore further.
"""

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from medborg.api.models import Scope
from medborg.api.tests.conftest import submit

app = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_connection():
    """Keep the test's transaction: the WSGI handler would close the
    connection after each request, as Django's own test client prevents."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def key_header(make_key, caseworker, public_service, keep_connection):
    """A key with every scope, whose user works on the service's cases, and
    a few cases for the lists to show."""
    submit(public_service)
    submit(public_service, contact_email="")
    raw = make_key(*Scope.values, user=caseworker)
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, key_header):
    case.call_and_validate(headers=key_header, checks=CHECKS)
