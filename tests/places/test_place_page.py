"""A place's page: its facts, opening hours, map data and schema.org JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
import re
from unittest import mock

from django.utils import timezone

from tiers.places.models import Membership


def jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def test_place_page_shows_the_facts(client, make_place, network):
    place = make_place(
        "La Grange", kinds=["hybrid", "rural"], address="Lieu-dit La Bastide", postcode="12400",
        town="Saint-Affrique", latitude=43.958, longitude=2.886, website="https://grange.example.org/",
        phone="+33565000000", legal_id="W123456789", accessibility="Rampe à l'entrée.",
        wheelchair="partial", services=["Wi-Fi", "Atelier bois"],
        description="## Histoire\n\nUne **grange** rénovée.",
    )  # fmt: skip
    network.places.add(place)
    response = client.get(place.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["La Grange", "Lieu-dit La Bastide", "12400 Saint-Affrique", "W123456789",
                 "Rampe à l&#x27;entrée.", "Atelier bois", "<strong>grange</strong>",
                 'href="https://grange.example.org/"', network.name, 'data-lat="43.958000"']:  # fmt: skip
        assert text in html, text
    # the page's headings start at h1; the description's headings are shifted below it
    assert "<h3>Histoire</h3>" in html


def test_json_ld_describes_the_place(client, make_place):
    place = make_place(
        "Le Fab </script><script>alert(1)</script>", slug="le-fab", postcode="67000",
        town="Strasbourg", latitude=48.57, longitude=7.78, opening_hours="Mo-Fr 09:00-18:00",
    )  # fmt: skip
    html = client.get(place.get_absolute_url()).content.decode()
    data = jsonld(html)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Place"
    assert data["name"] == place.name
    assert data["address"]["postalCode"] == "67000"
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 48.57, "longitude": 7.78}
    assert data["openingHours"] == "Mo-Fr 09:00-18:00"
    assert "<script>alert(1)</script>" not in html


def test_opening_hours_table_and_open_now(client, make_place):
    place = make_place("Horaires", opening_hours="Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-13:00")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    monday_10h = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # 10:00 in Paris
    with mock.patch.object(timezone, "now", return_value=monday_10h):
        response = client.get(place.get_absolute_url())
    week = response.context["week"]
    assert [str(day.weekday) for day in week][:2] in (["Monday", "Tuesday"], ["lundi", "mardi"])
    assert week[0].is_today
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in week[0].ranges] == [
        ("09:00", "12:00"),
        ("14:00", "18:00"),
    ]
    assert week[5].ranges == [(dt.time(10), dt.time(13))]
    assert week[6].ranges == []
    html = response.content.decode()
    assert 'class="open-now"' in html
    assert response.context["next_change"].hour == 12  # closes at noon, Paris time
    assert response.context["next_change_day"] == "today"
    assert "closes today at 12:00" in " ".join(html.split())
    with mock.patch.object(timezone, "now", return_value=monday_10h + dt.timedelta(hours=3)):
        html = client.get(place.get_absolute_url()).content.decode()
        assert 'class="closed-now"' in html
        assert "opens today at 14:00" in " ".join(html.split())
    saturday_noon = dt.datetime(2026, 11, 28, 11, 0, tzinfo=dt.UTC)
    with mock.patch.object(timezone, "now", return_value=saturday_noon):
        html = client.get(place.get_absolute_url()).content.decode()
        assert "closes today at 13:00" in " ".join(html.split())
    with mock.patch.object(timezone, "now", return_value=saturday_noon + dt.timedelta(hours=3)):
        html = client.get(place.get_absolute_url()).content.decode()
        assert "opens Monday at 09:00" in " ".join(html.split())


def test_place_without_hours_or_coordinates(client, make_place):
    place = make_place("Sans rien")
    response = client.get(place.get_absolute_url())
    assert response.status_code == 200
    assert response.context["week"] == []
    assert 'id="place-map"' not in response.content.decode()
    assert "geo" not in jsonld(response.content.decode())


def test_unknown_place_is_404(client, db):
    assert client.get("/lieux/nulle-part/").status_code == 404


def test_closed_place_page_still_answers_but_offers_no_join(client_for, make_place, make_user):
    place = make_place("Fermé", status="closed")
    html = client_for(make_user()).get(place.get_absolute_url()).content.decode()
    assert "/rejoindre/" not in html


def test_page_shows_the_visitor_their_own_request(client_for, place_a, make_user):
    person = make_user()
    Membership.objects.create(place=place_a, user=person)
    response = client_for(person).get(place_a.get_absolute_url())
    assert response.context["own_membership"].state == "pending"
    assert response.context["join_form"] is None


def test_place_page_query_count_is_constant(
    client, place_a, make_user, django_assert_max_num_queries
):
    for i in range(15):
        Membership.objects.create(
            place=place_a, user=make_user(f"Member {i}"), state="active", is_visible=True
        )
    with django_assert_max_num_queries(10):
        client.get(place_a.get_absolute_url())
