"""Ride sharing through the API: the public list shows no name nor contact; a passenger
asks, the driver accepts, then each sees the other's contact; seats never over-given.

The clock is Monday 23 March 2026, 08:00 in Paris; the event is Tuesday 18:00-20:00."""

# The events fixtures (clock, make_event...) are imported from tests/events/conftest.py.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, error_fields
from tests.events.conftest import (  # noqa: F401 (fixtures)
    _english_messages,
    at,
    clock_at,
    make_event,
)
from tiers.api import events as events_api
from tiers.events.models import Ride, RideSeat


def offer(**extra) -> dict:
    return {
        "kind": "offer", "from_town": "Redon", "from_detail": "Parking de la gare",
        "departure_at": at(24, 16).isoformat(), "seats": 3, "contribution": "shared",
        "contribution_amount": 4.5, "phone": "06 12 34 56 78", "note": "Pas de bagages",
        **extra,
    }  # fmt: skip


def refused(response, status: int, code: str) -> dict:
    problem = assert_problem(response, status, code)
    assert problem["code"] == code
    return problem


@pytest.fixture
def event(make_event):
    return make_event("Forum")


@pytest.fixture
def driver(make_user):
    return make_user("Dora Driver")


@pytest.fixture
def passenger(make_user):
    return make_user("Paul Passenger")


def test_ride_flow(event, api_as, driver, passenger, make_user, manager_b):
    rides_url = f"/api/v1/events/{event.pk}/rides"
    response = api_as(driver).post(rides_url, offer())
    assert response.status_code == 201, response.content
    ride = response.json()
    events_api.RideDetail.model_validate(ride)
    assert (ride["mine"], ride["seats_free"], ride["contribution_amount"]) == (True, 3, 4.5)
    assert ride["from_detail"] == "Parking de la gare"
    one = f"/api/v1/rides/{ride['id']}"

    # everybody sees the public part only: no name, no contact, no meeting point
    listed = api_as(None).get(rides_url)
    assert listed.status_code == 200
    events_api.RideList.model_validate(listed.json())
    text = listed.content.decode()
    for secret in ("Dora", driver.email, "06 12", "Parking"):
        assert secret not in text
    [public] = listed.json()["results"]
    assert (public["from_town"], public["seats_free"], public["mine"]) == ("Redon", 3, False)
    assert public["departure_at"] == "2026-03-24T16:00:00+01:00"
    seen = api_as(passenger).get(one).json()
    assert (seen["driver"], seen["email"], seen["phone"], seen["from_detail"]) == (
        None, None, None, None,
    )  # fmt: skip

    # a passenger asks; the driver sees their first name, not their contact
    response = api_as(passenger).post(f"{one}/seats", {"seats": 2, "message": "Merci !"})
    assert response.status_code == 201, response.content
    seat = response.json()
    assert seat["status"] == "requested"
    refused(api_as(passenger).post(f"{one}/seats", {"seats": 1}), 409, "duplicate")
    refused(api_as(driver).post(f"{one}/seats", {"seats": 1}), 409, "own_ride")
    [asked] = api_as(driver).get(one).json()["passengers"]
    assert (asked["name"], asked["email"]) == ("Paul", None)

    # only the driver accepts; others do not even see the seat
    assert_problem(api_as(manager_b).post(f"/api/v1/ride-seats/{seat['id']}/accept"), 404)
    refused(api_as(passenger).post(f"/api/v1/ride-seats/{seat['id']}/accept"), 403, "not_allowed")
    response = api_as(driver).post(f"/api/v1/ride-seats/{seat['id']}/accept")
    assert response.json()["status"] == "accepted"
    refused(api_as(driver).post(f"/api/v1/ride-seats/{seat['id']}/accept"), 409, "not_pending")

    # now each sees the other's contact
    seen = api_as(passenger).get(one).json()
    assert (seen["driver"], seen["email"], seen["phone"]) == ("Dora", driver.email,
                                                              "06 12 34 56 78")  # fmt: skip
    assert seen["from_detail"] == "Parking de la gare"
    [accepted] = api_as(driver).get(one).json()["passengers"]
    assert accepted["email"] == passenger.email
    assert api_as(None).get(rides_url).json()["results"][0]["seats_free"] == 1

    # seats are never over-given
    late = make_user("Late")
    refused(api_as(late).post(f"{one}/seats", {"seats": 2}), 409, "full")

    # the passenger gives up their seat: free again
    response = api_as(passenger).delete(f"/api/v1/ride-seats/{seat['id']}")
    assert response.json()["status"] == "cancelled"
    assert api_as(None).get(rides_url).json()["results"][0]["seats_free"] == 3

    # only its author withdraws the ride
    refused(api_as(passenger).delete(one), 403, "not_allowed")
    response = api_as(driver).delete(one)
    assert response.json()["status"] == "cancelled"
    assert api_as(None).get(rides_url).json()["results"] == []
    assert Ride.objects.get().status == Ride.Status.CANCELLED


def test_a_driver_proposes_to_someone_looking(event, api_as, driver, passenger):
    rides_url = f"/api/v1/events/{event.pk}/rides"
    wanted = api_as(passenger).post(rides_url, offer(kind="request", seats=1, phone="")).json()
    ride = api_as(driver).post(rides_url, offer()).json()
    detail = api_as(driver).get(f"/api/v1/rides/{ride['id']}").json()
    assert [s["id"] for s in detail["suggestions"]] == [wanted["id"]]
    response = api_as(driver).post(
        f"/api/v1/rides/{ride['id']}/proposals", {"request": wanted["id"]}
    )
    assert response.status_code == 201, response.content
    seat = response.json()
    assert seat["status"] == "proposed"
    refused(api_as(driver).post(f"/api/v1/ride-seats/{seat['id']}/accept"), 403, "not_allowed")
    assert (
        api_as(passenger).post(f"/api/v1/ride-seats/{seat['id']}/accept").json()["status"]
        == "accepted"
    )
    assert RideSeat.objects.get().status == "accepted"
    assert "request" in error_fields(
        api_as(driver).post(f"/api/v1/rides/{ride['id']}/proposals", {"request": 987654})
    )


def test_bad_rides(event, make_event, api_as, driver):
    rides_url = f"/api/v1/events/{event.pk}/rides"
    assert_problem(api_as(None).post(rides_url, offer()), 401)
    past = offer(departure_at=at(22, 16).isoformat())
    assert (
        refused(api_as(driver).post(rides_url, past), 422, "departure_past")["errors"][0]["field"]
        == "departure_at"
    )
    assert "departure_at" in error_fields(
        api_as(driver).post(rides_url, offer(departure_at="2026-03-24T16:00:00"))
    )
    assert "seats" in error_fields(api_as(driver).post(rides_url, offer(seats=9)))
    assert "kind" in error_fields(api_as(driver).post(rides_url, offer(kind="boat")))
    refused(api_as(driver).post(rides_url, offer(phone="call me")), 422, "invalid_phone")
    closed = make_event("Sans covoiturage", rides_enabled=False)
    refused(api_as(driver).post(f"/api/v1/events/{closed.pk}/rides", offer()), 409,
            "rides_disabled")  # fmt: skip
    assert not Ride.objects.exists()
