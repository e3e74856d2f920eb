"""POST /api/v1/places and PATCH /api/v1/places/{slug}: who may, and what is refused."""

from __future__ import annotations

import json

import pytest
from django.forms.models import model_to_dict

from tests.api.conftest import assert_problem, error_fields
from tiers.places.models import Membership, Place

QUAI = "/api/v1/places/le-quai"


def snapshot(place: Place) -> dict:
    place.refresh_from_db()
    data = model_to_dict(place, exclude=["kinds"])
    data["kinds"] = place.kind_codes()
    data["updated_at"] = place.updated_at
    return data


# --- who may change a place ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 401),
        ("member_a", 403),
        ("concierge_a", 403),
        ("manager_b", 403),
        ("manager_a", 200),
        ("coordinator", 200),
        ("admin", 200),
    ],
)
def test_patch_place_a_per_persona(as_persona, place_a, persona, status) -> None:
    before = snapshot(place_a)
    response = as_persona(persona).patch(QUAI, {"short_description": "Changé"})
    place_a.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert response.json()["short_description"] == "Changé"
        assert place_a.short_description == "Changé"
    else:
        body = assert_problem(response, status)
        assert body["type"].endswith("unauthenticated" if status == 401 else "forbidden")
        assert snapshot(place_a) == before
    if status == 401:
        assert response["WWW-Authenticate"] == "Bearer"


def test_patch_unknown_place_is_404(as_persona, db) -> None:
    assert_problem(as_persona("admin").patch("/api/v1/places/nowhere", {"name": "X"}), 404)


def test_patch_changes_only_the_fields_sent(api_as, place_a, manager_a) -> None:
    place_a.phone = "0102030405"
    place_a.save()
    response = api_as(manager_a).patch(
        QUAI,
        {
            "name": "Le Quai des Possibles",
            "kinds": ["coworking", "epn"],
            "services": ["Wi-Fi", "Imprimante"],
            "links": ["https://example.org/a", "https://example.org/b"],
            "latitude": 47.66,
            "longitude": -2.09,
            "opening_hours": "Mo-Sa 10:00-19:00",
            "wheelchair": "full",
            "website": "lequai.example.org",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    place_a.refresh_from_db()
    assert place_a.name == body["name"] == "Le Quai des Possibles"
    assert place_a.slug == "le-quai"  # the address does not change with the name
    assert sorted(place_a.kind_codes()) == sorted(body["kinds"]) == ["coworking", "epn"]
    assert place_a.services == body["services"] == ["Wi-Fi", "Imprimante"]
    assert place_a.links == ["https://example.org/a", "https://example.org/b"]
    assert (place_a.latitude, place_a.longitude) == (47.66, -2.09)
    assert place_a.opening_hours == "Mo-Sa 10:00-19:00"
    assert place_a.wheelchair == "full"
    assert place_a.website == "https://lequai.example.org"  # as the web form does
    assert place_a.phone == "0102030405"  # untouched
    assert place_a.town == "Redon"
    # the search text follows the name
    assert Place.objects.search("possibles").get() == place_a


def test_patch_can_clear_fields(api_as, place_a, manager_a) -> None:
    response = api_as(manager_a).patch(
        QUAI, {"latitude": None, "longitude": None, "opening_hours": None, "kinds": []}
    )
    assert response.status_code == 200, response.content
    place_a.refresh_from_db()
    assert place_a.latitude is None and place_a.longitude is None
    assert place_a.opening_hours == ""
    assert place_a.kind_codes() == []


def test_patch_with_an_empty_body_changes_nothing(api_as, place_a, manager_a) -> None:
    before = snapshot(place_a)
    response = api_as(manager_a).patch(QUAI, {})
    assert response.status_code == 200
    assert snapshot(place_a) == before


def test_patch_is_not_refused_for_an_old_invalid_value_it_does_not_touch(
    api_as, place_a, manager_a
) -> None:
    Place.objects.filter(pk=place_a.pk).update(legal_id="12345")  # e.g. an old import
    response = api_as(manager_a).patch(QUAI, {"town": "Redon Agglo"})
    assert response.status_code == 200, response.content
    place_a.refresh_from_db()
    assert place_a.town == "Redon Agglo" and place_a.legal_id == "12345"
    # ...but it is refused when the request sends it
    assert error_fields(api_as(manager_a).patch(QUAI, {"legal_id": "12345"})) == {"legal_id"}


# --- bad input: 422 with the fields, nothing stored ------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"postcode": "1234"}, {"postcode"}),
        ({"postcode": "00100"}, {"postcode"}),
        ({"insee_code": "ABCDE"}, {"insee_code"}),
        ({"latitude": 91, "longitude": 2}, {"latitude"}),
        ({"latitude": 47, "longitude": -181}, {"longitude"}),
        ({"latitude": None}, {"__all__"}),  # longitude alone
        ({"latitude": "47.1"}, {"latitude"}),
        ({"latitude": True}, {"latitude"}),
        ({"latitude": [47]}, {"latitude"}),
        ({"opening_hours": "whenever we feel like it"}, {"opening_hours"}),
        ({"opening_hours": "Mo-Fr 09:00-18:00; " * 20}, {"opening_hours"}),
        ({"legal_id": "12345678901234"}, {"legal_id"}),  # bad check digit
        ({"legal_id": "ABC"}, {"legal_id"}),
        ({"website": "javascript:alert(1)"}, {"website"}),
        ({"website": "http://"}, {"website"}),
        ({"links": ["not a url"]}, {"links"}),
        ({"links": "https://example.org"}, {"links"}),
        ({"links": [f"https://example.org/{n}" for n in range(11)]}, {"links"}),
        ({"services": ["x" * 101]}, {"services.0"}),
        ({"services": [f"s{n}" for n in range(31)]}, {"services"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"phone": "12"}, {"phone"}),
        ({"name": ""}, {"name"}),
        ({"name": None}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": 123}, {"name"}),
        ({"name": {"fr": "Le Quai"}}, {"name"}),
        ({"short_description": "x" * 301}, {"short_description"}),
        ({"description": "x" * 20001}, {"description"}),
        ({"accessibility": "x" * 2001}, {"accessibility"}),
        ({"address": "x" * 1_000_000}, {"address"}),
        ({"name": "Le\x00Quai"}, {"name"}),
        ({"kinds": "coworking"}, {"kinds"}),
        ({"kinds": ["castle"]}, {"kinds.0"}),
        ({"status": "dreaming"}, {"status"}),
        ({"wheelchair": "sometimes"}, {"wheelchair"}),
        ({"slug": "new-address"}, {"slug"}),
        ({"search_text": "x"}, {"search_text"}),
        ({"name": "Nouveau nom", "postcode": "ABCDE"}, {"postcode"}),
    ],
)
def test_patch_bad_input(api_as, place_a, manager_a, body, fields) -> None:
    before = snapshot(place_a)
    response = api_as(manager_a).patch(QUAI, body)
    assert error_fields(response) == fields
    errors = response.json()["errors"]
    assert all(error["message"] for error in errors)
    assert snapshot(place_a) == before


@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "Le Quai"',  # truncated
        "name=Le+Quai",
        '{"latitude": NaN, "longitude": 2}',
        '{"latitude": Infinity, "longitude": 2}',
        '{"latitude": 1e999, "longitude": 2}',
        b"\xff\xfe{}",
        '["name", "Le Quai"]',
        '"Le Quai"',
        "null",
    ],
)
def test_patch_malformed_body_is_422(api_as, place_a, manager_a, raw) -> None:
    before = snapshot(place_a)
    response = api_as(manager_a).patch(QUAI, raw=raw)
    assert_problem(response, 422, "validation")
    assert response.json()["errors"]
    assert snapshot(place_a) == before


