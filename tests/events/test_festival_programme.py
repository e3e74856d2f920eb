"""A festival's page: the programme by day, region and town, its filters, its pagination, the
map's places (and their list for pages read without JavaScript), and a number of queries that
does not grow with the programme."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.events.conftest import at
from tiers.events import festivals
from tiers.events.models import Event, Festival
from tiers.places.regions import region_of


@pytest.fixture
def client(english_client_for):
    return english_client_for(None)


@pytest.fixture
def festival(db, network, coordinator) -> Festival:
    return festivals.festival_save(
        festival=Festival(
            network=network, name="Quinzaine", start_date=dt.date(2026, 3, 23),
            end_date=dt.date(2026, 3, 29),
        ),
        by=coordinator,
    )  # fmt: skip


@pytest.fixture
def places(make_place, network, place_a):
    """Places of the network in four regions (place A is in Redon, Bretagne)."""
    made = {
        "quai": place_a,
        "strasbourg": make_place(
            "Le Shadok", town="Strasbourg", postcode="67000", latitude=48.58, longitude=7.75
        ),
        "ajaccio": make_place(
            "Fabbrica", town="Ajaccio", postcode="20000", latitude=41.92, longitude=8.74
        ),
        "pointe": make_place(
            "Kaz Numérik", town="Pointe-à-Pitre", postcode="97110", latitude=16.24,
            longitude=-61.53, time_zone="America/Guadeloupe",
        ),
        "rennes": make_place("La Cantine", town="Rennes", postcode="35000"),
    }  # fmt: skip
    network.places.add(*made.values())
    return made


@pytest.fixture
def add(admin, festival):
    """An accepted event of the festival at a place."""

    def make(title: str, place, start: dt.datetime, **fields) -> Event:
        return festivals_event(admin, festival, title, place, start, **fields)

    return make


def festivals_event(admin, festival, title, place, start, **fields) -> Event:
    from tiers.events import services

    fields.setdefault("status", Event.Status.PUBLISHED)
    event = services.event_create(
        event=Event(
            title=title, place=place, start=start, end=start + dt.timedelta(hours=2), **fields
        ),
        by=admin,
    )
    festivals.festival_submit(event=event, festival=festival, by=admin)
    return event


def page(client, festival, **params):
    response = client.get(reverse("events:festival", args=[festival.slug]), params)
    assert response.status_code == 200
    return response.content.decode()


def headings(html: str, level: int) -> list[str]:
    """The headings of the programme (after its title)."""
    html = html[html.index('id="programme-count"') :]
    return [
        re.sub(r"<[^>]+>", "", text).strip()
        for text in re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)
    ]


def test_the_programme_is_grouped_by_day_then_region_then_town(client, festival, places, add):
    add("Atelier vélo", places["rennes"], at(24, 10))
    add("Repair café", places["quai"], at(24, 14))
    add("Fablab ouvert", places["strasbourg"], at(24, 9))
    add("Soirée corse", places["ajaccio"], at(25, 18))
    html = page(client, festival)
    assert headings(html, 3)[:2] == ["Tuesday 24 March 2026", "Wednesday 25 March 2026"]
    # Tuesday: Bretagne (Redon, then Rennes) before Grand Est; Wednesday: Corse
    assert headings(html, 4) == ["Bretagne", "Grand Est", "Corse"]
    assert headings(html, 5) == ["Redon", "Rennes", "Strasbourg", "Ajaccio"]
    titles = re.findall(r'<a href="/evenements/[^"]+/">([^<]+)</a>', html)
    assert titles == ["Repair café", "Atelier vélo", "Fablab ouvert", "Soirée corse"]


def test_an_overseas_event_is_on_its_own_days_clock(client, festival, places, add):
    # 20:00 in Guadeloupe on Tuesday is 01:00 on Wednesday in Paris
    start = dt.datetime(2026, 3, 24, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    add("Veillée", places["pointe"], start)
    add("Matinée", places["quai"], at(25, 9))
    html = page(client, festival)
    assert headings(html, 3)[:2] == ["Tuesday 24 March 2026", "Wednesday 25 March 2026"]
    programme = html[html.index('id="programme-count"') :]
    assert (
        programme.index("Veillée")
        < programme.index("Wednesday 25 March")
        < programme.index("Matinée")
    )
    assert "20:00" in html  # on the event's clock
    assert "Guadeloupe" in headings(html, 4)
    only_tuesday = page(client, festival, day="2026-03-24")
    assert "Veillée" in only_tuesday and "Matinée" not in only_tuesday


def test_counts_of_events_and_places(client, festival, places, add):
    add("Un", places["quai"], at(24, 10))
    add("Deux", places["quai"], at(25, 10))
    add("Trois", places["strasbourg"], at(25, 10))
    html = page(client, festival)
    assert "3 events" in html
    assert "2 places taking part" in html


def test_pending_drafts_and_refused_events_are_not_in_the_programme(
    client, festival, places, add, coordinator
):
    Festival.objects.filter(pk=festival.pk).update(requires_approval=True)
    festival.refresh_from_db()
    pending = add("En attente", places["rennes"], at(24, 10))
    draft = add("Brouillon", places["quai"], at(24, 11), status=Event.Status.DRAFT)
    refused = add("Refusé", places["quai"], at(24, 12))
    festivals.festival_decide(event=refused, by=coordinator, accept=False)
    festivals.festival_decide(event=draft, by=coordinator, accept=True)
    cancelled = add("Annulé", places["quai"], at(24, 13))
    festivals.festival_decide(event=cancelled, by=coordinator, accept=True)
    Event.objects.filter(pk=cancelled.pk).update(status=Event.Status.CANCELLED)
    html = page(client, festival)
    assert pending.festival_state == Event.FestivalState.PENDING
    for title in ("En attente", "Brouillon", "Refusé"):
        assert title not in html
    assert "Annulé" in html and "Cancelled" in html  # a cancelled event stays, marked


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "repair-cafe"}, {"Café réparation"}),
        ({"audience": "enfants"}, {"Atelier enfants"}),
        ({"region": "Grand Est"}, {"Fablab ouvert"}),
        ({"town": "rennes"}, {"Atelier enfants"}),
        ({"day": "2026-03-25"}, {"Fablab ouvert"}),
        ({"region": "Bretagne", "kind": "atelier"}, {"Atelier enfants"}),
        ({}, {"Café réparation", "Atelier enfants", "Fablab ouvert"}),
    ],
)
def test_filters(client, festival, places, add, params, expected):
    add("Café réparation", places["quai"], at(24, 14), kind=Event.Kind.REPAIR_CAFE)
    add("Atelier enfants", places["rennes"], at(24, 10), audience=Event.Audience.CHILDREN)
    add("Fablab ouvert", places["strasbourg"], at(25, 9))
    html = page(client, festival, **params)
    shown = {t for t in ("Café réparation", "Atelier enfants", "Fablab ouvert") if t in html}
    assert shown == expected
    if params:
        assert f"{len(expected)} event" in html


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "nope"},
        {"day": "2026-13-45"},
        {"day": "2027-01-01"},
        {"region": "Atlantis"},
        {"town": "x" * 500},
        {"page": "abc"},
        {"page": "999"},
        {"town": "\x00"},
    ],
)
def test_filters_not_understood_are_dropped_not_errors(client, festival, places, add, params):
    add("Café réparation", places["quai"], at(24, 14))
    html = page(client, festival, **params)
    assert "Café réparation" in html
    if "page" not in params and params != {"town": "\x00"}:
        assert "Some filters are not understood" in html


def test_pagination(client, festival, places, add, monkeypatch):
    from tiers.events import views_festivals

    monkeypatch.setattr(views_festivals, "PAGE_SIZE", 3)
    for hour in range(9, 16):
        add(f"Atelier {hour}h", places["quai"], at(24, hour))
    first = page(client, festival)
    assert "Atelier 9h" in first and "Atelier 12h" not in first
    assert "Page 1 of 3" in first and 'rel="next"' in first
    second = page(client, festival, page=2)
    assert "Atelier 12h" in second and "Atelier 9h" not in second
    # the day's heading is repeated on the next page
    assert "Tuesday 24 March 2026" in second


def test_the_places_taking_part_are_listed_without_javascript(client, festival, places, add):
    add("Un", places["quai"], at(24, 10))
    add("Deux", places["ajaccio"], at(25, 10))
    html = page(client, festival)
    places_section = html[html.index('id="places-title"') : html.index('id="programme-title"')]
    assert "Le Quai</a> — Redon" in places_section
    assert "Fabbrica</a> — Ajaccio" in places_section
    assert "Le Shadok" not in places_section  # no event: not taking part
    assert 'class="map"' in places_section and "data-geojson" in places_section
    assert "<details" in places_section


def test_the_map_reads_the_places_as_geojson(client, festival, places, add):
    add("Un", places["quai"], at(24, 10))
    add("Deux", places["rennes"], at(25, 10))  # no coordinates: listed, not on the map
    response = client.get(reverse("events:festival", args=[festival.slug]), {"format": "geojson"})
    assert response["Content-Type"].startswith("application/geo+json")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in data["features"]] == ["Le Quai"]
    assert data["features"][0]["geometry"]["coordinates"] == [-2.084, 47.6519]
    assert data["features"][0]["properties"]["url"] == "/lieux/le-quai/"


def test_the_places_list_follows_the_programme(client, festival, places, add, coordinator):
    event = add("Un", places["quai"], at(24, 10))
    assert "Le Quai</a>" in page(client, festival)
    festivals.festival_decide(event=event, by=coordinator, accept=False)
    assert "Le Quai</a>" not in page(client, festival)


def test_feed_links_and_alternates(client, festival):
    html = page(client, festival)
    for name, kind in [
        ("festival_rss", "application/rss+xml"),
        ("festival_atom", "application/atom+xml"),
        ("festival_ics", "text/calendar"),
    ]:
        url = reverse(f"events:{name}", args=[festival.slug])
        assert f'<link rel="alternate" type="{kind}"' in html
        assert f'href="{url}"' in html


def _count_queries(client, festival, **params) -> int:
    url = reverse("events:festival", args=[festival.slug])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("listed_up_to", [200, 3])  # 3: the places are counted by region
@pytest.mark.parametrize(
    "params", [{}, {"region": "Bretagne", "kind": "atelier"}, {"day": "2026-03-24"}]
)
def test_the_number_of_queries_does_not_grow_with_the_programme(
    client_for, coordinator, festival, places, admin, params, listed_up_to, monkeypatch
):
    from tiers.events import views_festivals

    monkeypatch.setattr(views_festivals, "PLACES_LISTED_UP_TO", listed_up_to)

    def fill(count: int) -> None:
        spots = list(places.values())
        for n in range(Event.objects.count(), count):
            festivals_event(
                admin, festival, f"Atelier {n}", spots[n % len(spots)], at(24 + n % 2, 9 + n % 8)
            )

    for user in (None, coordinator):
        client = client_for(user)
        fill(5)
        small = _count_queries(client, festival, **params)
        fill(40)
        large = _count_queries(client, festival, **params)
        assert large == small, user
        assert small <= 12


def test_region_of_matches_the_database(places, festival, add):
    for place in places.values():
        add(f"Chez {place.name}", place, at(24, 10))
    events = festivals.programme_page_queryset(festival, festivals.Filters())
    for event in events:
        assert event.region == region_of(event.place.postcode)


def test_a_long_programme_opens_on_one_day(client, festival, places, add, monkeypatch, clock_at):
    from tiers.events import views_festivals

    monkeypatch.setattr(views_festivals, "ALL_DAYS_UP_TO", 2)
    add("Mardi", places["quai"], at(24, 10))
    add("Mercredi", places["quai"], at(25, 10))
    add("Jeudi", places["quai"], at(26, 10))
    clock_at.set(at(25, 8))  # during the festival: today
    html = page(client, festival)
    assert "Mercredi" in html and "Mardi" not in html and "Jeudi" not in html
    assert "shown one day at a time" in html
    assert '<option value="2026-03-25" selected>' in html
    every = page(client, festival, day="tous")
    assert all(title in every for title in ("Mardi", "Mercredi", "Jeudi"))
    assert '<option value="tous" selected>' in every
    clock_at.set(at(20, 8))  # before the festival: its first day
    html = page(client, festival)
    assert "Mardi" not in html and "Mercredi" not in html  # Monday 23 is empty
    assert "No event on this day: choose another day." in html


# A festival with many places --------------------------------------------------------------------


@pytest.fixture
def many_places(monkeypatch, places, add, make_place, network):
    """Beyond `PLACES_LISTED_UP_TO` places (lowered to 3): five places with an event in four
    regions, and one without a region (no postcode)."""
    from tiers.events import views_festivals

    monkeypatch.setattr(views_festivals, "PLACES_LISTED_UP_TO", 3)
    away = make_place("Le Lieu d'ailleurs", town="Genève", postcode="")
    network.places.add(away)
    for n, place in enumerate([*places.values(), away]):
        if place != places["pointe"]:
            add(f"Atelier {n}", place, at(24, 9 + n))
    return {**places, "away": away}


def places_section(html: str) -> str:
    return html[html.index('id="places-title"') : html.index('id="programme-title"')]


def test_beyond_the_threshold_the_places_are_counted_by_region(client, festival, many_places):
    html = places_section(page(client, festival))
    assert "The 5 places taking part, by region" in html
    url = reverse("events:festival", args=[festival.slug])
    regions = re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a>\s*<span class="meta">\(([^)]+)\)', html
    )
    assert regions == [
        (f"{url}?region=Bretagne#places-region", "Bretagne", "2 places"),
        (f"{url}?region=Corse#places-region", "Corse", "1 place"),
        (f"{url}?region=Grand%20Est#places-region", "Grand Est", "1 place"),
    ]
    assert re.search(r"Other places\s*<span class=\"meta\">\(1 place\)", html)
    # no place is listed one by one, and Guadeloupe has no event
    assert "/lieux/" not in html and "Guadeloupe" not in html
    assert "<details" in html and '<details class="festival-places" open>' not in html
    assert 'class="map"' in html and "data-geojson" in html


def test_the_places_of_the_region_filtered_are_listed(client, festival, many_places):
    full = page(client, festival, region="Bretagne")
    html = places_section(full)
    assert '<details class="festival-places" open>' in html
    assert '<strong aria-current="true">Bretagne</strong>' in html
    assert '<h3 id="places-region">Bretagne: 2 places taking part</h3>' in html
    assert "Le Quai</a> — Redon" in html and "La Cantine</a> — Rennes" in html
    assert "Le Shadok" not in html and "Fabbrica" not in html and "ailleurs" not in html
    assert "Grand%20Est#places-region" in html  # the other regions stay a link away
    # and the programme is the region's
    assert "Atelier 0" in full and "Atelier 1" not in full
    empty = places_section(page(client, festival, region="Normandie"))
    assert "No place in Normandie has an event in the programme." in empty
    assert "/lieux/" not in empty


def test_the_page_does_not_build_the_maps_geojson(client, festival, many_places, monkeypatch):
    from tiers.events import views_festivals

    def fail(*args, **kwargs):
        raise AssertionError("the page built the GeoJSON")

    monkeypatch.setattr(views_festivals, "_geojson", fail)
    assert "Le Shadok" not in places_section(page(client, festival))
    assert "Le Quai</a>" in places_section(page(client, festival, region="Bretagne"))


def test_the_geojson_follows_the_programme(client, festival, many_places, coordinator):
    url = reverse("events:festival", args=[festival.slug])

    def names() -> set[str]:
        response = client.get(url, {"format": "geojson"})
        assert response["Cache-Control"] == "public, max-age=300"
        return {f["properties"]["name"] for f in json.loads(response.content)["features"]}

    # with coordinates only (La Cantine and the place abroad have none)
    assert names() == {"Le Quai", "Le Shadok", "Fabbrica"}
    shadok = Event.objects.get(place=many_places["strasbourg"])
    festivals.festival_decide(event=shadok, by=coordinator, accept=False)
    assert names() == {"Le Quai", "Fabbrica"}


@pytest.mark.parametrize("params", [{}, {"region": "Bretagne"}, {"region": "Normandie"}])
def test_the_number_of_queries_does_not_depend_on_the_number_of_places(
    client, festival, many_places, monkeypatch, params
):
    from django.core.cache import cache

    from tiers.events import views_festivals

    cache.clear()
    beyond = _count_queries(client, festival, **params)
    beyond_warm = _count_queries(client, festival, **params)
    monkeypatch.setattr(views_festivals, "PLACES_LISTED_UP_TO", 200)  # all listed
    cache.clear()
    assert _count_queries(client, festival, **params) == beyond
    assert _count_queries(client, festival, **params) == beyond_warm
    # and a warm page reads neither the places nor the time zones
    assert beyond_warm == beyond - 2
