"""Personal data: the JSON export and the erasure of an account, and the registries through
which other apps add their part (their own tests are in their folders, e.g.
tests/places/test_personal_data.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils.html import format_html

from tests.conftest import PASSWORD
from tiers.accounts import services
from tiers.accounts.models import ApiToken, User

EXPORT = reverse("accounts:data_export")
ERASE = reverse("accounts:erase")


# Export ------------------------------------------------------------------------------------------


def test_export_holds_everything_about_the_person(client_for, member_a):
    member_a.bio = "Bike repairs"
    member_a.skills = "soldering, bread"
    member_a.save(update_fields=["bio", "skills"])
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


def test_export_holds_nothing_about_others(client_for, member_a, manager_a):
    ApiToken.issue(user=manager_a, name="not yours")
    body = client_for(member_a).get(EXPORT).content.decode()
    assert manager_a.email not in body
    assert "not yours" not in body


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


def test_erase_my_account(client_for, member_a, make_image, django_capture_on_commit_callbacks):
    client = client_for(member_a)
    client.post(reverse("accounts:profile"), {
        "display_name": "Member A", "bio": "Bike repairs", "skills": "bread",
        "language": "en", "avatar": make_image(),
    })  # fmt: skip
    member_a.refresh_from_db()
    avatar = member_a.avatar.name
    assert default_storage.exists(avatar)
    old_email = member_a.email
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


# Erasure blockers --------------------------------------------------------------------------------


@pytest.fixture
def blocker(monkeypatch) -> Callable[[list[str]], list[tuple[str, int]]]:
    """Register a blocker answering `reasons`, and an eraser; returns the calls, in order."""

    def install(reasons: list[str]) -> list[tuple[str, int]]:
        calls: list[tuple[str, int]] = []

        def block(user: User) -> list[str]:
            calls.append(("blocker", user.pk))
            return reasons

        def erase(user: User) -> None:
            calls.append(("eraser", user.pk))

        monkeypatch.setitem(services._blockers, "test-blocked", block)
        monkeypatch.setattr(services, "_erasers", [*services._erasers, erase])
        return calls

    return install


def test_a_blocker_refuses_the_erasure_and_changes_nothing(member_a, blocker):
    calls = blocker(["Finish your loans first."])
    ApiToken.issue(user=member_a, name="kept")
    with pytest.raises(services.AccountError) as caught:
        services.account_erase(user=member_a)
    assert caught.value.code == "test-blocked"
    assert str(caught.value.message) == "Finish your loans first."
    assert calls == [("blocker", member_a.pk)]  # no eraser ran
    assert ApiToken.objects.filter(user=member_a).exists()
    member_a.refresh_from_db()
    assert member_a.is_active
    assert member_a.erased_at is None


def test_blockers_run_before_the_erasers(member_a, blocker):
    calls = blocker([])
    services.account_erase(user=member_a)
    assert calls == [("blocker", member_a.pk), ("eraser", member_a.pk)]
    member_a.refresh_from_db()
    assert member_a.erased_at is not None


def test_the_erase_page_says_why_before_the_person_tries(client_for, member_a, blocker):
    blocker(["Finish your loans <first>."])
    client = client_for(member_a)
    page = client.get(ERASE).content.decode()
    assert "Finish your loans &lt;first&gt;." in page
    assert 'name="password"' not in page
    response = _erase(client)
    assert response.status_code == 200
    assert "Finish your loans &lt;first&gt;." in response.content.decode()
    member_a.refresh_from_db()
    assert member_a.erased_at is None


def test_the_erase_page_lists_no_blocker_when_there_is_none(client_for, member_a):
    assert services.account_erase_blockers(user=member_a) == []
    assert "cannot be erased yet" not in client_for(member_a).get(ERASE).content.decode()


# Profile sections --------------------------------------------------------------------------------


def test_apps_can_add_a_profile_section(client_for, member_a, monkeypatch):
    def safe_section(request: HttpRequest, user: User) -> str:
        return format_html('<section id="test-section">{}</section>', user.display_name)

    def plain_section(request: HttpRequest, user: User) -> str:
        return "<script>alert(1)</script>"

    monkeypatch.setattr(services, "_profile_sections", [])
    services.profile_section(safe_section)
    services.profile_section(plain_section)
    services.profile_section(safe_section)  # registered once
    body = client_for(member_a).get(reverse("accounts:profile")).content.decode()
    assert body.count('<section id="test-section">Member A</section>') == 1
    # A section that is not marked safe is escaped, not injected.
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
