"""A calendar subscriber sees every change: cancelling, publishing, a festival's decision or an
event leaving the calendar gives the feed a new ETag (so no stale 304 and no stale cached
body), and the changed event a newer LAST-MODIFIED and SEQUENCE."""

from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from tiers.events import services
from tiers.events.models import Event


@pytest.fixture
def client(english_client_for):
    return english_client_for(None)


def fetch(client, place, etag: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(reverse("events:place_ics", args=[place.slug]), **headers)


def the_event(response) -> dict:
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    return event


def test_cancelling_changes_the_calendar(client, make_event, manager_a, place_a, clock_at):
    event = make_event("Repair café")
    first = fetch(client, place_a)
    etag = first["ETag"]
    assert fetch(client, place_a, etag).status_code == 304
    before = the_event(first)

    services.event_cancel(event=event, by=manager_a, reason="Salle inondée")

    again = fetch(client, place_a, etag)
    assert again.status_code == 200 and again["ETag"] != etag
    after = the_event(again)
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt


def test_an_event_leaving_the_calendar_changes_it(client, make_event, place_a):
    kept = make_event("Gardé")
    gone = make_event("Parti", start=kept.start.replace(hour=10))
    etag = fetch(client, place_a)["ETag"]
    Event.objects.filter(pk=gone.pk).delete()
    response = fetch(client, place_a, etag)
    assert response.status_code == 200
    assert "Last-Modified" not in response
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(response.content).walk("VEVENT")] == [
        "Gardé"
    ]


def test_publishing_moves_the_last_change(make_event, manager_a):
    draft = make_event("Brouillon", status=Event.Status.DRAFT)
    before = Event.objects.get(pk=draft.pk).updated_at
    services.event_publish(event=draft, by=manager_a)
    assert Event.objects.get(pk=draft.pk).updated_at > before
