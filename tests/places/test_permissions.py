"""Every write path of places, memberships and networks, tried by each persona.

Managers edit their place and run its members; coordinators edit the directory entries of
their network's places (not the memberships); nobody else writes.
"""

from __future__ import annotations

import pytest

from tiers.places.models import Membership, Place

ALLOWED, FORBIDDEN, LOGIN = "allowed", "forbidden", "login"

VALID_PLACE = {
    "name": "Le Quai rénové",
    "kinds": ["coworking", "fablab"],
    "status": "open",
    "postcode": "35600",
    "town": "Redon",
    "latitude": "47.65",
    "longitude": "-2.08",
    "opening_hours": "Mo-Fr 09:00-18:00",
}


def outcome(response) -> str:
    if response.status_code == 302 and "/compte/connexion/" in response["Location"]:
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    assert response.status_code in (200, 302), response.status_code
    return ALLOWED


PERSONAS = ["visitor", "member_a", "concierge_a", "manager_a", "manager_b", "coordinator", "admin"]


def persona_client(request, client_for, name):
    user = None if name == "visitor" else request.getfixturevalue(name)
    return client_for(user)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("visitor", LOGIN),
        ("member_a", FORBIDDEN),
        ("concierge_a", FORBIDDEN),
        ("manager_a", ALLOWED),
        ("manager_b", FORBIDDEN),
        ("coordinator", ALLOWED),
        ("admin", ALLOWED),
    ],
)
def test_edit_place(request, client_for, place_a, persona, expected):
    client = persona_client(request, client_for, persona)
    url = f"/lieux/{place_a.slug}/modifier/"
    assert outcome(client.get(url)) == expected
    response = client.post(url, VALID_PLACE)
    assert outcome(response) == expected
    place_a.refresh_from_db()
    assert (place_a.name == "Le Quai rénové") == (expected == ALLOWED)
    if expected == ALLOWED:
        assert sorted(place_a.kind_codes()) == ["coworking", "fablab"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("visitor", LOGIN),
        ("member_a", FORBIDDEN),
        ("manager_a", ALLOWED),
        ("manager_b", FORBIDDEN),
        ("coordinator", FORBIDDEN),
        ("admin", ALLOWED),
    ],
)
def test_members_page_and_actions(request, client_for, place_a, make_user, persona, expected):
    asker = make_user("Asker")
    pending = Membership.objects.create(place=place_a, user=asker)
    client = persona_client(request, client_for, persona)
    assert outcome(client.get(f"/lieux/{place_a.slug}/membres/")) == expected
    response = client.post(
        f"/lieux/{place_a.slug}/membres/{pending.pk}/accept/", {"status": "user"}
    )
    assert outcome(response) == expected
    pending.refresh_from_db()
    assert (pending.state == Membership.State.ACTIVE) == (expected == ALLOWED)


@pytest.mark.parametrize("persona", ["member_a", "manager_b", "coordinator"])
def test_non_managers_cannot_end_or_promote_a_membership(request, client_for, place_a, persona):
    client = persona_client(request, client_for, persona)
    target = Membership.objects.create(
        place=place_a, user=request.getfixturevalue("make_user")("Target"), state="active"
    )
    for action, data in [("change", {"status": "resident", "is_manager": "on"}), ("end", {})]:
        response = client.post(f"/lieux/{place_a.slug}/membres/{target.pk}/{action}/", data)
        assert response.status_code == 403
    target.refresh_from_db()
    assert target.state == "active" and not target.is_manager


def test_a_manager_of_b_cannot_act_on_a_membership_of_a_through_b(
    client_for, place_a, place_b, manager_b, make_user
):
    target = Membership.objects.create(place=place_a, user=make_user("Target"))
    response = client_for(manager_b).post(
        f"/lieux/{place_b.slug}/membres/{target.pk}/accept/", {"status": "user"}
    )
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.state == Membership.State.PENDING


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("visitor", LOGIN),
        ("member_a", FORBIDDEN),
        ("manager_a", FORBIDDEN),
        ("manager_b", FORBIDDEN),
        ("coordinator", ALLOWED),
        ("admin", ALLOWED),
    ],
)
def test_edit_network(request, client_for, network, place_b, persona, expected):
    client = persona_client(request, client_for, persona)
    url = f"/reseaux/{network.slug}/modifier/"
    assert outcome(client.get(url)) == expected
    assert outcome(client.post(url, {"add_place": place_b.slug})) == expected
    assert network.places.filter(pk=place_b.pk).exists() == (expected == ALLOWED)


@pytest.mark.parametrize("persona", PERSONAS)
def test_photos_page_only_for_editors(request, client_for, place_a, persona):
    client = persona_client(request, client_for, persona)
    expected = {
        "visitor": LOGIN,
        "manager_a": ALLOWED,
        "coordinator": ALLOWED,
        "admin": ALLOWED,
    }.get(persona, FORBIDDEN)
    assert outcome(client.get(f"/lieux/{place_a.slug}/photos/")) == expected


def test_only_verified_people_may_add_a_place(client_for, make_user):
    unverified = make_user("New", verified=False)
    response = client_for(unverified).post("/lieux/nouveau/", VALID_PLACE)
    assert response.status_code == 302
    assert not Place.objects.filter(name=VALID_PLACE["name"]).exists()

    verified = make_user("Verified")
    response = client_for(verified).post("/lieux/nouveau/", VALID_PLACE)
    place = Place.objects.get(name=VALID_PLACE["name"])
    assert response["Location"] == place.get_absolute_url()
    assert place.memberships.get(user=verified).is_manager


def test_visitor_is_sent_to_login_to_join(client, place_a):
    response = client.post(f"/lieux/{place_a.slug}/rejoindre/", {"status": "user"})
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"]
    assert not place_a.memberships.exists()


def test_write_pages_refuse_get_where_only_post_makes_sense(client_for, manager_a, place_a):
    client = client_for(manager_a)
    assert client.get(f"/lieux/{place_a.slug}/rejoindre/").status_code == 405
    assert client.get(f"/lieux/{place_a.slug}/quitter/").status_code == 405
