"""Networks through the API: read by everybody, changed by their coordinators and admins."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, error_fields
from tiers.places.models import Network, Place

OUEST = "/api/v1/networks/reseau-ouest"


def test_list_networks(api_as, network, place_a, make_place) -> None:
    closed = make_place("Ancien Lieu", status=Place.Status.CLOSED)
    network.places.add(closed)
    Network.objects.create(name="Autre Réseau", slug="autre")
    body = api_as(None).get("/api/v1/networks").json()
    assert body["count"] == 2
    assert [(n["slug"], n["place_count"]) for n in body["results"]] == [
        ("autre", 0),
        ("reseau-ouest", 1),  # the closed place is not counted
    ]
    assert body["results"][1]["url"] == "http://testserver/reseaux/reseau-ouest/"
    paged = api_as(None).get("/api/v1/networks", {"limit": "1", "offset": "1"}).json()
    assert [n["slug"] for n in paged["results"]] == ["reseau-ouest"]
    assert paged["previous"] and not paged["next"]


def test_network_detail_lists_place_slugs(api_as, network, place_a, place_b) -> None:
    network.places.add(place_b)
    body = api_as(None).get(OUEST).json()
    assert body["name"] == "Réseau Ouest"
    assert body["places"] == ["la-fabrique", "le-quai"]
    assert body["place_count"] == 2


def test_unknown_network_is_404(api_as, db) -> None:
    assert_problem(api_as(None).get("/api/v1/networks/nowhere"), 404, "not-found")


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 401),
        ("member_a", 403),
        ("manager_a", 403),
        ("manager_b", 403),
        ("coordinator", 200),
        ("admin", 200),
    ],
)
def test_patch_network_per_persona(as_persona, network, persona, status) -> None:
    response = as_persona(persona).patch(OUEST, {"description": "Les tiers-lieux de l'Ouest."})
    network.refresh_from_db()
    assert response.status_code == status, response.content
    changed = network.description == "Les tiers-lieux de l'Ouest."
    assert changed == (status == 200)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"website": "javascript:alert(1)"}, {"website"}),
        ({"description": 3}, {"description"}),
        ({"slug": "autre"}, {"slug"}),
    ],
)
def test_patch_network_bad_input(api_as, coordinator, network, body, fields) -> None:
    assert error_fields(api_as(coordinator).patch(OUEST, body)) == fields
    network.refresh_from_db()
    assert network.name == "Réseau Ouest" and network.slug == "reseau-ouest"
    assert network.website == "" and network.description == ""


def test_patch_network_website(api_as, coordinator, network) -> None:
    response = api_as(coordinator).patch(OUEST, {"website": "ouest.example.org"})
    assert response.json()["website"] == "https://ouest.example.org"
    network.refresh_from_db()
    assert network.website == "https://ouest.example.org"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("visitor", 401), ("manager_b", 403), ("coordinator", 200), ("admin", 200)],
)
def test_add_place_per_persona(as_persona, network, place_b, persona, status) -> None:
    response = as_persona(persona).post(f"{OUEST}/places", {"place": "la-fabrique"})
    assert response.status_code == status
    assert network.places.filter(pk=place_b.pk).exists() == (status == 200)
    if status == 200:
        assert "la-fabrique" in response.json()["places"]


def test_adding_twice_changes_nothing(api_as, coordinator, network, place_a) -> None:
    response = api_as(coordinator).post(f"{OUEST}/places", {"place": "le-quai"})
    assert response.status_code == 200
    assert response.json()["places"] == ["le-quai"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [({"place": "nowhere"}, {"place"}), ({"place": "a/b"}, {"place"}), ({}, {"place"})],
)
def test_add_place_bad_input(api_as, coordinator, network, body, fields) -> None:
    assert error_fields(api_as(coordinator).post(f"{OUEST}/places", body)) == fields
    assert list(network.places.values_list("slug", flat=True)) == ["le-quai"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 401),
        ("manager_a", 403),  # a place's manager does not run the network
        ("coordinator", 204),
        ("admin", 204),
    ],
)
def test_remove_place_per_persona(as_persona, network, place_a, persona, status) -> None:
    response = as_persona(persona).delete(f"{OUEST}/places/le-quai")
    assert response.status_code == status
    assert network.places.filter(pk=place_a.pk).exists() == (status != 204)


def test_removing_a_place_not_in_the_network_is_404(api_as, coordinator, network, place_b):
    assert_problem(api_as(coordinator).delete(f"{OUEST}/places/la-fabrique"), 404)
    assert_problem(api_as(coordinator).delete(f"{OUEST}/places/nowhere"), 404)
