"""The demo network's events: `tiers demo` runs again and again, and shows every feature."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from tiers.bookings import demo as bookings_demo
from tiers.bookings.models import Booking
from tiers.events import demo
from tiers.events.models import (
    Event,
    EventSeries,
    Festival,
    Registration,
    Ride,
    RideSeat,
    Session,
    SessionSignup,
)
from tiers.places import demo as places_demo

pytestmark = pytest.mark.django_db


def build() -> dict[str, int]:
    places_demo.create()
    bookings_demo.create()
    return demo.create()


def test_runs_twice_with_the_same_result():
    first = build()
    second = build()
    assert first == second
    assert second["events"] == Event.objects.count()
    # nothing left behind by the first run
    assert Festival.objects.count() == 1
    assert EventSeries.objects.count() == 1
    assert second["registrations"] == Registration.objects.count()


def test_counts_and_content():
    counts = build()
    assert counts["festivals"] == 1
    assert counts["rides"] == 4
    assert counts["events"] == Event.objects.count() >= 15
    statuses = set(Event.objects.values_list("status", flat=True))
    assert statuses == {"draft", "published", "cancelled"}
    cancelled = Event.objects.get(status=Event.Status.CANCELLED)
    assert "maintenance" in cancelled.cancel_reason
    prices = set(Event.objects.values_list("price_mode", flat=True))
    assert prices == set(Event.PriceMode.values)
    tags = set(Event.objects.values_list("tags__slug", flat=True))
    assert {"numerique", "reparation", "jardin", "gouvernance"} <= tags


def test_everything_is_upcoming(clock_at):
    build()
    now = clock_at.now()
    assert not Event.objects.filter(start__lte=now).exists()
    assert not Event.objects.filter(start__gt=now + dt.timedelta(days=70)).exists()


def test_the_repair_cafe_series_holds_its_room():
    build()
    series = Event.objects.filter(kind=Event.Kind.REPAIR_CAFE, series__isnull=False)
    assert series.count() == 8
    for event in series:
        hold = event.room_hold
        assert hold is not None and hold.kind == Booking.Kind.EVENT and hold.is_active
        assert (hold.resource_id, hold.start, hold.end) == (event.room_id, event.start, event.end)


def test_the_festival_has_accepted_events_and_one_pending():
    build()
    festival = Festival.objects.get()
    assert festival.name == "Quinzaine des Tiers-Lieux"
    assert (festival.end_date - festival.start_date).days == demo.FESTIVAL_DAYS - 1
    events = festival.events.all()
    accepted = events.filter(festival_state=Event.FestivalState.ACCEPTED)
    assert accepted.count() >= 4
    assert accepted.exclude(place=None).values("place").distinct().count() >= 3
    assert accepted.filter(network=festival.network).exists()
    pending = events.get(festival_state=Event.FestivalState.PENDING)
    assert pending.place.slug == "living-lab-sante"
    for event in events:
        assert festival.start_date <= event.local_start.date() <= festival.end_date


def test_the_digital_help_workshop_is_full_with_a_waiting_list():
    build()
    workshop = Event.objects.get(kind=Event.Kind.DIGITAL_HELP)
    statuses = list(
        workshop.registrations.order_by("queued_at", "pk").values_list("status", flat=True)
    )
    assert statuses.count(Registration.Status.CONFIRMED) == workshop.capacity - 1
    assert statuses.count(Registration.Status.OFFERED) == 1
    assert statuses.count(Registration.Status.WAITLISTED) == 2
    assert statuses.count(Registration.Status.CANCELLED) == 1
    offered = workshop.registrations.get(status=Registration.Status.OFFERED)
    assert offered.offer_expires_at is not None
    # accounts and e-mail-only people
    assert workshop.registrations.filter(user__isnull=False).exists()
    assert workshop.registrations.filter(user__isnull=True).count() >= 5
    assert workshop.room_hold is not None and workshop.room_hold.is_active


def test_the_forum_programme_runs_in_two_rooms_each_half_day():
    build()
    forum = Event.objects.get(kind=Event.Kind.FORUM)
    assert forum.local_end.date() - forum.local_start.date() == dt.timedelta(days=1)
    sessions = list(forum.sessions.all())
    assert len(sessions) >= 8
    assert {s.track for s in sessions} >= {"Gouvernance", "Numérique", "Transition"}
    halves: dict[tuple[dt.date, bool], set[int | None]] = {}
    for session in sessions:
        key = (
            session.start.astimezone(forum.tz).date(),
            session.start.astimezone(forum.tz).hour < 13,
        )
        halves.setdefault(key, set()).add(session.room_id)
    assert len(halves) == 4 and all(len(rooms) >= 2 for rooms in halves.values())
    # sessions outside the event's own room hold theirs
    for session in sessions:
        if session.room_id and session.room_id != forum.room_id:
            assert session.room_hold is not None and session.room_hold.is_active
    limited = Session.objects.get(event=forum, capacity__isnull=False)
    assert SessionSignup.objects.filter(session=limited).count() == 3
    confirmed = forum.registrations.filter(status=Registration.Status.CONFIRMED)
    assert confirmed.filter(user__isnull=True).exists() and confirmed.filter(user__isnull=False)
    assert all(r.answers for r in confirmed)


def test_rides_offers_requests_and_an_accepted_passenger():
    build()
    forum = Event.objects.get(kind=Event.Kind.FORUM)
    rides = Ride.objects.filter(event=forum)
    assert rides.filter(kind=Ride.Kind.OFFER).count() == 2
    assert rides.filter(kind=Ride.Kind.REQUEST).count() == 2
    accepted = RideSeat.objects.get(status=RideSeat.Status.ACCEPTED)
    assert accepted.ride.kind == Ride.Kind.OFFER and accepted.user.email.startswith("marc@")
    assert all(r.latitude and r.longitude for r in rides)


def test_the_command_sends_no_mail_and_reports_the_events(capsys):
    call_command("demo")
    call_command("demo")
    out = capsys.readouterr().out
    assert f"{Event.objects.count()} events" in out
    assert mail.outbox == []


@pytest.mark.parametrize("days", range(1, 7))
def test_builds_on_any_day_of_the_week(clock_at, days):
    """The dates are relative to today: no clash between the demo's rooms and bookings, every
    festival event inside the festival, whatever the weekday (the 6 days after Monday)."""
    clock_at.set(clock_at.now() + dt.timedelta(days=days, hours=11))
    counts = build()
    assert counts["events"] == 17 and counts["rides"] == 4
    festival = Festival.objects.get()
    assert festival.events.filter(festival_state=Event.FestivalState.ACCEPTED).count() == 5
