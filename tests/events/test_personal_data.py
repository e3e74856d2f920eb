"""Registrations and rides in the personal data export and the account's erasure."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder

from tiers.accounts.services import account_erase, personal_data_export
from tiers.events import registrations
from tiers.events.models import Registration, Ride, RideMessage, RideSeat

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def upcoming(make_event):
    return make_event("Repair café", registration_open=True, capacity=1)


@pytest.fixture
def past(make_event, clock_at):
    clock_at.set(at(1, 8))
    event = make_event("Old café", registration_open=True, start=at(2, 18))
    return event


def test_export_has_registrations_and_rides(member_a, upcoming, make_user, make_event):
    registration = registrations.register(
        event=upcoming, name="Maëlle", email=member_a.email, user=member_a
    )
    # made without signing in, with the (verified) address of the account
    elsewhere = make_event("Soirée jeux", registration_open=True, start=at(26, 18))
    registrations.register(event=elsewhere, name="Maëlle", email=member_a.email, user=None)
    Ride.objects.create(
        event=upcoming, kind="offer", user=member_a, name="Maëlle", email=member_a.email,
        from_town="Redon", departure_at=at(24, 17), seats=3,
    )  # fmt: skip
    stranger = make_user("Stranger")
    registrations.register(event=upcoming, name="Stranger", email=stranger.email, user=stranger)
    data = json.loads(json.dumps(personal_data_export(member_a), cls=DjangoJSONEncoder))
    regs = data["event_registrations"]
    assert {r["event"] for r in regs} == {"Repair café", "Soirée jeux"}
    assert registration.status in {r["status"] for r in regs}
    assert all(r["email"] == member_a.email.lower() for r in regs)
    assert "Stranger" not in json.dumps(data)
    assert data["rides"][0]["from_town"] == "Redon"


def test_erasure_cancels_upcoming_frees_the_place_and_anonymises(
    member_a, make_user, upcoming, past, clock_at, django_capture_on_commit_callbacks
):
    old = registrations.register(event=past, name="Maëlle", email=member_a.email, user=member_a,
                                 answers={})  # fmt: skip
    clock_at.set(at(23, 8))
    mine = registrations.register(event=upcoming, name="Maëlle", email=member_a.email,
                                  user=member_a)  # fmt: skip
    waiting_user = make_user("Next")
    waiting = registrations.register(event=upcoming, name="Next", email=waiting_user.email,
                                     user=waiting_user)  # fmt: skip
    assert waiting.status == "waitlisted"
    ride = Ride.objects.create(
        event=upcoming, kind="offer", user=member_a, name="Maëlle", email=member_a.email,
        phone="0600000000", from_town="Redon", from_detail="Gare", departure_at=at(24, 17),
    )  # fmt: skip
    seat = RideSeat.objects.create(ride=ride, user=waiting_user, name="Next",
                                   email=waiting_user.email, status="accepted")  # fmt: skip
    RideMessage.objects.create(seat=seat, from_driver=True, body="I have a red car")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=member_a)
    mine.refresh_from_db()
    old.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.status == "cancelled"
    assert waiting.status == "offered"  # the freed place went on
    for r in (mine, old):
        assert r.name == "—"
        assert r.email == f"erased-{r.pk}@invalid"
        assert r.answers == {}
    assert old.status == "confirmed"  # the history keeps the count
    # no e-mail about the event to the erased person; the next in the queue is told
    assert [m.to for m in mail.outbox if "Repair café" in m.subject] == [[waiting_user.email]]
    ride.refresh_from_db()
    seat.refresh_from_db()
    assert ride.status == "cancelled" and ride.phone == "" and ride.from_detail == ""
    assert ride.email.endswith("@invalid")
    assert seat.status == "cancelled"
    assert RideMessage.objects.get().body == "—"
    assert member_a.email not in json.dumps(
        list(Registration.objects.values()), cls=DjangoJSONEncoder
    )


def test_erasure_does_not_touch_others(member_a, make_user, upcoming):
    other = make_user("Other")
    theirs = registrations.register(event=upcoming, name="Other", email=other.email, user=other)
    account_erase(user=member_a)
    theirs.refresh_from_db()
    assert theirs.name == "Other" and theirs.status == "confirmed"
