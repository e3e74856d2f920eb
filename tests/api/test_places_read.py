"""GET /api/v1/places and /api/v1/places/{slug}: the directory as JSON."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import assert_problem, error_fields
from tiers.places.models import Network, Place, PlacePhoto

LIST = "/api/v1/places"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["slug"] for p in response.json()["results"]]


@pytest.fixture
def directory(make_place, place_a, place_b, network) -> dict[str, Place]:
    """Le Quai (Redon, coworking, in the network), La Fabrique (Strasbourg, fablab), and:"""
    return {
        "a": place_a,
        "b": place_b,
        "nantes": make_place(
            "Atelier Partagé", kinds=["workshop", "fablab"], town="Nantes", postcode="44000",
            latitude=47.2184, longitude=-1.5536, opening_hours="24/7",
        ),
        "closed": make_place(
            "Ancien Café", kinds=["cafe"], status=Place.Status.CLOSED, latitude=47.65,
            longitude=-2.08,
        ),
        "project": make_place(
            "Projet Rural", kinds=["rural"], status=Place.Status.PROJECT, opening_hours="off",
        ),
    }  # fmt: skip


def test_list_is_ordered_by_name_and_leaves_closed_places_out(api_as, directory) -> None:
    response = api_as(None).get(LIST)
    assert slugs(response) == ["atelier-partage", "la-fabrique", "le-quai", "projet-rural"]
    body = response.json()
    assert body["count"] == 4
    assert body["next"] is None and body["previous"] is None


def test_list_item_shape(api_as, directory) -> None:
    item = next(p for p in api_as(None).get(LIST).json()["results"] if p["slug"] == "le-quai")
    assert item["name"] == "Le Quai"
    assert item["kinds"] == ["coworking"]
    assert item["networks"] == [{"slug": "reseau-ouest", "name": "Réseau Ouest"}]
    assert item["latitude"] == pytest.approx(47.6519)
    assert item["url"] == "http://testserver/lieux/le-quai/"
    assert item["api_url"] == "http://testserver/api/v1/places/le-quai"
    assert item["distance_km"] is None
    assert item["open_now"] in (True, False)  # Mo-Fr 09:00-18:00: known, so not null


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "fabrique"}, ["la-fabrique"]),
        ({"q": "nantes"}, ["atelier-partage"]),
        ({"kind": "fablab"}, ["atelier-partage", "la-fabrique"]),
        ({"kind": "fablab,workshop"}, ["atelier-partage"]),
        ({"kind": ["fablab", "workshop"]}, ["atelier-partage"]),
        ({"network": "reseau-ouest"}, ["le-quai"]),
        ({"bbox": "-3,47,0,48"}, ["atelier-partage", "le-quai"]),
        ({"status": "closed"}, ["ancien-cafe"]),
        ({"status": "project"}, ["projet-rural"]),
    ],
)
def test_filters(api_as, directory, params, expected) -> None:
    assert slugs(api_as(None).get(LIST, params)) == expected


def test_open_now_filter(api_as, directory) -> None:
    result = slugs(api_as(None).get(LIST, {"open_now": "true"}))
    # The 24/7 workshop is always open, the "off" project never, La Fabrique has no hours;
    # Le Quai depends on the time the test runs.
    assert "atelier-partage" in result
    assert set(result) <= {"atelier-partage", "le-quai"}


def test_near_orders_by_distance_and_gives_it(api_as, directory) -> None:
    body = api_as(None).get(LIST, {"near": "47.65,-2.08", "radius_km": "200"}).json()
    assert [p["slug"] for p in body["results"]] == ["le-quai", "atelier-partage"]
    assert body["count"] == 2
    quai, nantes = body["results"]
    assert quai["distance_km"] < 1
    assert 55 < nantes["distance_km"] < 70  # Redon to Nantes, as the crow flies


def test_town_orders_by_distance_from_the_town(api_as, directory) -> None:
    body = api_as(None).get(LIST, {"town": "Nantes", "radius_km": "100"}).json()
    assert [p["slug"] for p in body["results"]] == ["atelier-partage", "le-quai"]
    assert body["results"][0]["distance_km"] == 0


def test_unknown_town_is_an_empty_page(api_as, directory) -> None:
    body = api_as(None).get(LIST, {"town": "Atlantis"}).json()
    assert body["count"] == 0 and body["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "castle"}, "kind"),
        ({"near": "abc"}, "near"),
        ({"near": "95,2"}, "near"),
        ({"near": "1,2,3"}, "near"),
        ({"bbox": "1,2"}, "bbox"),
        ({"bbox": "2,48,1,47"}, "bbox"),
        ({"bbox": "nan,1,2,3"}, "bbox"),
        ({"radius_km": "0"}, "radius_km"),
        ({"radius_km": "5000"}, "radius_km"),
        ({"radius_km": "far"}, "radius_km"),
        ({"open_now": "maybe"}, "open_now"),
        ({"status": "dreaming"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"page": "0"}, "page"),
        ({"page": "2", "offset": "10"}, "page"),
        ({"q": "caf\x00e"}, "q"),
    ],
)
def test_bad_filters_are_422_naming_the_field(api_as, directory, params, field) -> None:
    assert error_fields(api_as(None).get(LIST, params)) == {field}


def test_pagination_with_limit_and_offset_keeps_the_filters(api_as, directory) -> None:
    api = api_as(None)
    first = api.get(LIST, {"limit": "2", "kind": "fablab,workshop"})
    assert first.json()["count"] == 1
    first = api.get(LIST, {"limit": "2", "q": "a"}).json()
    assert first["count"] == 4
    assert [p["slug"] for p in first["results"]] == ["atelier-partage", "la-fabrique"]
    assert first["previous"] is None
    query = parse_qs(urlsplit(first["next"]).query)
    assert query == {"limit": ["2"], "offset": ["2"], "q": ["a"]}
    second = api.get(urlsplit(first["next"]).path + "?" + urlsplit(first["next"]).query).json()
    assert [p["slug"] for p in second["results"]] == ["le-quai", "projet-rural"]
    assert second["next"] is None
    assert parse_qs(urlsplit(second["previous"]).query)["offset"] == ["0"]


def test_pagination_by_page_number(api_as, directory) -> None:
    api = api_as(None)
    assert slugs(api.get(LIST, {"limit": "3", "page": "2"})) == ["projet-rural"]
    beyond = api.get(LIST, {"limit": "3", "page": "9"}).json()
    assert beyond["results"] == [] and beyond["count"] == 4 and beyond["next"] is None


def test_pagination_near_a_point(api_as, directory) -> None:
    api = api_as(None)
    params = {"near": "47.65,-2.08", "radius_km": "1000", "limit": "1"}
    first = api.get(LIST, params).json()
    second = api.get(LIST, {**params, "offset": "1"}).json()
    assert first["count"] == second["count"] == 3
    assert first["results"][0]["slug"] == "le-quai"
    assert second["results"][0]["slug"] == "atelier-partage"


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow_with_rows(
    api_as, make_place, django_assert_max_num_queries, count
) -> None:
    network = Network.objects.create(name="Réseau", slug="reseau")
    for n in range(count):
        network.places.add(make_place(f"Lieu {n:02d}", kinds=["coworking", "fablab"]))
    api = api_as(None)
    # count, page, kinds, networks
    with django_assert_max_num_queries(4):
        response = api.get(LIST, {"limit": "100", "kind": "coworking", "network": "reseau"})
    results = response.json()["results"]
    assert len(results) == count
    assert all(len(p["kinds"]) == 2 and p["networks"] for p in results)


def test_list_query_count_near_a_point_does_not_grow_with_rows(
    api_as, make_place, django_assert_max_num_queries
) -> None:
    for n in range(30):
        make_place(f"Lieu {n:02d}", latitude=47.6 + n / 1000, longitude=-2.0)
    # distances, page, kinds, networks
    with django_assert_max_num_queries(4):
        response = api_as(None).get(LIST, {"near": "47.6,-2.0", "limit": "100"})
    assert len(response.json()["results"]) == 30


def test_detail_has_every_public_field(api_as, place_a, network) -> None:
    place_a.description = "Un **lieu** partagé."
    place_a.services = ["Wi-Fi", "Café"]
    place_a.links = ["https://example.org/quai"]
    place_a.website = "https://lequai.example.org"
    place_a.legal_id = "W351234567"
    place_a.save()
    PlacePhoto.objects.create(
        place=place_a, image=SimpleUploadedFile("quai.jpg", b"jpeg"), alt="La façade"
    )
    response = api_as(None).get("/api/v1/places/le-quai")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "le-quai"
    assert body["description"] == "Un **lieu** partagé."
    assert body["services"] == ["Wi-Fi", "Café"]
    assert body["links"] == ["https://example.org/quai"]
    assert body["website"] == "https://lequai.example.org"
    assert body["legal_id"] == "W351234567"
    assert body["opening_hours"] == "Mo-Fr 09:00-18:00"
    assert isinstance(body["open_now"], bool)
    assert body["networks"] == [{"slug": "reseau-ouest", "name": "Réseau Ouest"}]
    assert body["kinds"] == ["coworking"]
    assert body["url"] == "http://testserver/lieux/le-quai/"
    [photo] = body["photos"]
    assert photo["alt"] == "La façade"
    assert re.fullmatch(r"http://testserver/.+/places/\d+/quai\w*\.jpg", photo["url"])
    # ISO 8601 with an explicit offset
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d", body["updated_at"])
    expected = {
        "slug", "name", "url", "api_url", "kinds", "status", "short_description", "address",
        "postcode", "town", "latitude", "longitude", "open_now", "networks", "distance_km",
        "description", "insee_code", "opening_hours", "time_zone", "wheelchair",
        "accessibility", "services", "legal_id", "website", "links", "email", "phone",
        "photos", "created_at", "updated_at",
    }  # fmt: skip
    assert set(body) == expected


def test_detail_open_now_is_null_without_hours(api_as, place_b) -> None:
    assert api_as(None).get("/api/v1/places/la-fabrique").json()["open_now"] is None


def test_detail_of_unknown_place_is_a_404_problem(api_as, db) -> None:
    assert_problem(api_as(None).get("/api/v1/places/nowhere"), 404, "not-found")


def test_detail_query_count(api_as, place_a, network, django_assert_max_num_queries) -> None:
    for n in range(5):
        PlacePhoto.objects.create(
            place=place_a, image=SimpleUploadedFile(f"p{n}.jpg", b"x"), alt=f"Photo {n}"
        )
    with django_assert_max_num_queries(4):  # place, kinds, networks, photos
        response = api_as(None).get("/api/v1/places/le-quai")
    assert len(response.json()["photos"]) == 5
