"""The events endpoints fuzzed from the OpenAPI document against real objects: the path
parameters point at an existing event, registration, ride, seat, session and festival, so
that the generated bodies reach the services (tests/api/test_fuzz.py mostly meets 404s).
Whatever is sent, as an admin or anonymously, the answer is never a server error."""

# The events fixtures (clock, make_event...) are imported from tests/events/conftest.py.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings

from tests.api.test_fuzz import _keep_the_test_connection  # noqa: F401 (fixture)
from tests.events.conftest import _english_messages, at, clock_at, make_event  # noqa: F401
from tiers.accounts.models import ApiToken
from tiers.events import registrations, rides
from tiers.events.models import Festival, Session
from tiers.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"/(events|registrations|rides|ride-seats|sessions|festivals)"
)

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def scene(_keep_the_test_connection, make_event, admin, member_a, make_user, network,
          monkeypatch, settings) -> dict:  # fmt: skip
    settings.EVENT_REGISTRATION_RATE_LIMIT = 10**6
    cache.clear()
    festival = Festival.objects.create(
        network=network, name="Quinzaine", slug="quinzaine",
        start_date=dt.date(2026, 3, 20), end_date=dt.date(2026, 4, 5),
    )  # fmt: skip
    event = make_event(
        "Forum", start=at(24, 9), end=at(24, 18), registration_open=True, capacity=3,
        festival=festival, questions=[{"label": "Q", "required": False}],
    )  # fmt: skip
    session = Session.objects.create(event=event, title="S", start=at(24, 10), end=at(24, 11))
    registration = registrations.register(event=event, name="M", email="", user=member_a)
    driver = make_user("Driver")
    ride = rides.ride_create(
        event=event, participant=rides.participant_for_user(driver, event), kind="offer",
        from_town="Redon", departure_at=at(24, 8), seats=3,
    )  # fmt: skip
    seat = rides.seat_request(ride=ride, participant=rides.participant_for_user(member_a, event))
    return {
        "ids": {
            "event_id": event.pk, "session_id": session.pk, "registration_id": registration.pk,
            "ride_id": ride.pk, "seat_id": seat.pk, "slug": festival.slug,
        },
        "token": ApiToken.issue(user=admin, name="fuzz")[1],
    }  # fmt: skip


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
