"""The places' part of a person's data (tiers.places.personal_data): memberships and coordinated
networks in the export and on the profile page, the last manager's erasure refused, and what
erasing an account does to memberships and networks."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tiers.accounts import services
from tiers.accounts.models import User
from tiers.places.models import Membership

EXPORT = reverse("accounts:data_export")
ERASE = reverse("accounts:erase")
PROFILE = reverse("accounts:profile")


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    # Pages are asserted in English; French is the site's default language.
    settings.LANGUAGE_CODE = "en"


def _erase(client: Client, password: str = PASSWORD):
    return client.post(ERASE, {"password": password})


# Export ------------------------------------------------------------------------------------------


def test_export_holds_the_memberships_and_networks(
    client_for, member_a, place_b, network, settings
):
    network.coordinators.add(member_a)
    Membership.objects.create(
        place=place_b, user=member_a, state=Membership.State.PENDING, message="Hello!"
    )
    data = json.loads(client_for(member_a).get(EXPORT).content)

    by_place = {m["place"]: m for m in data["memberships"]}
    assert set(by_place) == {"Le Quai", "La Fabrique"}
    assert by_place["Le Quai"]["state"] == "active"
    assert by_place["Le Quai"]["started_on"]
    assert by_place["Le Quai"]["place_url"] == settings.SITE_URL + "/lieux/le-quai/"
    assert by_place["La Fabrique"]["state"] == "pending"
    assert by_place["La Fabrique"]["message"] == "Hello!"
    assert by_place["La Fabrique"]["requested_at"]

    assert data["networks_coordinated"] == [
        {"name": "Réseau Ouest", "url": settings.SITE_URL + "/reseaux/reseau-ouest/"}
    ]


def test_export_holds_nothing_about_others(client_for, member_a, manager_b):
    data = json.loads(client_for(member_a).get(EXPORT).content)
    assert [m["place"] for m in data["memberships"]] == ["Le Quai"]
    assert "La Fabrique" not in json.dumps(data)
    assert data["networks_coordinated"] == []


# Profile page ------------------------------------------------------------------------------------


def test_memberships_are_listed_with_links(client_for, member_a, place_b):
    Membership.objects.create(place=place_b, user=member_a, state=Membership.State.PENDING)
    body = client_for(member_a).get(PROFILE).content.decode()
    assert f'href="/lieux/{member_a.memberships.first().place.slug}/"' in body
    assert ">Le Quai</a>" in body
    assert ">La Fabrique</a>" in body
    assert "Asked to join" in body
    assert "Occasional user" in body


def test_the_memberships_of_others_are_not_shown(client_for, member_a, manager_b):
    body = client_for(member_a).get(PROFILE).content.decode()
    assert "La Fabrique" not in body


def test_a_person_without_places_is_shown_the_directory(client_for, make_user):
    body = client_for(make_user("Newcomer")).get(PROFILE).content.decode()
    assert "My places" in body
    assert "You are not a member of any place yet." in body
    assert f'href="{reverse("places:directory")}"' in body


def test_the_networks_i_coordinate_are_listed(client_for, coordinator):
    body = client_for(coordinator).get(PROFILE).content.decode()
    assert "Networks I coordinate" in body
    assert '<a href="/reseaux/reseau-ouest/">Réseau Ouest</a>' in body


def test_the_profile_page_does_a_bounded_number_of_queries(
    client_for, member_a, make_place, django_assert_max_num_queries
):
    for n in range(10):
        Membership.objects.create(place=make_place(f"Place {n}"), user=member_a)
    client = client_for(member_a)
    with django_assert_max_num_queries(10):
        client.get(PROFILE)


# Erasure -----------------------------------------------------------------------------------------


def test_erasing_ends_memberships_and_leaves_networks(client_for, member_a, place_b, network):
    pending = Membership.objects.create(place=place_b, user=member_a, message="Let me in!")
    network.coordinators.add(member_a)

    response = _erase(client_for(member_a))
    assert response["Location"] == reverse("places:directory")
    member_a.refresh_from_db()
    assert member_a.erased_at is not None
    assert not network.coordinators.filter(pk=member_a.pk).exists()

    # Memberships end but stay: the places keep their history.
    memberships = Membership.objects.filter(user=member_a)
    assert memberships.count() == 2
    assert set(memberships.values_list("state", flat=True)) == {Membership.State.ENDED}
    assert memberships.get(place__slug="le-quai").ended_on is not None
    assert memberships.get(pk=pending.pk).state == Membership.State.ENDED


def test_erasing_clears_the_messages_of_all_memberships(member_a, place_b, make_place):
    Membership.objects.filter(user=member_a).update(message="I work on bikes.")
    Membership.objects.create(place=place_b, user=member_a, message="Let me in!")
    Membership.objects.create(
        place=make_place("Ancienne"), user=member_a, state=Membership.State.DECLINED,
        message="Please?",
    )  # fmt: skip
    services.account_erase(user=member_a)
    memberships = Membership.objects.filter(user=member_a)
    assert memberships.count() == 3
    assert set(memberships.values_list("message", flat=True)) == {""}
    # A declined request stays declined: only current memberships are ended.
    assert memberships.get(place__slug="ancienne").state == Membership.State.DECLINED


def test_erasing_leaves_the_memberships_of_others(member_a, manager_a, place_a):
    Membership.objects.filter(user=manager_a).update(message="I run the place.")
    services.account_erase(user=member_a)
    kept = Membership.objects.get(user=manager_a)
    assert (kept.state, kept.message) == (Membership.State.ACTIVE, "I run the place.")


def test_the_last_manager_of_a_place_must_hand_over_first(client_for, manager_a, place_a):
    client = client_for(manager_a)
    page = client.get(ERASE).content.decode()
    assert "last manager" in page
    assert place_a.name in page
    response = _erase(client)
    assert response.status_code == 200
    assert "You are the last manager of Le Quai" in response.content.decode()
    manager_a.refresh_from_db()
    assert manager_a.is_active
    assert manager_a.erased_at is None
    assert manager_a.display_name == "Manager A"
    assert Membership.objects.get(user=manager_a).state == Membership.State.ACTIVE


def test_the_service_refuses_the_last_manager_and_changes_nothing(
    manager_a, place_b, make_place, network
):
    Membership.objects.create(place=place_b, user=manager_a, message="Hello")
    network.coordinators.add(manager_a)
    other = make_place("L'Atelier")
    Membership.objects.create(
        place=other, user=manager_a, state=Membership.State.ACTIVE, is_manager=True
    )
    with pytest.raises(services.AccountError) as caught:
        services.account_erase(user=manager_a)
    assert caught.value.code == "last-manager"
    assert str(caught.value.message) == (
        "You are the last manager of L'Atelier, Le Quai. Make someone else a manager "
        "before erasing your account."
    )
    assert Membership.objects.filter(user=manager_a, state="pending", message="Hello").exists()
    assert Membership.objects.filter(user=manager_a, state="active").count() == 2
    assert network.coordinators.filter(pk=manager_a.pk).exists()
    manager_a.refresh_from_db()
    assert manager_a.is_active


def test_a_manager_with_a_co_manager_can_erase(client_for, manager_a, make_user, place_a):
    other = make_user("Other manager")
    Membership.objects.create(
        place=place_a, user=other, state=Membership.State.ACTIVE, is_manager=True
    )
    assert services.account_erase_blockers(user=manager_a) == []
    _erase(client_for(manager_a))
    manager_a.refresh_from_db()
    assert manager_a.erased_at is not None
    ended = Membership.objects.get(user=manager_a)
    assert ended.state == Membership.State.ENDED
    assert not ended.is_manager


def test_the_place_history_shows_a_former_member(client_for, member_a, manager_a, place_a):
    services.account_erase(user=member_a)
    body = (
        client_for(manager_a).get(reverse("places:members", args=[place_a.slug])).content.decode()
    )
    assert "Member A" not in body
    assert "Former member" in body


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_co_managers_erasing_at_once_leave_one_manager(make_user, make_place):
    """Real concurrent connections: one erasure goes through, the other is refused."""
    place = make_place("Le Hangar")
    one, two = make_user("One"), make_user("Two")
    for person in (one, two):
        Membership.objects.create(
            place=place, user=person, state=Membership.State.ACTIVE, is_manager=True
        )
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def erase(person: User) -> None:
        start.wait()
        try:
            for _ in range(100):
                try:
                    services.account_erase(user=person)
                except OperationalError as exc:
                    # SQLite's in-memory test database answers "table is locked" at once
                    # instead of waiting like a database file does: wait and retry.
                    assert "locked" in str(exc)
                    time.sleep(0.02)
                    continue
                outcomes.append("erased")
                break
        except services.AccountError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=erase, args=(p,)) for p in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["erased", "last-manager"]
    assert Membership.objects.filter(place=place, state="active", is_manager=True).count() == 1
