"""Dates typed into the events' forms far outside any calendar are refused with a message,
never a server error: the event form, the session form and the ride form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiers.events.models import Event, Ride, Session


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59", "1969-12-31T23:00"])
def test_an_event_far_in_time_is_refused(english_client_for, manager_a, place_a, moment):
    response = english_client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]),
        {"title": "Loin", "kind": "atelier", "audience": "tout-public", "price_mode": "gratuit",
         "status": "published", "start": moment, "end": "2026-03-24T20:00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "This date is out of range." in response.content.decode()
    assert not Event.objects.exists()


def test_a_session_far_in_time_is_refused(english_client_for, manager_a, make_event):
    event = make_event("Forum")
    response = english_client_for(manager_a).post(
        reverse("events:session_create", args=[event.slug]),
        {"title": "Atelier", "start": "0001-01-01T00:00", "end": "2026-03-24T19:00"},
    )
    assert "This date is out of range." in response.content.decode()
    assert not Session.objects.exists()


def test_a_ride_far_in_time_is_refused(english_client_for, member_a, make_event):
    event = make_event("Forum")
    response = english_client_for(member_a).post(
        reverse("events:ride_offer", args=[event.slug]),
        {"from_town": "Rennes", "departure_at": "0001-01-01T00:00", "seats": "2",
         "contribution": "free"},
    )  # fmt: skip
    assert "This date is out of range." in response.content.decode()
    assert not Ride.objects.exists()
