"""Registering: with an account, or with only an e-mail confirmed through the link page
(a POST button: opening the link never changes anything); refusals as form errors."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tiers.events import registrations
from tiers.events.models import Registration

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages in English (the French catalogue may translate these messages)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def event(make_event):
    return make_event(
        "Repair café", registration_open=True, capacity=3, max_seats_per_registration=4
    )


def register_url(event) -> str:
    return reverse("events:register", args=[event.slug])


def link_in(message) -> str:
    """The registration page's path, from an e-mail's body."""
    match = re.search(r"https?://[^/\s]+(/inscription/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_anonymous_registers_with_only_an_email_then_confirms_on_the_link_page(
    client, event, django_capture_on_commit_callbacks
):
    response = client.get(register_url(event))
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            register_url(event), {"name": "Zoé", "email": "Zoe@Example.org", "seats": 2}
        )
    assert response.status_code == 302
    assert response["Location"].endswith("?envoye=1")
    page = client.get(response["Location"])
    assert "zoe@example.org" in page.content.decode()
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.UNCONFIRMED
    assert registration.email == "zoe@example.org"
    assert registration.seats == 2
    assert registrations.seats_taken(event) == 0
    # the e-mail carries the link; the token is never shown to the person who typed the address
    assert registration.token not in page.content.decode()
    (message,) = mail.outbox
    assert message.to == ["zoe@example.org"]
    link = link_in(message)
    assert link == registration.get_manage_url()
    # a mail scanner opening the link changes nothing
    for _ in range(2):
        assert client.get(link).status_code == 200
    registration.refresh_from_db()
    assert registration.status == Registration.Status.UNCONFIRMED
    # the button does
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:registration_action", args=[registration.token, "confirmer"])
        )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registrations.seats_taken(event) == 2
    assert len(mail.outbox) == 2
    assert mail.outbox[1].attachments  # the .ics
    assert client.session["event_tokens"][0] == registration.token


def test_confirming_a_full_event_puts_on_the_waiting_list(client, event, make_user):
    registrations.register(
        event=event, name="A", email="a@example.org", seats=3, user=make_user("A")
    )
    client.post(register_url(event), {"name": "Zoé", "email": "zoe@example.org", "seats": 1})
    registration = Registration.objects.get(email="zoe@example.org")
    client.post(reverse("events:registration_action", args=[registration.token, "confirmer"]))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WAITLISTED
    page = client.get(registration.get_manage_url()).content.decode()
    assert "number 1 on the waiting list" in page


def test_a_member_registers_with_their_account(client_for, member_a, event):
    client = client_for(member_a)
    page = client.get(register_url(event)).content.decode()
    assert member_a.email in page
    assert "disabled" in page  # the account's address is fixed
    response = client.post(
        register_url(event), {"name": "Maëlle", "email": "someone-else@example.org", "seats": 1}
    )
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == registration.get_manage_url()
    assert registration.user == member_a
    assert registration.email == member_a.email.lower()  # not the posted one
    assert registration.status == Registration.Status.CONFIRMED
    # the form is not shown again
    again = client.get(register_url(event)).content.decode()
    assert "You already have a registration" in again
    # my registrations
    mine = client.get(reverse("events:mine")).content.decode()
    assert event.title in mine and registration.token in mine


def test_mine_needs_an_account_and_shows_only_mine(client, client_for, member_a, manager_b, event):
    registrations.register(event=event, name="M", email="x@example.org", user=member_a)
    assert client.get(reverse("events:mine")).status_code == 302
    page = client_for(manager_b).get(reverse("events:mine")).content.decode()
    assert event.title not in page


@pytest.mark.parametrize(
    ("fields", "changes", "field", "message"),
    [
        ({"registration_closes_at": at(23, 7)}, {}, "", "Registration is closed."),
        ({"registration_opens_at": at(23, 12)}, {}, "", "Registration opens on 23/03/2026 12:00."),
        ({"capacity": 1, "waitlist_enabled": False}, {}, "", "This event is full."),
        ({}, {"seats": 9}, "seats", "A registration has between 1 and 5 places."),
        ({}, {"seats": 0}, "seats", "A registration has between 1 and 5 places."),
        ({}, {"seats": "x"}, "seats", "A registration has between 1 and 5 places."),
        ({}, {"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({}, {"name": "   "}, "name", "This field is required."),
        (
            {"questions": [{"label": "Allergies?", "required": True}]},
            {},
            "question_0",
            "This field is required.",
        ),
    ],
)
def test_refusals_are_form_errors_and_nothing_is_written(
    client, make_event, make_user, fields, changes, field, message
):
    fields = {"registration_open": True, "capacity": 5, **fields}
    event = make_event(**fields)
    if fields.get("waitlist_enabled") is False:
        registrations.register(event=event, name="A", email="a@example.org", user=make_user())
    before = Registration.objects.count()
    data = {"name": "Zoé", "email": "zoe@example.org", "seats": 1, **changes}
    response = client.post(register_url(event), data)
    assert response.status_code == 200
    assert Registration.objects.count() == before
    form = response.context["form"]
    errors = form.errors.get(field or "__all__", [])
    assert message in errors, form.errors
    assert not mail.outbox


def test_a_closed_event_shows_why_instead_of_the_form(client, make_event):
    event = make_event(registration_open=True, registration_closes_at=at(23, 7))
    page = client.get(register_url(event)).content.decode()
    assert "Registration is closed." in page
    assert 'name="email"' not in page


def test_duplicate_email_is_case_insensitive_and_resends_the_link_to_its_owner(
    client, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(register_url(event), {"name": "Zoé", "email": "zoe@example.org", "seats": 1})
    other = type(client)()
    with django_capture_on_commit_callbacks(execute=True):
        response = other.post(
            register_url(event), {"name": "Mallory", "email": " ZOE@example.ORG ", "seats": 1}
        )
    assert response.status_code == 200
    assert "already registered" in response.context["form"].errors["email"][0]
    assert Registration.objects.count() == 1
    # the address's owner gets their link again, not the person who typed it
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["zoe@example.org"]
    assert Registration.objects.get().token in mail.outbox[1].body
    assert Registration.objects.get().token not in response.content.decode()


def test_a_cancelled_registration_frees_the_address(event):
    first = registrations.register(event=event, name="Z", email="z@example.org")
    registrations.registration_cancel(registration=first)
    again = registrations.register(event=event, name="Z", email="z@example.org")
    assert again.pk != first.pk


def test_anonymous_registrations_are_rate_limited_per_address(client, make_event, settings):
    settings.EVENT_REGISTRATION_RATE_LIMIT = 3
    event = make_event(registration_open=True)
    for n in range(3):
        response = client.post(
            register_url(event), {"name": "Bot", "email": f"bot{n}@example.org", "seats": 1}
        )
        assert response.status_code == 302
    response = client.post(
        register_url(event), {"name": "Bot", "email": "bot9@example.org", "seats": 1}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many registrations" in response.content.decode()
    assert Registration.objects.count() == 3


def test_unknown_token_is_404_and_a_token_shows_only_its_registration(client, event):
    mine = registrations.register(event=event, name="Zoé", email="zoe@example.org")
    theirs = registrations.register(event=event, name="Yann Secret", email="yann@example.org")
    assert client.get(reverse("events:registration", args=["nope" * 8])).status_code == 404
    response = client.post(reverse("events:registration_action", args=["nope" * 8, "annuler"]))
    assert response.status_code == 404
    page = client.get(mine.get_manage_url())
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    text = page.content.decode()
    assert "zoe@example.org" in text
    assert "Yann Secret" not in text and "yann@example.org" not in text and theirs.token not in text


def test_cancel_only_with_the_link(client, client_for, event, manager_b):
    registration = registrations.register(event=event, name="Zoé", email="zoe@example.org")
    registrations.confirm_email(registration=registration)
    other = registrations.register(event=event, name="Yann", email="yann@example.org")
    # another registration's token does not cancel this one
    client.post(reverse("events:registration_action", args=[other.token, "annuler"]))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    # a signed-in stranger has no way to it: no list shows it, GET never cancels
    stranger = client_for(manager_b)
    assert registration.token not in stranger.get(reverse("events:mine")).content.decode()
    assert stranger.get(reverse("events:attendees", args=[event.slug])).status_code == 403
    assert (
        client.get(
            reverse("events:registration_action", args=[registration.token, "annuler"])
        ).status_code
        == 405
    )
    # the link's owner does
    response = client.post(
        reverse("events:registration_action", args=[registration.token, "annuler"])
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_unknown_action_is_404(client, event):
    registration = registrations.register(event=event, name="Zoé", email="zoe@example.org")
    for action in ("supprimer", "session-x", "session-999999"):
        response = client.post(
            reverse("events:registration_action", args=[registration.token, action])
        )
        assert response.status_code == 404


def test_an_unconfirmed_link_expires_after_48_hours(client, make_event, clock_at):
    event = make_event(registration_open=True, start=at(30, 18))
    registration = registrations.register(event=event, name="Zoé", email="zoe@example.org")
    clock_at.set(at(25, 7, 59))
    assert registrations.confirm_email(registration=registration).status == "confirmed"
    late = registrations.register(event=event, name="Yann", email="yann@example.org")
    clock_at.set(at(27, 8))
    response = client.post(
        reverse("events:registration_action", args=[late.token, "confirmer"]), follow=True
    )
    assert "This link has expired; please register again." in response.content.decode()
    late.refresh_from_db()
    assert late.status == Registration.Status.UNCONFIRMED
    # the periodic job drops it, which frees the address
    assert registrations.expire_offers() == 1
    late.refresh_from_db()
    assert late.status == Registration.Status.CANCELLED


def test_xss_in_names_and_answers_is_escaped(client, client_for, make_event, manager_a):
    event = make_event(
        registration_open=True, questions=[{"label": "<i>Diet</i>", "required": False}]
    )
    vector = '<script>alert("x")</script>'
    client.post(
        register_url(event),
        {"name": vector, "email": "x@example.org", "seats": 1, "question_0": vector},
    )
    registration = Registration.objects.get()
    registrations.confirm_email(registration=registration)
    for page in (
        client.get(registration.get_manage_url()),
        client_for(manager_a).get(reverse("events:attendees", args=[event.slug])),
        client_for(manager_a).get(reverse("events:attendees_print", args=[event.slug])),
    ):
        text = page.content.decode()
        assert vector not in text
        assert "<i>Diet</i>" not in text
        assert "&lt;script&gt;" in text


def test_session_seats_through_the_link_page(client, event, manager_a):
    from tiers.events import services
    from tiers.events.models import Session

    session = services.session_save(
        session=Session(
            event=event, title="Soldering", start=at(24, 18), end=at(24, 19), capacity=2
        ),
        by=manager_a,
    )
    first = registrations.register(event=event, name="A", email="a@example.org", seats=2)
    registrations.confirm_email(registration=first)
    second = registrations.register(event=event, name="B", email="b@example.org", seats=1)
    registrations.confirm_email(registration=second)
    page = client.get(first.get_manage_url()).content.decode()
    assert "Soldering" in page
    client.post(reverse("events:registration_action", args=[first.token, f"session-{session.pk}"]))
    assert registrations.session_seats_taken(session) == 2
    response = client.post(
        reverse("events:registration_action", args=[second.token, f"session-{session.pk}"]),
        follow=True,
    )
    assert "This session is full." in response.content.decode()
    client.post(
        reverse("events:registration_action", args=[first.token, f"quitter-session-{session.pk}"])
    )
    assert registrations.session_seats_taken(session) == 0
