"""Joining a place, and what its managers do with the requests."""

from __future__ import annotations

import pytest

from tiers.places import services
from tiers.places.models import Membership
from tiers.places.services import MembershipError


def test_ask_accept_change_end(client_for, place_a, manager_a, make_user):
    person = make_user("Newcomer")
    client = client_for(person)
    response = client.post(
        f"/lieux/{place_a.slug}/rejoindre/",
        {"status": "resident", "message": "Bonjour !", "is_visible": "on"},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    membership = Membership.objects.get(place=place_a, user=person)
    assert membership.state == Membership.State.PENDING
    assert membership.status == Membership.Status.RESIDENT

    manager = client_for(manager_a)
    page = manager.get(f"/lieux/{place_a.slug}/membres/").content.decode()
    assert "Newcomer" in page and "Bonjour !" in page
    manager.post(f"/lieux/{place_a.slug}/membres/{membership.pk}/accept/", {"status": "user"})
    membership.refresh_from_db()
    assert membership.state == Membership.State.ACTIVE
    assert membership.status == Membership.Status.USER
    assert membership.decided_by == manager_a
    assert membership.started_on is not None

    manager.post(
        f"/lieux/{place_a.slug}/membres/{membership.pk}/change/",
        {"status": "beneficiary", "is_concierge": "on"},
    )
    membership.refresh_from_db()
    assert membership.status == Membership.Status.BENEFICIARY
    assert membership.is_concierge and not membership.is_manager

    manager.post(f"/lieux/{place_a.slug}/membres/{membership.pk}/end/")
    membership.refresh_from_db()
    assert membership.state == Membership.State.ENDED
    assert membership.ended_on is not None
    assert not membership.is_concierge


def test_visible_members_only_appear_on_the_place_page(client, place_a, make_user):
    shown = make_user("Shown Person")
    hidden = make_user("Hidden Person")
    Membership.objects.create(place=place_a, user=shown, state="active", is_visible=True)
    Membership.objects.create(place=place_a, user=hidden, state="active", is_visible=False)
    html = client.get(place_a.get_absolute_url()).content.decode()
    assert "Shown Person" in html
    assert "Hidden Person" not in html


def test_asking_twice_is_refused(place_a, make_user):
    person = make_user()
    services.membership_request(place=place_a, user=person, status="user")
    with pytest.raises(MembershipError) as excinfo:
        services.membership_request(place=place_a, user=person, status="user")
    assert excinfo.value.code == "already_asked"
    assert Membership.objects.filter(place=place_a, user=person).count() == 1


def test_a_member_cannot_ask_again(place_a, member_a):
    with pytest.raises(MembershipError) as excinfo:
        services.membership_request(place=place_a, user=member_a, status="user")
    assert excinfo.value.code == "already_member"


def test_closed_places_take_no_request(make_place, make_user):
    closed = make_place("Fermé", status="closed")
    with pytest.raises(MembershipError):
        services.membership_request(place=closed, user=make_user(), status="user")
    assert not closed.memberships.exists()


def test_the_last_manager_cannot_leave_nor_be_demoted(place_a, manager_a):
    membership = place_a.memberships.get(user=manager_a)
    with pytest.raises(MembershipError) as excinfo:
        services.membership_end(membership=membership, by=manager_a)
    assert excinfo.value.code == "last_manager"
    with pytest.raises(MembershipError):
        services.membership_change(
            membership=membership, by=manager_a, status="resident", is_manager=False,
            is_concierge=False,
        )  # fmt: skip
    membership.refresh_from_db()
    assert membership.state == "active" and membership.is_manager


def test_accepting_an_already_decided_request_is_refused(place_a, manager_a, make_user):
    request_ = services.membership_request(place=place_a, user=make_user(), status="user")
    stale_copy = Membership.objects.get(pk=request_.pk)
    services.membership_decline(membership=request_, by=manager_a)
    with pytest.raises(MembershipError) as excinfo:
        services.membership_accept(membership=stale_copy, by=manager_a)
    assert excinfo.value.code == "stale"
    assert Membership.objects.get(pk=request_.pk).state == Membership.State.DECLINED


def test_a_person_can_ask_again_after_leaving(place_a, member_a):
    membership = place_a.memberships.get(user=member_a)
    services.membership_end(membership=membership, by=member_a)
    again = services.membership_request(place=place_a, user=member_a, status="resident")
    assert again.state == Membership.State.PENDING
    assert place_a.memberships.filter(user=member_a).count() == 2


def test_leaving_through_the_page(client_for, place_a, member_a):
    client_for(member_a).post(f"/lieux/{place_a.slug}/quitter/")
    assert place_a.memberships.get(user=member_a).state == Membership.State.ENDED


def test_bad_status_is_refused(client_for, place_a, manager_a, make_user):
    person = make_user()
    response = client_for(person).post(f"/lieux/{place_a.slug}/rejoindre/", {"status": "king"})
    assert response.status_code == 302
    assert not place_a.memberships.filter(user=person).exists()
    pending = Membership.objects.create(place=place_a, user=make_user())
    client_for(manager_a).post(
        f"/lieux/{place_a.slug}/membres/{pending.pk}/accept/", {"status": "king"}
    )
    pending.refresh_from_db()
    assert pending.state == Membership.State.PENDING
