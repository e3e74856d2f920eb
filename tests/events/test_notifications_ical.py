"""The event as iCalendar: one file for e-mails, VEVENTs and calendars for the feeds."""

from __future__ import annotations

import icalendar
import pytest

from tiers.events import ical, services

from .conftest import at

pytestmark = pytest.mark.django_db


def test_event_ics_parses_with_stable_uid_and_utc_times(make_event, settings):
    settings.SITE_URL = "https://tiers.example"
    event = make_event("Café <b>réparation</b>", description="Bring **tools**", capacity=10)
    cal = icalendar.Calendar.from_ical(ical.event_ics(event))
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["uid"]) == f"event-{event.pk}@tiers.example"
    assert vevent.decoded("dtstart") == at(24, 18)
    assert vevent.decoded("dtstart").utcoffset().total_seconds() == 0
    assert vevent.decoded("dtend") == at(24, 20)
    assert str(vevent["summary"]) == "Café <b>réparation</b>"
    assert "Bring **tools**" in str(vevent["description"])
    assert str(vevent["status"]) == "CONFIRMED"
    assert str(vevent["url"]) == f"https://tiers.example/evenements/{event.slug}/"
    assert "Le Quai" in str(vevent["location"])
    assert "dtstamp" in vevent
    assert str(cal["method"]) == "PUBLISH"


def test_cancelled_event_is_status_cancelled_with_a_higher_sequence(
    make_event, manager_a, clock_at
):
    event = make_event()
    first = ical.vevent(event)
    clock_at.set(at(23, 9))
    services.event_cancel(event=event, by=manager_a, reason="Storm")
    event.refresh_from_db()
    cal = icalendar.Calendar.from_ical(ical.event_ics(event))
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["status"]) == "CANCELLED"
    assert "Storm" in str(vevent["description"])
    assert int(vevent["sequence"]) > int(first["sequence"])


def test_calendar_of_many_events(make_event):
    events = [make_event("One"), make_event("Two", start=at(25, 10))]
    cal = icalendar.Calendar.from_ical(ical.calendar(events, "Le Quai"))
    assert [str(v["summary"]) for v in cal.walk("VEVENT")] == ["One", "Two"]
    assert str(cal["x-wr-calname"]) == "Le Quai"
