"""The public directory: search, filters, pagination, the no-JS list, and its query count."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tiers.places.models import Place


def names(response) -> list[str]:
    return [p.name for p in response.context["places"]]


@pytest.fixture
def places(make_place, network) -> dict[str, Place]:
    mediatheque = make_place(
        "Espace numérique de la Médiathèque", kinds=["epn"], town="Roubaix", postcode="59100",
        latitude=50.6927, longitude=3.1778, opening_hours="Mo-Su 00:00-24:00",
    )  # fmt: skip
    fablab = make_place(
        "FabLab des Deux Rives", kinds=["fablab", "workshop"], town="Strasbourg",
        postcode="67000", latitude=48.5762, longitude=7.7843, opening_hours="Mo-Su off",
        description="Découpe laser et impression 3D.",
    )  # fmt: skip
    lille = make_place(
        "Coworking de Lille", kinds=["coworking"], town="Lille", postcode="59000",
        latitude=50.6292, longitude=3.0573,
    )  # fmt: skip
    closed = make_place("Ancien Lieu Fermé", status=Place.Status.CLOSED)
    network.places.add(fablab)
    return {"mediatheque": mediatheque, "fablab": fablab, "lille": lille, "closed": closed}


def test_directory_lists_open_and_project_places_but_not_closed_ones(client, places):
    response = client.get("/")
    assert response.status_code == 200
    listed = names(response)
    assert "Ancien Lieu Fermé" not in listed
    assert {"Espace numérique de la Médiathèque", "FabLab des Deux Rives"} <= set(listed)


@pytest.mark.parametrize("query", ["mediatheque", "MÉDIATHÈQUE", "médiathèque roubaix"])
def test_search_ignores_accents_and_case(client, places, query):
    assert names(client.get("/", {"q": query})) == ["Espace numérique de la Médiathèque"]


def test_search_looks_into_descriptions_and_towns(client, places):
    assert names(client.get("/", {"q": "decoupe laser"})) == ["FabLab des Deux Rives"]
    assert names(client.get("/", {"q": "strasbourg"})) == ["FabLab des Deux Rives"]


def test_filter_by_kind(client, places):
    assert names(client.get("/", {"kind": "fablab"})) == ["FabLab des Deux Rives"]
    both = client.get("/", {"kind": ["fablab", "workshop"]})
    assert names(both) == ["FabLab des Deux Rives"]


def test_filter_by_network(client, places, place_a):
    assert sorted(names(client.get("/", {"network": "reseau-ouest"}))) == [
        "FabLab des Deux Rives",
        "Le Quai",
    ]


def test_near_a_town_orders_by_distance(client, places):
    response = client.get("/", {"town": "Roubaix", "radius_km": "50"})
    assert names(response) == ["Espace numérique de la Médiathèque", "Coworking de Lille"]
    assert response.context["places"][1].distance_km == pytest.approx(12.3, abs=1.5)


def test_near_a_town_is_accent_insensitive_and_knows_postcodes(client, places):
    assert "Coworking de Lille" in names(client.get("/", {"town": "LILLE"}))
    assert "Coworking de Lille" in names(client.get("/", {"town": "59000"}))


def test_near_an_unknown_town_says_so(client, places):
    response = client.get("/", {"town": "Trifouillis-les-Oies"})
    assert names(response) == []
    assert response.context["town_not_found"]
    assert "Trifouillis-les-Oies" in response.content.decode()


def test_near_coordinates_with_radius(client, places):
    response = client.get("/", {"near": "48.58,7.75", "radius_km": "10"})
    assert names(response) == ["FabLab des Deux Rives"]


def test_open_now_uses_the_opening_hours(client, places):
    # a Sunday evening: only the place open around the clock is open (Le Quai is Mo-Fr 9-18)
    sunday = dt.datetime(2026, 3, 29, 20, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with mock.patch.object(timezone, "now", return_value=sunday):
        assert names(client.get("/", {"open_now": "1"})) == ["Espace numérique de la Médiathèque"]
    tuesday = dt.datetime(2026, 3, 31, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with mock.patch.object(timezone, "now", return_value=tuesday):
        assert names(client.get("/", {"open_now": "1"})) == [
            "Espace numérique de la Médiathèque",
            "Le Quai",
        ]


def test_open_now_follows_the_clock(client, make_place):
    make_place("Le Matin", opening_hours="Mo-Su 08:00-12:00")
    morning = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # 10:00 in Paris
    evening = dt.datetime(2026, 3, 10, 19, 0, tzinfo=dt.UTC)
    with mock.patch.object(timezone, "now", return_value=morning):
        assert names(client.get("/", {"open_now": "1"})) == ["Le Matin"]
    with mock.patch.object(timezone, "now", return_value=evening):
        assert names(client.get("/", {"open_now": "1"})) == []


@pytest.mark.parametrize(
    "params",
    [
        {"near": "abc"},
        {"near": "91,2"},
        {"near": "nan,2"},
        {"radius_km": "-3"},
        {"radius_km": "1e9"},
        {"kind": "spaceport"},
        {"bbox": "1,2,3"},
        {"open_now": "maybe"},
        {"q": "caf\x00e"},
        {"network": "\x00"},
        {"town": "Lille\x00"},
        {"kind": "fablab\x00"},
    ],
)
def test_bad_filters_show_a_message_not_an_error(client, places, params):
    response = client.get("/", params)
    assert response.status_code == 200
    assert response.context["filter_error"]
    # the page falls back to the unfiltered list
    assert len(names(response)) == 4


def test_pagination_keeps_the_filters(client, make_place):
    for i in range(30):
        make_place(f"Lieu {i:02d}", kinds=["fablab"])
    first = client.get("/", {"kind": "fablab"})
    assert len(names(first)) == 24
    html = first.content.decode()
    assert "?kind=fablab&amp;page=2" in html
    second = client.get("/", {"kind": "fablab", "page": "2"})
    assert names(second) == ["Lieu 24", "Lieu 25", "Lieu 26", "Lieu 27", "Lieu 28", "Lieu 29"]
    assert client.get("/", {"page": "abc"}).status_code == 200
    assert client.get("/", {"page": "9999"}).status_code == 200


def test_the_list_is_plain_html_with_links(client, places):
    html = client.get("/").content.decode()
    assert '<a href="/lieux/fablab-des-deux-rives/">FabLab des Deux Rives</a>' in html
    assert 'name="q"' in html and 'method="get"' in html


def test_directory_query_count_does_not_grow_with_places(
    client, make_place, django_assert_max_num_queries
):
    for i in range(3):
        make_place(f"Petit {i}", kinds=["fablab", "coworking"])
    with django_assert_max_num_queries(8) as small:
        client.get("/")
    for i in range(40):
        make_place(f"Grand {i}", kinds=["fablab", "coworking"])
    with django_assert_max_num_queries(8) as large:
        client.get("/")
    assert len(large.captured_queries) == len(small.captured_queries)
