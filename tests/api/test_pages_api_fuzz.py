"""The pages endpoints fuzzed from the OpenAPI document against a real page: the path
parameters point at an existing page and revision, so that the generated queries and bodies
reach the search and the services (tests/api/test_fuzz.py mostly meets 404s). Whatever is
sent, as an admin or anonymously, the answer is never a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_fuzz import _keep_the_test_connection  # noqa: F401 (fixture)
from tiers.accounts.models import ApiToken
from tiers.commons import services
from tiers.commons.services import PageData
from tiers.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"/pages"
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def scene(_keep_the_test_connection, admin, place_a, network, settings) -> dict:  # noqa: F811
    settings.COMMONS_EDITS_PER_HOUR = 10**6
    page = services.create_page(
        None, PageData(title="Compost", body="Un [[bac]] de compost.", tags=["Jardin"]),
        place=place_a, check=False,
    )  # fmt: skip
    services.create_page(None, PageData(title="Bac", body="Le bac."), check=False)
    return {
        "ids": {"slug": page.slug, "number": 1},
        "token": ApiToken.issue(user=admin, name="fuzz")[1],
    }


def _aim(case, scene: dict) -> None:
    for name in list(case.path_parameters or {}):
        if name in scene["ids"]:
            case.path_parameters[name] = scene["ids"][name]


@schema.parametrize()
@FUZZ
def test_no_input_makes_a_server_error_as_admin(case, scene) -> None:
    _aim(case, scene)
    response = case.call(headers={"Authorization": f"Bearer {scene['token']}"})
    assert response.status_code < 500, response.text


@schema.parametrize()
@FUZZ
def test_no_input_makes_a_server_error_anonymously(case, scene) -> None:
    _aim(case, scene)
    response = case.call()
    assert response.status_code < 500, response.text
