"""Log in and out; the rate limit against password guessing; the language cookie."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD

LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.LOGIN_RATE_LIMIT = 3
    settings.LOGIN_RATE_WINDOW = 300


def _login(client: Client, email: str, password: str, ip: str = "192.0.2.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert reverse("accounts:password_reset") in response.content.decode()


def test_login_with_the_right_password(client, member_a):
    response = _login(client, member_a.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("places:directory")
    assert _signed_in(client)


def test_login_ignores_the_case_and_spaces_of_the_address(client, member_a):
    response = _login(client, "  " + member_a.email.upper() + " ", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_login_with_a_wrong_password(client, member_a):
    response = _login(client, member_a.email, "wrong password")
    assert response.status_code == 200
    assert not _signed_in(client)
    assert 'role="alert"' in response.content.decode()


def test_login_follows_next(client, member_a):
    response = client.post(
        LOGIN + "?next=/compte/profil/",
        {"username": member_a.email, "password": PASSWORD, "next": "/compte/profil/"},
    )
    assert response["Location"] == "/compte/profil/"


def test_unverified_people_can_log_in_and_ask_to_join(client, make_user, place_a):
    person = make_user("New", verified=False)
    assert _login(client, person.email, PASSWORD).status_code == 302
    client.post(reverse("places:join", args=[place_a.slug]), {"status": "user"})
    assert place_a.memberships.filter(user=person, state="pending").exists()


def test_logout_by_post(client, member_a):
    client.force_login(member_a)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not _signed_in(client)


def test_login_sets_the_language_cookie_from_the_profile(client, make_user):
    person = make_user("Anglophone", language="en")
    response = _login(client, person.email, PASSWORD)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("accounts:profile"))
    assert '<html lang="en">' in page.content.decode()


def test_a_failed_login_does_not_set_the_language_cookie(client, make_user):
    person = make_user("Anglophone", language="en")
    response = _login(client, person.email, "wrong password")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


# Rate limit ------------------------------------------------------------------------------------


def test_too_many_failures_for_one_address_are_refused_without_checking(client, member_a):
    for n in range(3):  # each from another client address: the e-mail's counter refuses
        assert _login(client, member_a.email, "guess", ip=f"192.0.2.{n + 1}").status_code == 200
    with mock.patch("django.contrib.auth.forms.authenticate") as authenticate:
        response = _login(client, member_a.email, PASSWORD, ip="192.0.2.99")
    assert authenticate.call_count == 0  # the password was not even checked
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "Too many login attempts" in body
    assert 'role="alert"' in body
    assert not _signed_in(client)


def test_too_many_failures_from_one_client_address_are_refused(client, make_user):
    people = [make_user(f"Person {n}") for n in range(4)]
    for person in people[:3]:
        assert _login(client, person.email, "guess").status_code == 200
    response = _login(client, people[3].email, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    # Another client address is not concerned.
    assert _login(client, people[3].email, PASSWORD, ip="198.51.100.7").status_code == 302


def test_the_limit_counts_attempts_with_a_blank_address_per_client(client, db):
    for _ in range(3):
        assert _login(client, "", "guess").status_code == 200
    assert _login(client, "", "guess").status_code == 429


def test_successful_logins_do_not_count(client, member_a):
    for _ in range(5):
        assert _login(client, member_a.email, PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
    assert _login(client, member_a.email, PASSWORD).status_code == 302


def test_a_success_clears_the_address_failures(client, member_a):
    _login(client, member_a.email, "guess", ip="192.0.2.1")
    _login(client, member_a.email, "guess", ip="192.0.2.2")
    assert _login(client, member_a.email, PASSWORD, ip="192.0.2.3").status_code == 302
    client.post(reverse("accounts:logout"))
    # Without the reset, this would be the 4th attempt for this address.
    _login(client, member_a.email, "guess", ip="192.0.2.4")
    _login(client, member_a.email, "guess", ip="192.0.2.5")
    assert _login(client, member_a.email, PASSWORD, ip="192.0.2.6").status_code == 302


def test_the_limit_follows_the_settings(client, member_a, settings):
    settings.LOGIN_RATE_LIMIT = 1
    assert _login(client, member_a.email, "guess").status_code == 200
    assert _login(client, member_a.email, PASSWORD).status_code == 429


def test_the_refusal_says_how_long_to_wait(client, member_a, settings):
    settings.LOGIN_RATE_WINDOW = 600
    for _ in range(3):
        _login(client, member_a.email, "guess")
    response = _login(client, member_a.email, PASSWORD)
    assert "wait 10 minutes" in response.content.decode()
    assert 540 < int(response["Retry-After"]) <= 600


def test_the_refusal_goes_through_the_translations(client, member_a):
    for _ in range(3):
        _login(client, member_a.email, "guess")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    seen = []

    def fake_ngettext(singular: str, plural: str, n: int) -> str:
        seen.append(translation.get_language())
        return "Trop de tentatives : attendez %(minutes)d minutes."

    with mock.patch("tiers.accounts.views.ngettext", side_effect=fake_ngettext):
        response = _login(client, member_a.email, PASSWORD)
    assert response.status_code == 429
    assert seen == ["fr"]
    assert "Trop de tentatives : attendez 5 minutes." in response.content.decode()
