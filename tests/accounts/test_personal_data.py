"""Personal data: the JSON export and the erasure of an account."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tiers.accounts import services
from tiers.accounts.models import ApiToken, User
from tiers.places.models import Membership

EXPORT = reverse("accounts:data_export")
ERASE = reverse("accounts:erase")


# Export ------------------------------------------------------------------------------------------


def test_export_holds_everything_about_the_person(client_for, member_a, place_b, network, settings):
    member_a.bio = "Bike repairs"
    member_a.skills = "soldering, bread"
    member_a.save(update_fields=["bio", "skills"])
    network.coordinators.add(member_a)
    Membership.objects.create(
        place=place_b, user=member_a, state=Membership.State.PENDING, message="Hello!"
    )
    token, raw = ApiToken.issue(user=member_a, name="sync script")

    response = client_for(member_a).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="tiers-personal-data-')
    data = json.loads(response.content)

    assert data["format"] == "tiers-personal-data"
    profile = data["profile"]
    assert profile["email"] == member_a.email
    assert profile["display_name"] == "Member A"
    assert profile["bio"] == "Bike repairs"
    assert profile["skills"] == ["soldering", "bread"]
    assert profile["email_verified_at"]
    assert profile["date_joined"]

    by_place = {m["place"]: m for m in data["memberships"]}
    assert set(by_place) == {"Le Quai", "La Fabrique"}
    assert by_place["Le Quai"]["state"] == "active"
    assert by_place["Le Quai"]["started_on"]
    assert by_place["Le Quai"]["place_url"] == settings.SITE_URL + "/lieux/le-quai/"
    assert by_place["La Fabrique"]["state"] == "pending"
    assert by_place["La Fabrique"]["message"] == "Hello!"
    assert by_place["La Fabrique"]["requested_at"]

    assert data["api_tokens"] == [
        {
            "name": "sync script",
            "hint": token.hint,
            "created_at": data["api_tokens"][0]["created_at"],
            "last_used_at": None,
        }
    ]
    assert token.token_hash not in response.content.decode()
    assert raw not in response.content.decode()

    assert data["networks_coordinated"] == [
        {"name": "Réseau Ouest", "url": settings.SITE_URL + "/reseaux/reseau-ouest/"}
    ]


def test_export_holds_nothing_about_others(client_for, member_a, manager_a, manager_b):
    ApiToken.issue(user=manager_a, name="not yours")
    body = client_for(member_a).get(EXPORT).content.decode()
    assert manager_a.email not in body
    assert "not yours" not in body
    assert "La Fabrique" not in body


def test_apps_can_add_their_part(member_a):
    @services.personal_data_exporter("test_section")
    def export(user: User) -> dict:
        return {"who": user.display_name}

    try:
        assert services.personal_data_export(member_a)["test_section"] == {"who": "Member A"}
    finally:
        services._exporters.pop("test_section")


def test_export_needs_a_person(client, db):
    assert client.get(EXPORT)["Location"].startswith(reverse("accounts:login"))


# Erasure -----------------------------------------------------------------------------------------


def _erase(client: Client, password: str = PASSWORD, capture=None):
    if capture is None:
        return client.post(ERASE, {"password": password})
    with capture(execute=True):
        return client.post(ERASE, {"password": password})


def test_erase_page(client_for, member_a):
    response = client_for(member_a).get(ERASE)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_erase_my_account(
    client_for, member_a, place_b, network, make_image, django_capture_on_commit_callbacks
):
    client = client_for(member_a)
    client.post(reverse("accounts:profile"), {
        "display_name": "Member A", "bio": "Bike repairs", "skills": "bread",
        "language": "en", "avatar": make_image(),
    })  # fmt: skip
    member_a.refresh_from_db()
    avatar = member_a.avatar.name
    assert default_storage.exists(avatar)
    old_email = member_a.email
    pending = Membership.objects.create(place=place_b, user=member_a)
    network.coordinators.add(member_a)
    _token, raw = ApiToken.issue(user=member_a, name="script")

    response = _erase(client, capture=django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("places:directory")
    assert "_auth_user_id" not in client.session

    member_a.refresh_from_db()
    assert member_a.email != old_email
    assert member_a.email.endswith(".invalid")
    assert member_a.display_name == "Former member"
    assert (member_a.bio, member_a.skills, member_a.avatar.name) == ("", "", "")
    assert not member_a.has_usable_password()
    assert not member_a.is_active
    assert member_a.email_verified_at is None
    assert member_a.erased_at is not None
    assert not default_storage.exists(avatar)
    assert not ApiToken.objects.filter(user=member_a).exists()
    assert ApiToken.authenticate(raw) is None
    assert not network.coordinators.filter(pk=member_a.pk).exists()

    # Memberships end but stay: the places keep their history.
    memberships = Membership.objects.filter(user=member_a)
    assert memberships.count() == 2
    assert set(memberships.values_list("state", flat=True)) == {Membership.State.ENDED}
    assert memberships.get(place__slug="le-quai").ended_on is not None
    assert memberships.get(pk=pending.pk).state == Membership.State.ENDED

    # Nothing of the old address is left, and it can sign up again.
    assert not User.objects.filter(email__iexact=old_email).exists()
    assert [m.to for m in mail.outbox] == [[old_email]]
    assert "erased" in mail.outbox[0].subject


def test_erased_placeholders_are_unique(make_user):
    one, two = make_user("One"), make_user("Two")
    services.account_erase(user=one)
    services.account_erase(user=two)
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.email != two.email


def test_an_erased_person_cannot_log_in(client, member_a):
    old_email = member_a.email
    services.account_erase(user=member_a)
    response = client.post(reverse("accounts:login"), {"username": old_email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_other_sessions_of_the_person_end(client_for, member_a):
    elsewhere = client_for(member_a)
    services.account_erase(user=member_a)
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302


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


def test_the_service_refuses_the_last_manager_and_changes_nothing(manager_a, place_b):
    Membership.objects.create(place=place_b, user=manager_a)
    ApiToken.issue(user=manager_a, name="kept")
    with pytest.raises(services.AccountError) as caught:
        services.account_erase(user=manager_a)
    assert caught.value.code == "last-manager"
    assert ApiToken.objects.filter(user=manager_a).exists()
    assert Membership.objects.filter(user=manager_a, state="pending").exists()
    manager_a.refresh_from_db()
    assert manager_a.is_active


def test_a_manager_with_a_co_manager_can_erase(client_for, manager_a, make_user, place_a):
    other = make_user("Other manager")
    Membership.objects.create(
        place=place_a, user=other, state=Membership.State.ACTIVE, is_manager=True
    )
    _erase(client_for(manager_a))
    manager_a.refresh_from_db()
    assert manager_a.erased_at is not None
    ended = Membership.objects.get(user=manager_a)
    assert ended.state == Membership.State.ENDED
    assert not ended.is_manager


def test_a_wrong_password_erases_nothing(client_for, member_a):
    response = _erase(client_for(member_a), password="not my password")
    assert response.status_code == 200
    assert "This password is not correct." in response.content.decode()
    member_a.refresh_from_db()
    assert member_a.is_active
    assert member_a.erased_at is None


def test_erase_needs_a_person(client, db):
    assert client.post(ERASE, {"password": PASSWORD})["Location"].startswith(
        reverse("accounts:login")
    )


def test_erasing_twice_does_the_work_once(member_a):
    services.account_erase(user=member_a)
    member_a.refresh_from_db()
    first = (member_a.email, member_a.erased_at)
    services.account_erase(user=member_a)
    member_a.refresh_from_db()
    assert (member_a.email, member_a.erased_at) == first


def test_apps_can_erase_their_part(member_a):
    seen: list[int] = []

    def eraser(user: User) -> None:
        seen.append(user.pk)

    services.personal_data_eraser(eraser)
    try:
        services.account_erase(user=member_a)
    finally:
        services._erasers.remove(eraser)
    assert seen == [member_a.pk]


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
