"""The header's language switch: a cookie for everyone, and the saved language of a person
who is signed in (their e-mails are written in it)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

SWITCH = reverse("set_language")
NEXT = reverse("accounts:login")


def _switch(client, language: str):
    return client.post(SWITCH, {"language": language, "next": NEXT})


def test_a_visitor_gets_the_cookie_only(client, member_a):
    response = _switch(client, "en")
    assert response.status_code == 302
    assert response["Location"] == NEXT
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    member_a.refresh_from_db()
    assert member_a.language == "fr"


def test_a_signed_in_person_gets_the_cookie_and_the_language_is_saved(client_for, member_a):
    assert member_a.language == "fr"
    client = client_for(member_a)
    response = _switch(client, "en")
    assert response.status_code == 302
    assert response["Location"] == NEXT
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    member_a.refresh_from_db()
    assert member_a.language == "en"
    assert '<html lang="en">' in client.get(reverse("accounts:profile")).content.decode()

    _switch(client, "fr")
    member_a.refresh_from_db()
    assert member_a.language == "fr"


def test_e_mails_follow_the_switched_language(
    client_for, make_user, django_capture_on_commit_callbacks
):
    client = client_for(make_user("Camille", verified=False))
    for language, subject in [("en", "Confirm your e-mail address"), ("fr", "Confirmez")]:
        _switch(client, language)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:resend_verification"))
        assert subject in mail.outbox[-1].subject


@pytest.mark.parametrize("language", ["xx", "de", "", "en-gb-extra-long", "../fr"])
def test_an_invalid_language_saves_nothing(client_for, member_a, language):
    response = _switch(client_for(member_a), language)
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.language == "fr"


def test_an_invalid_language_sets_no_cookie(client_for, member_a):
    response = _switch(client_for(member_a), "xx")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_a_get_changes_nothing(client_for, member_a):
    response = client_for(member_a).get(SWITCH, {"language": "en", "next": NEXT})
    assert response.status_code in (302, 405)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    member_a.refresh_from_db()
    assert member_a.language == "fr"
