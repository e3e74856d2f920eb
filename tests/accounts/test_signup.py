"""Sign-up and e-mail verification (signed, expiring links), including through a real SMTP server."""

from __future__ import annotations

import asyncio
import email
import re
import time
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import free_port, link_in
from tests.conftest import PASSWORD
from tiers.accounts import services
from tiers.accounts.models import User
from tiers.places.permissions import can_create_place

SIGNUP = reverse("accounts:signup")
GOOD = {
    "display_name": "Camille",
    "email": "Camille@Example.org",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def _signup(client: Client, capture, **changes):
    with capture(execute=True):
        return client.post(SIGNUP, {**GOOD, **changes})


def test_signup_page(client, db):
    response = client.get(SIGNUP)
    assert response.status_code == 200
    assert 'name="display_name"' in response.content.decode()


def test_signup_creates_an_unverified_account_and_sends_the_link(
    client, db, django_capture_on_commit_callbacks
):
    response = _signup(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "camille@example.org"
    assert user.display_name == "Camille"
    assert user.email_verified_at is None
    assert user.check_password(PASSWORD)
    assert user.language == "en"  # the language the page was shown in
    assert "_auth_user_id" in client.session
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille@example.org"]
    assert "/compte/confirmation/" in message.body
    assert not can_create_place(user)


def test_the_link_verifies_the_address(client, db, django_capture_on_commit_callbacks):
    _signup(client, django_capture_on_commit_callbacks)
    path = link_in(mail.outbox[0], "/compte/confirmation/")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get()
    assert user.email_verified_at is not None
    assert can_create_place(user)


def test_the_link_works_without_being_signed_in(db, make_user):
    person = make_user("Later", verified=False)
    client = Client()
    response = client.get(services.verification_url(person).removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    person.refresh_from_db()
    assert person.email_verified_at is not None


def test_a_second_visit_keeps_the_first_date(client, make_user):
    person = make_user("Twice", verified=False)
    path = reverse("accounts:verify_email", args=[services.verification_token(person)])
    client.get(path)
    person.refresh_from_db()
    first = person.email_verified_at
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "already confirmed" in response.content.decode()
    person.refresh_from_db()
    assert person.email_verified_at == first


def test_an_expired_link_is_refused(client, make_user):
    person = make_user("Slow", verified=False)
    four_days_ago = time.time() - 4 * 24 * 3600
    with mock.patch("time.time", return_value=four_days_ago):
        token = services.verification_token(person)
    response = client.get(reverse("accounts:verify_email", args=[token]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "expired" in body
    assert 'role="alert"' in body
    person.refresh_from_db()
    assert person.email_verified_at is None


def test_a_link_within_the_timeout_works(client, make_user):
    person = make_user("In time", verified=False)
    two_days_ago = time.time() - 2 * 24 * 3600
    with mock.patch("time.time", return_value=two_days_ago):
        token = services.verification_token(person)
    assert client.get(reverse("accounts:verify_email", args=[token])).status_code == 302
    person.refresh_from_db()
    assert person.email_verified_at is not None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "not-a-token",
    ],
)
def test_a_forged_link_is_refused(client, make_user, tamper):
    person = make_user("Target", verified=False)
    token = tamper(services.verification_token(person))
    response = client.get(reverse("accounts:verify_email", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    person.refresh_from_db()
    assert person.email_verified_at is None


def test_a_link_signed_for_another_person_does_not_verify_someone_else(client, make_user):
    from django.core import signing

    victim = make_user("Victim", verified=False)
    # A correctly signed token, but with the address hash of someone else.
    token = signing.dumps(
        [victim.pk, services._email_digest("other@example.org")], salt=services.VERIFY_SALT
    )
    assert client.get(reverse("accounts:verify_email", args=[token])).status_code == 400
    victim.refresh_from_db()
    assert victim.email_verified_at is None


def test_a_link_stops_working_when_the_address_changes(client, make_user):
    person = make_user("Mover", verified=False)
    token = services.verification_token(person)
    User.objects.filter(pk=person.pk).update(email="new-address@example.org")
    assert client.get(reverse("accounts:verify_email", args=[token])).status_code == 400
    person.refresh_from_db()
    assert person.email_verified_at is None


def test_the_verification_email_is_written_in_the_person_language(make_user, settings):
    from django.template.loader import render_to_string
    from django.utils import translation

    settings.LANGUAGE_CODE = "fr"
    person = make_user("Reader", language="en", verified=False)
    seen = []

    def spy(template_name, *args, **kwargs):
        seen.append((template_name, translation.get_language()))
        return render_to_string(template_name, *args, **kwargs)

    with mock.patch("tiers.core.mail.render_to_string", side_effect=spy):
        services._send_email(to=person.email, template="verify", context={}, language="en")
    assert seen == [
        ("accounts/email/verify_subject.txt", "en"),
        ("accounts/email/verify_body.txt", "en"),
    ]
    assert len(mail.outbox) == 1


# Bad input -----------------------------------------------------------------------------------


def test_duplicate_address_ignoring_case(client, make_user, django_capture_on_commit_callbacks):
    make_user("First", email="camille@example.org")
    response = _signup(client, django_capture_on_commit_callbacks, email="CAMILLE@example.ORG")
    assert response.status_code == 200
    assert "An account already uses this e-mail address." in response.content.decode()
    assert User.objects.count() == 1
    assert mail.outbox == []


def test_the_database_refuses_a_duplicate_address_ignoring_case(db, make_user):
    # Two sign-ups at the same instant pass the form's check; the constraint stops the second.
    User.objects.create(email="Sam@Example.org", display_name="Sam")  # not lower-cased
    with pytest.raises(services.AccountError) as caught:
        services.account_signup(
            email="sam@example.org", password=PASSWORD, display_name="Sam 2", language="fr"
        )
    assert caught.value.code == "email-taken"
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "too common"),
        ("8302157496213", "entirely numeric"),
        ("short", "too short"),
        ("camille@example.org", "too similar"),
    ],
)
def test_weak_passwords_are_refused(
    client, db, django_capture_on_commit_callbacks, password, message
):
    response = _signup(
        client, django_capture_on_commit_callbacks, password1=password, password2=password
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert mail.outbox == []


def test_mismatched_passwords_are_refused(client, db, django_capture_on_commit_callbacks):
    response = _signup(client, django_capture_on_commit_callbacks, password2=PASSWORD + "x")
    assert response.status_code == 200
    assert response.context["form"].has_error("password2", "password_mismatch")
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["display_name", "email"])
def test_missing_fields_are_refused(client, db, django_capture_on_commit_callbacks, field):
    response = _signup(client, django_capture_on_commit_callbacks, **{field: ""})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not User.objects.exists()


def test_signed_in_people_are_sent_to_their_account(client, member_a):
    client.force_login(member_a)
    assert client.get(SIGNUP)["Location"] == reverse("accounts:profile")


# Sending the link again ------------------------------------------------------------------------


RESEND = reverse("accounts:resend_verification")


def test_resend_the_link(client, make_user, django_capture_on_commit_callbacks):
    person = make_user("Forgetful", verified=False)
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND)
    assert response["Location"] == reverse("accounts:profile")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    client.get(link_in(mail.outbox[0], "/compte/confirmation/"))
    person.refresh_from_db()
    assert person.email_verified_at is not None


def test_resend_is_limited(client, make_user, django_capture_on_commit_callbacks):
    person = make_user("Impatient", verified=False)
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            client.post(RESEND)
    assert len(mail.outbox) == 3
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "sent several times already" in page


def test_resend_when_already_verified_sends_nothing(
    client, member_a, django_capture_on_commit_callbacks
):
    client.force_login(member_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESEND)
    assert mail.outbox == []


def test_resend_needs_a_post_and_a_person(client, make_user):
    assert client.post(RESEND)["Location"].startswith(reverse("accounts:login"))
    client.force_login(make_user("Someone", verified=False))
    assert client.get(RESEND).status_code == 405


def test_a_mail_server_failure_is_not_an_error_page(client, db, django_capture_on_commit_callbacks):
    with mock.patch("tiers.core.mail.EmailMessage.send", side_effect=OSError("refused")):
        response = _signup(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert User.objects.exists()


# Through a real SMTP server ------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def test_the_verification_email_goes_through_smtp(
    client, db, settings, django_capture_on_commit_callbacks
):
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
        response = _signup(client, django_capture_on_commit_callbacks)
    finally:
        controller.stop()
    assert response.status_code == 302
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.rcpt_tos == ["camille@example.org"]
    message = email.message_from_bytes(envelope.content)
    assert "Confirm your e-mail address" in message["Subject"]
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    user = User.objects.get()
    # The link `verification_url` builds: its token is timestamped to the second, so it is
    # compared by what it names (a second may pass between sending and checking).
    found = re.search(re.escape(settings.SITE_URL) + r"(/compte/confirmation/([^/\s]+)/)", body)
    assert found, body
    assert signing.loads(found.group(2), salt=services.VERIFY_SALT) == [
        user.pk,
        services._email_digest(user.email),
    ]
    # And the link received over SMTP verifies the address.
    client.get(found.group(1))
    user.refresh_from_db()
    assert user.email_verified_at is not None
