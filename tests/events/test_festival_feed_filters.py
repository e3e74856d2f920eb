"""A large festival's feeds follow the page's filters: a person subscribes to the programme of
their region, town, or to one kind or audience, and the festival's page links to the feeds of
what it shows."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from django.urls import reverse
from icalendar import Calendar

from tests.events.conftest import at
from tiers.events import festivals
from tiers.events.models import Event, Festival


@pytest.fixture
def festival(db, network, coordinator, place_a, place_b) -> Festival:
    network.places.add(place_b)  # place A: Redon (Bretagne), place B: Strasbourg (Grand Est)
    return festivals.festival_save(
        festival=Festival(
            network=network, name="Quinzaine", start_date=dt.date(2026, 3, 23),
            end_date=dt.date(2026, 3, 29),
        ),
        by=coordinator,
    )  # fmt: skip


@pytest.fixture
def programme(festival, make_event, manager_a, manager_b, place_b) -> dict[str, Event]:
    made = {
        "atelier": make_event("Atelier vélo", kind=Event.Kind.WORKSHOP, start=at(24, 10)),
        "familles": make_event(
            "Goûter", kind=Event.Kind.MEAL, audience=Event.Audience.FAMILIES, start=at(25, 16)
        ),
        "est": make_event(
            "Atelier laser", place=place_b, by=manager_b, kind=Event.Kind.WORKSHOP,
            start=at(26, 10),
        ),
    }  # fmt: skip
    for event, by in ((made["atelier"], manager_a), (made["familles"], manager_a),
                      (made["est"], manager_b)):  # fmt: skip
        festivals.festival_submit(event=event, festival=festival, by=by)
    return made


def titles_in_ics(client, festival, query: str) -> set[str]:
    response = client.get(reverse("events:festival_ics", args=[festival.slug]) + query)
    assert response.status_code == 200
    return {str(c["SUMMARY"]) for c in Calendar.from_ical(response.content).walk("VEVENT")}


def titles_in_feed(client, festival, name: str, query: str) -> set[str]:
    response = client.get(reverse(f"events:festival_{name}", args=[festival.slug]) + query)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    return {entry.title.split(" — ")[0] for entry in parsed.entries}


def test_the_calendar_keeps_a_region_a_kind_an_audience_or_a_town(client, festival, programme):
    everything = {"Atelier vélo", "Goûter", "Atelier laser"}
    assert titles_in_ics(client, festival, "") == everything
    assert titles_in_ics(client, festival, "?region=Bretagne") == {"Atelier vélo", "Goûter"}
    assert titles_in_ics(client, festival, "?region=Grand+Est") == {"Atelier laser"}
    assert titles_in_ics(client, festival, "?kind=atelier") == {"Atelier vélo", "Atelier laser"}
    assert titles_in_ics(client, festival, "?audience=familles") == {"Goûter"}
    assert titles_in_ics(client, festival, "?town=strasbourg") == {"Atelier laser"}
    assert titles_in_ics(client, festival, "?kind=atelier&region=Bretagne") == {"Atelier vélo"}


def test_rss_and_atom_keep_the_same_filters(client, festival, programme):
    for name in ("rss", "atom"):
        assert titles_in_feed(client, festival, name, "?region=Grand+Est") == {"Atelier laser"}
        assert titles_in_feed(client, festival, name, "?kind=repas") == {"Goûter"}


def test_values_not_understood_are_ignored(client, festival, programme):
    assert len(titles_in_ics(client, festival, "?region=Atlantide&kind=%00")) == 3


def test_the_page_links_to_the_feeds_of_what_it_shows(client, festival, programme):
    page = client.get(festival.get_absolute_url() + "?region=Bretagne&kind=atelier").content
    html = page.decode()
    for name in ("ics", "rss", "atom"):
        path = reverse(f"events:festival_{name}", args=[festival.slug])
        assert f"{path}?kind=atelier&amp;region=Bretagne" in html
