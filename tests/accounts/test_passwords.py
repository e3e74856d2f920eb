"""Password reset by e-mail (Django's views, our templates and paths) and password change."""

from __future__ import annotations

from unittest import mock

from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.accounts.conftest import link_in
from tests.conftest import PASSWORD

RESET = reverse("accounts:password_reset")
NEW = "a-brand-new-passphrase-42"


def test_paths_are_french():
    assert RESET == "/compte/mot-de-passe/oubli/"
    assert reverse("accounts:password_change") == "/compte/mot-de-passe/changer/"


def test_reset_page(client, db):
    response = client.get(RESET)
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()


def _reset(client: Client, email: str, new: str = NEW):
    response = client.post(RESET, {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    path = link_in(mail.outbox[-1], "/compte/mot-de-passe/nouveau/")
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_path = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    return client.post(set_path, {"new_password1": new, "new_password2": new})


def test_reset_by_email(client, member_a, settings):
    response = _reset(client, member_a.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    message = mail.outbox[0]
    assert message.to == [member_a.email]
    assert settings.SITE_URL + "/compte/mot-de-passe/nouveau/" in message.body
    member_a.refresh_from_db()
    assert member_a.check_password(NEW)
    assert client.get(response["Location"]).status_code == 200


def test_the_reset_link_is_built_on_the_site_address_not_the_host_header(client, member_a):
    client.post(RESET, {"email": member_a.email}, HTTP_HOST="localhost")
    assert "http://127.0.0.1:8000/compte/mot-de-passe/nouveau/" in mail.outbox[0].body


def test_the_reset_email_is_written_in_the_person_language(client, make_user, settings):
    settings.LANGUAGE_CODE = "fr"
    person = make_user("Reader", language="en")
    seen = []
    real = render_to_string

    def spy(template_name, *args, **kwargs):
        if "password_reset" in str(template_name):
            seen.append(translation.get_language())
        return real(template_name, *args, **kwargs)

    with mock.patch("django.contrib.auth.forms.loader.render_to_string", side_effect=spy):
        client.post(RESET, {"email": person.email}, HTTP_ACCEPT_LANGUAGE="fr")
    assert len(mail.outbox) == 1
    assert seen == ["en", "en"]  # subject and body, though the page was in French


def test_a_reset_confirms_the_address(client, make_user):
    person = make_user("Unverified", verified=False)
    _reset(client, person.email)
    person.refresh_from_db()
    assert person.email_verified_at is not None


def test_a_reset_clears_failed_logins(client, member_a, settings):
    settings.LOGIN_RATE_LIMIT = 2
    login = reverse("accounts:login")
    for n in range(2):
        client.post(
            login, {"username": member_a.email, "password": "x"}, REMOTE_ADDR=f"192.0.2.{n}"
        )
    assert (
        client.post(
            login, {"username": member_a.email, "password": "x"}, REMOTE_ADDR="192.0.2.9"
        ).status_code
        == 429
    )
    _reset(client, member_a.email)
    response = client.post(
        login, {"username": member_a.email, "password": NEW}, REMOTE_ADDR="192.0.2.10"
    )
    assert response.status_code == 302


def test_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post(RESET, {"email": "nobody@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_reset_with_a_weak_password_changes_nothing(client, member_a):
    response = _reset(client, member_a.email, new="12345678")
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    member_a.refresh_from_db()
    assert member_a.check_password(PASSWORD)


def test_a_reset_link_works_once(client, member_a):
    client.post(RESET, {"email": member_a.email})
    path = link_in(mail.outbox[0], "/compte/mot-de-passe/nouveau/")
    first = client.get(path, follow=True)
    client.post(first.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    again = Client().get(path, follow=True)
    assert "This link is not valid" in again.content.decode()


def test_a_forged_reset_link_is_refused(client, member_a):
    response = client.get("/compte/mot-de-passe/nouveau/MQ/abc-def/")
    assert response.status_code == 200
    assert "This link is not valid" in response.content.decode()


def test_reset_emails_to_one_address_are_limited(client, member_a):
    for _ in range(3):
        assert client.post(RESET, {"email": member_a.email}).status_code == 302
    response = client.post(RESET, {"email": member_a.email})
    assert response.status_code == 429
    assert len(mail.outbox) == 3


# Change from the profile ---------------------------------------------------------------------

CHANGE = reverse("accounts:password_change")


def test_change_password(client_for, member_a):
    client = client_for(member_a)
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response["Location"] == reverse("accounts:profile")
    member_a.refresh_from_db()
    assert member_a.check_password(NEW)
    # Still signed in on this browser.
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_change_password_shows_a_message(client_for, member_a):
    client = client_for(member_a)
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert "Your password has been changed" in response.content.decode()


def test_change_password_needs_the_old_one(client_for, member_a):
    response = client_for(member_a).post(
        CHANGE, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    member_a.refresh_from_db()
    assert member_a.check_password(PASSWORD)


def test_change_password_refuses_a_weak_one(client_for, member_a):
    response = client_for(member_a).post(
        CHANGE, {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"}
    )
    assert response.status_code == 200
    member_a.refresh_from_db()
    assert member_a.check_password(PASSWORD)


def test_change_password_needs_a_person(client, db):
    assert client.get(CHANGE)["Location"].startswith(reverse("accounts:login"))
