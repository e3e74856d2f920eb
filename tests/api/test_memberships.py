"""Memberships through the API: ask to join, list (managers), accept/decline/change/end, leave."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, error_fields
from tiers.places.models import Membership, Place

JOIN = "/api/v1/places/le-quai/memberships"


def membership_of(user, place) -> Membership:
    return Membership.objects.filter(user=user, place=place).latest("requested_at")


@pytest.fixture
def newcomer(make_user):
    return make_user("Newcomer")


@pytest.fixture
def request_a(newcomer, place_a) -> Membership:
    """A pending request to join place A."""
    return Membership.objects.create(user=newcomer, place=place_a, message="Bonjour !")


def url(membership: Membership) -> str:
    return f"/api/v1/memberships/{membership.pk}"


# --- asking to join ---------------------------------------------------------------------


def test_ask_to_join(api_as, newcomer, place_a) -> None:
    response = api_as(newcomer).post(
        JOIN, {"status": "resident", "message": "Je cherche un bureau.", "is_visible": True}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    membership = Membership.objects.get(pk=body["id"])
    assert membership.user == newcomer and membership.place == place_a
    assert membership.state == body["state"] == "pending"
    assert membership.status == "resident" and membership.is_visible
    assert membership.message == "Je cherche un bureau."
    assert body["place"] == "le-quai"
    assert body["user"]["display_name"] == "Newcomer"
    assert response["Location"].endswith(f"/memberships/{membership.pk}")


def test_ask_to_join_defaults_to_occasional_user(api_as, newcomer, place_a) -> None:
    assert api_as(newcomer).post(JOIN, {}).status_code == 201
    assert membership_of(newcomer, place_a).status == Membership.Status.USER


def test_visitor_cannot_ask_to_join(api_as, place_a) -> None:
    assert_problem(api_as(None).post(JOIN, {}), 401, "unauthenticated")
    assert not Membership.objects.exists()


@pytest.mark.parametrize(
    ("who", "code"),
    [("member_a", "already_member"), ("manager_a", "already_member")],
)
def test_members_cannot_ask_again(request, as_persona, place_a, who, code) -> None:
    api = as_persona(who)
    before = Membership.objects.count()
    response = api.post(JOIN, {})
    assert_problem(response, 409, code)
    assert Membership.objects.count() == before


def test_asking_twice_is_a_conflict(api_as, newcomer, place_a) -> None:
    api = api_as(newcomer)
    assert api.post(JOIN, {}).status_code == 201
    assert_problem(api.post(JOIN, {}), 409, "already_asked")
    assert Membership.objects.filter(user=newcomer).count() == 1


def test_closed_place_takes_no_request(api_as, newcomer, place_a) -> None:
    Place.objects.filter(pk=place_a.pk).update(status=Place.Status.CLOSED)
    assert_problem(api_as(newcomer).post(JOIN, {}), 409, "closed")
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"status": "owner"}, {"status"}),
        ({"message": "x" * 1001}, {"message"}),
        ({"message": "a\x00b"}, {"message"}),
        ({"is_visible": "yes"}, {"is_visible"}),
        ({"is_manager": True}, {"is_manager"}),
    ],
)
def test_ask_to_join_bad_input(api_as, newcomer, place_a, body, fields) -> None:
    assert error_fields(api_as(newcomer).post(JOIN, body)) == fields
    assert not Membership.objects.filter(user=newcomer).exists()


def test_ask_to_join_unknown_place(api_as, newcomer) -> None:
    assert_problem(api_as(newcomer).post("/api/v1/places/nowhere/memberships", {}), 404)


# --- listing: the place's managers only -------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 401),
        ("member_a", 403),
        ("concierge_a", 403),
        ("manager_b", 403),
        ("coordinator", 403),
        ("manager_a", 200),
        ("admin", 200),
    ],
)
def test_list_memberships_per_persona(as_persona, request_a, persona, status) -> None:
    response = as_persona(persona).get(JOIN)
    if status == 200:
        body = response.json()
        assert response.status_code == 200
        assert request_a.pk in [m["id"] for m in body["results"]]
    else:
        body = assert_problem(response, status)
        assert "Newcomer" not in response.content.decode()


def test_list_memberships_filter_and_pagination(api_as, manager_a, member_a, request_a) -> None:
    api = api_as(manager_a)
    pending = api.get(JOIN, {"state": "pending"}).json()
    assert [m["id"] for m in pending["results"]] == [request_a.pk]
    assert pending["results"][0]["message"] == "Bonjour !"
    everyone = api.get(JOIN, {"limit": "1"}).json()
    assert everyone["count"] == 3  # the request, member A, manager A
    assert len(everyone["results"]) == 1 and everyone["next"]
    assert error_fields(api.get(JOIN, {"state": "sleeping"})) == {"state"}


# --- managers decide --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 401),
        ("member_a", 403),
        ("concierge_a", 403),
        ("manager_b", 403),
        ("coordinator", 403),
        ("manager_a", 200),
        ("admin", 200),
    ],
)
def test_accept_per_persona(as_persona, request_a, persona, status) -> None:
    response = as_persona(persona).patch(url(request_a), {"action": "accept"})
    request_a.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert response.json()["state"] == request_a.state == "active"
        assert request_a.started_on is not None
    else:
        assert_problem(response, status)
        assert request_a.state == "pending"


def test_newcomer_cannot_accept_their_own_request(api_as, newcomer, request_a) -> None:
    assert_problem(api_as(newcomer).patch(url(request_a), {"action": "accept"}), 403)
    request_a.refresh_from_db()
    assert request_a.state == "pending"


def test_accept_with_a_status(api_as, manager_a, request_a) -> None:
    response = api_as(manager_a).patch(url(request_a), {"action": "accept", "status": "resident"})
    assert response.json()["status"] == "resident"
    request_a.refresh_from_db()
    assert request_a.status == "resident" and request_a.decided_by == manager_a


def test_decline(api_as, manager_a, request_a) -> None:
    response = api_as(manager_a).patch(url(request_a), {"action": "decline"})
    assert response.status_code == 200
    request_a.refresh_from_db()
    assert request_a.state == "declined"


def test_accepting_twice_is_a_conflict(api_as, manager_a, request_a) -> None:
    api = api_as(manager_a)
    assert api.patch(url(request_a), {"action": "accept"}).status_code == 200
    assert_problem(api.patch(url(request_a), {"action": "accept"}), 409, "not_pending")
    assert_problem(api.patch(url(request_a), {"action": "decline"}), 409, "not_pending")
    request_a.refresh_from_db()
    assert request_a.state == "active"


def test_change_status_and_roles(api_as, manager_a, member_a, place_a) -> None:
    membership = membership_of(member_a, place_a)
    response = api_as(manager_a).patch(
        url(membership), {"action": "change", "status": "resident", "is_concierge": True}
    )
    assert response.status_code == 200, response.content
    membership.refresh_from_db()
    assert membership.status == "resident"
    assert membership.is_concierge and not membership.is_manager  # omitted: kept


def test_change_a_pending_request_is_a_conflict(api_as, manager_a, request_a) -> None:
    response = api_as(manager_a).patch(url(request_a), {"action": "change", "is_manager": True})
    assert_problem(response, 409, "not_active")
    request_a.refresh_from_db()
    assert not request_a.is_manager


def test_last_manager_cannot_step_down(api_as, manager_a, place_a) -> None:
    membership = membership_of(manager_a, place_a)
    api = api_as(manager_a)
    response = api.patch(url(membership), {"action": "change", "is_manager": False})
    assert_problem(response, 409, "last_manager")
    assert_problem(api.patch(url(membership), {"action": "end"}), 409, "last_manager")
    assert_problem(api.delete(url(membership)), 409, "last_manager")
    membership.refresh_from_db()
    assert membership.is_manager and membership.state == "active"


def test_end_a_membership(api_as, manager_a, member_a, place_a) -> None:
    membership = membership_of(member_a, place_a)
    response = api_as(manager_a).patch(url(membership), {"action": "end"})
    assert response.json()["state"] == "ended"
    membership.refresh_from_db()
    assert membership.state == "ended" and membership.ended_on is not None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"action"}),
        ({"action": "promote"}, {"action"}),
        ({"action": "accept", "status": "owner"}, {"status"}),
        ({"action": "decline", "status": "resident"}, {"status"}),
        ({"action": "end", "is_manager": True}, {"is_manager"}),
        ({"action": "change", "is_manager": "yes"}, {"is_manager"}),
        ({"action": "change", "place": "la-fabrique"}, {"place"}),
    ],
)
def test_membership_action_bad_input(api_as, manager_a, request_a, body, fields) -> None:
    assert error_fields(api_as(manager_a).patch(url(request_a), body)) == fields
    request_a.refresh_from_db()
    assert request_a.state == "pending"


def test_unknown_membership_is_404(api_as, manager_a) -> None:
    assert_problem(api_as(manager_a).patch("/api/v1/memberships/999999", {"action": "end"}), 404)
    assert_problem(api_as(manager_a).delete("/api/v1/memberships/999999"), 404)
    assert_problem(api_as(manager_a).delete("/api/v1/memberships/abc"), 404)


# --- leaving ---------------------------------------------------------------------------


def test_member_leaves(api_as, member_a, place_a) -> None:
    membership = membership_of(member_a, place_a)
    response = api_as(member_a).delete(url(membership))
    assert response.status_code == 204
    assert response.content == b""
    membership.refresh_from_db()
    assert membership.state == "ended"
    # leaving twice
    assert_problem(api_as(member_a).delete(url(membership)), 409, "already_ended")


def test_newcomer_withdraws_their_request(api_as, newcomer, request_a) -> None:
    assert api_as(newcomer).delete(url(request_a)).status_code == 204
    request_a.refresh_from_db()
    assert request_a.state == "ended"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 401),
        ("concierge_a", 403),
        ("manager_b", 403),
        ("coordinator", 403),
        ("manager_a", 204),
        ("admin", 204),
    ],
)
def test_ending_someone_elses_membership_per_persona(
    as_persona, member_a, place_a, persona, status
) -> None:
    membership = membership_of(member_a, place_a)
    response = as_persona(persona).delete(url(membership))
    membership.refresh_from_db()
    assert response.status_code == status
    assert membership.state == ("ended" if status == 204 else "active")


def test_a_manager_leaves_when_another_remains(api_as, manager_a, make_user, place_a) -> None:
    other = make_user("Other manager")
    Membership.objects.create(user=other, place=place_a, state="active", is_manager=True)
    membership = membership_of(manager_a, place_a)
    assert api_as(manager_a).delete(url(membership)).status_code == 204
    membership.refresh_from_db()
    assert membership.state == "ended" and not membership.is_manager
