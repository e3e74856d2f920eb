"""The iCalendar, RSS and Atom feeds of events: every event, a tag's, a place's, a network's,
a festival's; and one event as a calendar file. Read back with `icalendar` and `feedparser`
as calendar applications and feed readers would."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from tests.events.conftest import at
from tiers.events import festivals, services
from tiers.events.models import Event, Festival

DASH = "\u2013"
XSS = '<script>alert("x")</script> & <b>bold</b>'


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
def events(make_event, manager_a, manager_b, place_b, festival):
    """Place A: a published event (tagged), a cancelled one, a draft, an old one (40 days
    ago), one in the festival; place B: one event."""
    made = {
        "published": make_event("Repair café", tags=["réparation"], summary="On répare."),
        "cancelled": make_event("Soirée jeux", start=at(25, 18)),
        "draft": make_event("Brouillon", start=at(26, 18), status=Event.Status.DRAFT),
        "old": make_event("Très ancien", start=at(10, 18, month=2)),
        "festival": make_event("Atelier festival", start=at(27, 10)),
        "b": make_event("Fablab B", place=place_b, by=manager_b, start=at(28, 10)),
    }
    services.event_cancel(event=made["cancelled"], by=manager_a, reason="Salle inondée")
    festivals.festival_submit(event=made["festival"], festival=festival, by=manager_a)
    return made


def ics(client, name, *args):
    response = client.get(reverse(f"events:{name}", args=args))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response, Calendar.from_ical(response.content)


def vevents(calendar) -> dict[str, object]:
    return {str(c["SUMMARY"]): c for c in calendar.walk("VEVENT")}


def test_the_place_calendar(client, events, place_a):
    response, calendar = ics(client, "place_ics", place_a.slug)
    found = vevents(calendar)
    assert set(found) == {"Repair café", "Cancelled: Soirée jeux", "Atelier festival"}
    repair = found["Repair café"]
    assert str(repair["UID"]) == f"event-{events['published'].pk}@127.0.0.1"
    start = repair.decoded("DTSTART")
    assert start.tzinfo is not None and start == at(24, 18)
    assert repair.decoded("DTEND") == at(24, 20)
    assert str(repair["STATUS"]) == "CONFIRMED"
    assert str(found["Cancelled: Soirée jeux"]["STATUS"]) == "CANCELLED"
    assert "Salle inondée" in str(found["Cancelled: Soirée jeux"]["DESCRIPTION"])
    # sorted by start
    starts = [c.decoded("DTSTART") for c in calendar.walk("VEVENT")]
    assert starts == sorted(starts)
    # an ETag, and no Last-Modified (it could go back when an event leaves the calendar)
    assert response["ETag"] and "Last-Modified" not in response
    assert "public" in response["Cache-Control"]


def test_all_tag_network_and_festival_calendars(client, events, network, festival):
    _, everything = ics(client, "all_ics")
    assert set(vevents(everything)) == {
        "Repair café", "Cancelled: Soirée jeux", "Atelier festival", "Fablab B",
    }  # fmt: skip
    _, tagged = ics(client, "tag_ics", "reparation")
    assert set(vevents(tagged)) == {"Repair café"}
    _, network_calendar = ics(client, "network_ics", network.slug)
    assert "Fablab B" not in vevents(network_calendar)
    assert "Repair café" in vevents(network_calendar)
    _, programme = ics(client, "festival_ics", festival.slug)
    assert set(vevents(programme)) == {"Atelier festival"}
    assert str(programme["X-WR-CALNAME"]) == "Quinzaine"


def test_a_pending_event_is_not_in_the_festival_calendar(client, events, festival):
    Festival.objects.filter(pk=festival.pk).update(requires_approval=True)
    festival.refresh_from_db()
    Event.objects.filter(pk=events["festival"].pk).update(festival_state="pending")
    _, programme = ics(client, "festival_ics", festival.slug)
    assert vevents(programme) == {}


def test_the_calendar_answers_304_until_something_changes(client, events, place_a, manager_a):
    url = reverse("events:place_ics", args=[place_a.slug])
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    event = events["published"]
    event.title = "Repair café (nouvelle salle)"
    services.event_update(event=event, by=manager_a)
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert "Repair café (nouvelle salle)" in vevents(Calendar.from_ical(changed.content))


def test_the_calendar_holds_at_most_500_events(client, place_a, monkeypatch, make_event):
    from tiers.events import feeds

    monkeypatch.setattr(feeds, "ICS_LIMIT", 3)
    for day in range(24, 29):
        make_event(f"Atelier {day}", start=at(day, 10))
    _, calendar = ics(client, "place_ics", place_a.slug)
    assert list(vevents(calendar)) == ["Atelier 24", "Atelier 25", "Atelier 26"]


def test_unknown_scopes_are_404(client, db):
    for name, args in [
        ("place_ics", ["nulle-part"]),
        ("tag_ics", ["inconnu"]),
        ("network_ics", ["aucun"]),
        ("festival_ics", ["aucun"]),
        ("place_rss", ["nulle-part"]),
        ("festival_atom", ["aucun"]),
        ("event_ics", ["aucun"]),
    ]:
        assert client.get(reverse(f"events:{name}", args=args)).status_code == 404


def test_one_event_as_a_file(client, client_for, events, manager_a, manager_b):
    url = reverse("events:event_ics", args=[events["published"].slug])
    response = client.get(url)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{events['published'].pk}@127.0.0.1"
    draft = reverse("events:event_ics", args=[events["draft"].slug])
    assert client.get(draft).status_code == 404
    assert client_for(manager_b).get(draft).status_code == 404
    assert client_for(manager_a).get(draft).status_code == 200


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_rss_and_atom(client, events, place_a, kind):
    response = client.get(reverse(f"events:place_{kind}", args=[place_a.slug]))
    assert response.status_code == 200
    expected = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    assert response["Content-Type"].startswith(expected)
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        f"Repair café — Tuesday 24 March 2026, 18:00{DASH}20:00",
        f"Cancelled: Soirée jeux — Wednesday 25 March 2026, 18:00{DASH}20:00",
        f"Atelier festival — Friday 27 March 2026, 10:00{DASH}12:00",
    ]
    repair = feed.entries[0]
    assert repair.link == "http://testserver" + events["published"].get_absolute_url()
    assert [tag.term for tag in repair.tags] == ["réparation"]
    assert "On répare." in repair.summary
    assert "Le Quai" in repair.summary
    ids = [entry.id for entry in feed.entries]
    assert len(set(ids)) == 3 and all(i.startswith("tag:127.0.0.1,") for i in ids)
    assert "Salle inondée" in feed.entries[1].summary
    assert response["Last-Modified"]


@pytest.mark.parametrize("name", ["all", "tag", "network", "festival"])
def test_every_scope_has_rss_and_atom(client, events, network, festival, name):
    args = {
        "all": [],
        "tag": ["reparation"],
        "network": [network.slug],
        "festival": [festival.slug],
    }
    for kind in ("rss", "atom"):
        response = client.get(reverse(f"events:{name}_{kind}", args=args[name]))
        feed = feedparser.parse(response.content)
        assert feed.bozo == 0
        assert feed.entries
        if name == "festival":
            assert [e.title.split(" — ")[0] for e in feed.entries] == ["Atelier festival"]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_hostile_titles_and_descriptions_are_escaped(client, make_event, place_a, kind):
    make_event(
        XSS,
        summary=XSS,
        description=f"{XSS}\n\n[clic](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    response = client.get(reverse(f"events:place_{kind}", args=[place_a.slug]))
    raw = response.content.decode()
    assert "<script>" not in raw and "<b>" not in raw
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    (entry,) = feed.entries
    # the title is plain text, escaped once by the XML: readers show it as it was typed
    assert entry.title.startswith(XSS + " — ")
    assert "<script" not in entry.summary
    assert 'href="javascript' not in entry.summary
    assert "<img src=x" not in entry.summary


def test_hostile_titles_in_the_calendar(client, make_event, place_a):
    make_event(XSS)
    _, calendar = ics(client, "place_ics", place_a.slug)
    assert list(vevents(calendar)) == [XSS]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name", ["place_ics", "place_rss", "place_atom", "network_ics", "network_rss", "all_atom"]
)
def test_the_number_of_queries_does_not_grow(client, make_event, place_a, network, name):
    from django.core.cache import cache

    args = (
        [network.slug]
        if name.startswith("network")
        else []
        if name.startswith("all")
        else [place_a.slug]
    )
    url = reverse(f"events:{name}", args=args)
    for n in range(3):
        make_event(f"Atelier {n}", start=at(24, 9 + n), tags=["jardin", f"t{n}"])
    cache.clear()
    small = _queries(client, url)
    for n in range(3, 25):
        make_event(
            f"Atelier {n}", start=at(25, 0) + dt.timedelta(minutes=30 * n), tags=["jardin", f"t{n}"]
        )
    cache.clear()
    assert _queries(client, url) == small
    assert small <= 5