def test_oversized_body_is_413(api_as, place_a, manager_a, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(manager_a).patch(QUAI, {"description": "x" * 2000})
    assert_problem(response, 413, "too-large")


XSS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }} {% now 'Y' %}",
    "'; DROP TABLE places_place; --",
]


@pytest.mark.parametrize("text", XSS)
def test_markup_is_stored_and_returned_as_plain_text(api_as, place_a, manager_a, text) -> None:
    api = api_as(manager_a)
    response = api.patch(
        QUAI, {"short_description": text, "description": text, "accessibility": text}
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    body = api.get(QUAI).json()
    assert body["short_description"] == body["description"] == body["accessibility"] == text
    place_a.refresh_from_db()
    assert place_a.description == text
    assert Place.objects.count() >= 1


# --- creating a place -----------------------------------------------------------------------


def test_create_place_makes_the_creator_its_manager(api_as, make_user) -> None:
    person = make_user("Camille")
    response = api_as(person).post(
        "/api/v1/places",
        {
            "name": "La Ruche d'Été",
            "kinds": ["coworking", "cafe"],
            "postcode": "35600",
            "town": "Redon",
            "latitude": 47.65,
            "longitude": -2.08,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "la-ruche-dete"
    assert response["Location"] == "/api/v1/places/la-ruche-dete"
    place = Place.objects.get(slug="la-ruche-dete")
    assert place.status == Place.Status.OPEN
    assert sorted(place.kind_codes()) == ["cafe", "coworking"]
    membership = Membership.objects.get(place=place)
    assert membership.user == person
    assert membership.is_manager and membership.state == Membership.State.ACTIVE
    # and so this person may now change it
    assert api_as(person).patch(body["api_url"], {"town": "Redon"}).status_code == 200


def test_create_place_gives_a_new_slug_when_the_name_is_taken(api_as, place_a, make_user) -> None:
    response = api_as(make_user()).post("/api/v1/places", {"name": "Le Quai"})
    assert response.status_code == 201
    assert response.json()["slug"] == "le-quai-2"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("visitor", 401), ("member_a", 201), ("manager_b", 201), ("admin", 201)],
)
def test_create_place_per_persona(as_persona, db, persona, status) -> None:
    response = as_persona(persona).post("/api/v1/places", {"name": "Nouveau lieu"})
    assert response.status_code == status
    assert Place.objects.filter(name="Nouveau lieu").exists() == (status == 201)


def test_create_place_needs_a_verified_email(api_as, make_user) -> None:
    response = api_as(make_user(verified=False)).post("/api/v1/places", {"name": "Lieu"})
    body = assert_problem(response, 403, "forbidden")
    assert "e-mail" in body["detail"]
    assert not Place.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "Lieu", "postcode": "999"}, {"postcode"}),
        ({"name": "Lieu", "latitude": 47.1}, {"__all__"}),
        ({"name": "Lieu", "opening_hours": "sometimes"}, {"opening_hours"}),
        ({"name": "Lieu", "kinds": ["coworking", "castle"]}, {"kinds.1"}),
        ({"name": "Lieu", "id": 1}, {"id"}),
    ],
)
def test_create_place_bad_input(api_as, make_user, body, fields) -> None:
    response = api_as(make_user()).post("/api/v1/places", body)
    assert error_fields(response) == fields
    assert not Place.objects.exists()
    assert not Membership.objects.exists()


def test_create_place_reports_every_field_in_error(api_as, make_user) -> None:
    response = api_as(make_user()).post(
        "/api/v1/places", {"name": "Lieu", "postcode": "1", "legal_id": "2", "website": "a b"}
    )
    assert error_fields(response) == {"postcode", "legal_id", "website"}
    detail = json.loads(response.content)["detail"]
    assert detail
