"""schema.org Event JSON-LD: parsed back as JSON, with the dates on the event's clock, the
status, the attendance mode, the place, the price, and no way out of its `<script>`."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.test import RequestFactory

from tests.events.conftest import at
from tiers.events import services
from tiers.events.jsonld import event_jsonld
from tiers.events.models import Event, Registration

SCRIPT = re.compile(r'^<script type="application/ld\+json">(.*)</script>$', re.S)


@pytest.fixture
def rf_request(settings):
    settings.ALLOWED_HOSTS = ["tiers.example.org"]
    return RequestFactory().get("/", HTTP_HOST="tiers.example.org", secure=True)


def parse(html: str) -> dict:
    match = SCRIPT.match(str(html))
    assert match, html
    body = match.group(1)
    assert "</" not in body and "<" not in body and ">" not in body
    return json.loads(body)


def test_an_event_at_a_place(make_event, rf_request, place_a):
    event = make_event(
        "Repair café", summary="On répare ensemble.", price_mode=Event.PriceMode.FIXED,
        price_amount=Decimal("5"),
    )  # fmt: skip
    data = parse(event_jsonld(event, rf_request))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Event"
    assert data["name"] == "Repair café"
    assert data["url"] == f"https://tiers.example.org{event.get_absolute_url()}"
    assert data["startDate"] == "2026-03-24T18:00:00+01:00"
    assert data["endDate"] == "2026-03-24T20:00:00+01:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    location = data["location"]
    assert location["@type"] == "Place" and location["name"] == "Le Quai"
    assert location["address"]["@type"] == "PostalAddress"
    assert location["address"]["postalCode"] == "35600"
    assert location["address"]["addressLocality"] == "Redon"
    assert location["geo"] == {"@type": "GeoCoordinates", "latitude": 47.6519, "longitude": -2.084}
    assert data["organizer"]["name"] == "Le Quai"
    assert data["description"] == "On répare ensemble."
    assert data["offers"]["price"] == "5.00"
    assert data["offers"]["priceCurrency"] == "EUR"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["isAccessibleForFree"] is False


def test_summer_time_offset(make_event, rf_request):
    event = make_event(start=at(2, 10, month=4))
    assert parse(event_jsonld(event, rf_request))["startDate"] == "2026-04-02T10:00:00+02:00"


def test_cancelled_online_and_mixed(make_event, rf_request, manager_a):
    event = make_event(online_url="https://visio.example.org/salle")
    data = parse(event_jsonld(event, rf_request))
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert {"@type": "VirtualLocation", "url": "https://visio.example.org/salle"} in data[
        "location"
    ]
    services.event_cancel(event=event, by=manager_a, reason="Malade")
    event.refresh_from_db()
    cancelled = parse(event_jsonld(event, rf_request))
    assert cancelled["eventStatus"] == "https://schema.org/EventCancelled"
    # nothing left to offer
    assert cancelled["offers"]["availability"] == "https://schema.org/SoldOut"


def test_an_online_event_of_a_network(rf_request, network, coordinator):
    event = services.event_create(
        event=Event(
            title="Webinaire", network=network, start=at(24, 10), end=at(24, 11),
            online_url="https://visio.example.org/w", status=Event.Status.PUBLISHED,
            description="# Titre\n\nDu **gras** & <em>html</em>",
        ),
        by=coordinator,
    )  # fmt: skip
    data = parse(event_jsonld(event, rf_request))
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"] == {"@type": "VirtualLocation", "url": "https://visio.example.org/w"}
    assert data["organizer"]["name"] == "Réseau Ouest"
    assert data["description"] == "Titre Du gras & <em>html</em>"
    assert data["isAccessibleForFree"] is True


def test_a_full_event_is_sold_out(make_event, rf_request):
    event = make_event(registration_open=True, capacity=1)
    Registration.objects.create(
        event=event, name="Ana", email="ana@example.org", seats=1, status="confirmed"
    )
    data = parse(event_jsonld(event, rf_request))
    assert data["offers"]["availability"] == "https://schema.org/SoldOut"
    assert data["offers"]["url"].endswith(f"/evenements/{event.slug}/inscription/")


def test_a_hostile_title_cannot_leave_the_script(make_event, rf_request):
    title = "</script><script>alert(1)</script> & <!-- \u2028 -->"
    event = make_event(title, summary="</SCRIPT>")
    html = str(event_jsonld(event, rf_request))
    assert html.count("</script>") == 1 and html.endswith("</script>")
    assert "</SCRIPT>" not in html and "<!--" not in html
    data = parse(html)
    assert data["name"] == title
    assert data["description"] == "</SCRIPT>"


def test_the_image_is_an_absolute_address(make_event, rf_request):
    event = make_event()
    event.image.name = "events/2026/affiche.jpg"
    data = parse(event_jsonld(event, rf_request))
    assert data["image"] == ["https://tiers.example.org/media/events/2026/affiche.jpg"]
