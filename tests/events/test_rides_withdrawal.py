"""An e-mail-only registrant who cancels their registration loses the link that let them manage
their rides: their offers and requests are withdrawn and their seats given back, each other
side told. Someone with an account keeps theirs."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.events.conftest import at
from tiers.events import registrations, rides
from tiers.events.models import Event, Registration, Ride, RideSeat


@pytest.fixture
def event(make_event) -> Event:
    return make_event("Forum", registration_open=True)


def _confirmed(event: Event, name: str, email: str) -> Registration:
    registration = registrations.register(event=event, name=name, email=email)
    return registrations.confirm_email(registration=registration)


def test_an_email_registrant_who_cancels_withdraws_their_rides(
    event, django_capture_on_commit_callbacks
):
    alice = _confirmed(event, "Alice Martin", "alice@example.org")
    bob = _confirmed(event, "Bob Durand", "bob@example.org")
    driver = rides.participant_for_registration(alice)
    passenger = rides.participant_for_registration(bob)
    offer = rides.ride_create(event, driver, "offer", "Lyon", departure_at=at(24, 16), seats=3)
    seat = rides.seat_request(offer, passenger, 1, "Bonjour")
    rides.seat_decide(seat, driver, True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration=alice)

    offer.refresh_from_db()
    seat.refresh_from_db()
    assert offer.status == Ride.Status.CANCELLED
    assert seat.status == RideSeat.Status.CANCELLED
    assert any("bob@example.org" in message.to for message in mail.outbox)


def test_a_passenger_who_cancels_gives_their_seat_back(event):
    alice = _confirmed(event, "Alice Martin", "alice@example.org")
    bob = _confirmed(event, "Bob Durand", "bob@example.org")
    driver = rides.participant_for_registration(alice)
    offer = rides.ride_create(event, driver, "offer", "Lyon", departure_at=at(24, 16), seats=1)
    seat = rides.seat_request(offer, rides.participant_for_registration(bob), 1, "")
    rides.seat_decide(seat, driver, True)
    assert rides.seats_free(offer) == 0

    registrations.registration_cancel(registration=bob)

    seat.refresh_from_db()
    assert seat.status == RideSeat.Status.CANCELLED
    assert rides.seats_free(offer) == 1


def test_an_account_keeps_its_rides_after_cancelling(event, member_a):
    registration = registrations.register(event=event, name="", email="", user=member_a)
    participant = rides.participant_for_user(member_a, event)
    offer = rides.ride_create(event, participant, "offer", "Lyon", departure_at=at(24, 16))

    registrations.registration_cancel(registration=registration, by=member_a)

    offer.refresh_from_db()
    assert offer.status == Ride.Status.OPEN
