"""Property-based fuzzing of the API from its own OpenAPI document: whatever a client sends
(random paths, query strings and bodies built from the schema, and deliberately invalid ones),
the answer is never a server error. Writes are sent with an admin's token so that they get past
authentication and reach validation and the services."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tiers.accounts.models import ApiToken
from tiers.places.models import Membership
from tiers.wsgi import application

# The document is served without touching the database, so it can be read at collection.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def _keep_the_test_connection():
    """Called through WSGI, Django closes the database connection after each request, which
    would end the test's transaction; its test client does the same as this."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(
    _keep_the_test_connection, admin, place_a, place_b, network, member_a, make_user
) -> str:
    # Some data for the generated requests to meet (most slugs will not exist: 404s).
    Membership.objects.create(user=make_user("Asker"), place=place_a)
    return ApiToken.issue(user=admin, name="fuzz")[1]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_input_makes_a_server_error(case, admin_token) -> None:
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text
