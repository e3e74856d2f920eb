"""Ride-sharing pages as personas: anonymous visitors read without names or contacts; an
e-mail-only registrant recognised by their token offers; another asks; the driver accepts;
contact details appear only then, and only to those two."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.events.conftest import at
from tiers.events import rides
from tiers.events.models import Event, Registration, Ride, RideSeat

pytestmark = pytest.mark.django_db

DRIVER_PHONE = "06 12 34 56 78"


@pytest.fixture
def event(make_event) -> Event:
    return make_event("Fête du Quai", registration_open=True)


@pytest.fixture
def register(event):
    def make(name: str, email: str, **fields) -> Registration:
        fields.setdefault("status", Registration.Status.CONFIRMED)
        return Registration.objects.create(event=event, name=name, email=email, **fields)

    return make


def with_token(registration: Registration) -> Client:
    """A browser whose session knows this registration (as the registration page does)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages checked are English
    session = client.session
    session["event_tokens"] = [registration.token]
    session.save()
    return client


@pytest.fixture
def alice(register) -> Registration:
    return register("Alice Martin", "alice@example.org")


@pytest.fixture
def bob(register) -> Registration:
    return register("Bob Durand", "bob@example.org")


@pytest.fixture
def alice_client(alice) -> Client:
    return with_token(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return with_token(bob)


OFFER = {
    "from_town": "Redon",
    "from_detail": "Parking de la gare",
    "departure_at": "2026-03-24T17:15",
    "seats": "3",
    "round_trip": "on",
    "return_at": "2026-03-24T20:30",
    "contribution": "shared",
    "contribution_amount": "2.50",
    "note": "Petite voiture",
    "phone": DRIVER_PHONE,
}


@pytest.fixture
def ride(event, alice) -> Ride:
    return rides.ride_create(
        event=event, participant=rides.participant_for_registration(alice), kind="offer",
        from_town="Redon", from_detail="Parking de la gare", departure_at=at(24, 17),
        seats=3, phone=DRIVER_PHONE,
    )  # fmt: skip


def url(name: str, *args) -> str:
    return reverse(f"events:{name}", args=args)


# anonymous ------------------------------------------------------------------------------------


def test_anonymous_reads_the_list_without_contacts(client, event, ride):
    page = client.get(url("rides", event.slug))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Redon" in html and "Alice" in html
    assert "Martin" not in html and "alice@example.org" not in html and DRIVER_PHONE not in html
    assert "Parking de la gare" not in html
    assert url("ride_offer", event.slug) not in html
    assert reverse("accounts:login") in html  # told to sign in or register


def test_anonymous_cannot_offer_nor_ask(client, event, ride):
    page = client.get(url("ride_offer", event.slug))
    assert (
        page.status_code == 200 and '<form method="post" class="form"' not in page.content.decode()
    )
    assert client.post(url("ride_offer", event.slug), OFFER).status_code == 403
    assert client.post(url("ride_action", ride.pk, "reserver"), {"seats": 1}).status_code == 403
    assert Ride.objects.count() == 1 and not RideSeat.objects.exists()
    detail = client.get(url("ride", ride.pk)).content.decode()
    assert "alice@example.org" not in detail and "Parking de la gare" not in detail


def test_changes_are_posts_only(client, alice_client, ride):
    assert alice_client.get(url("ride_action", ride.pk, "annuler")).status_code == 405
    seat = RideSeat.objects.create(
        ride=ride, name="X", email="x@example.org", status="requested",
        user=None, registration=Registration.objects.create(
            event=ride.event, name="X", email="x@example.org", status="confirmed"
        ),
    )  # fmt: skip
    assert alice_client.get(url("seat_action", seat.pk, "accepter")).status_code == 405
    ride.refresh_from_db()
    assert ride.status == "open"


def test_a_draft_event_has_no_ride_pages(client, make_event):
    draft = make_event("Brouillon", status=Event.Status.DRAFT)
    assert client.get(url("rides", draft.slug)).status_code == 404
    assert client.get(url("ride_offer", draft.slug)).status_code == 404


# the main path ---------------------------------------------------------------------------------


def test_email_only_registrant_offers_with_the_form(alice_client, event, alice):
    page = alice_client.get(url("ride_offer", event.slug))
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.content.decode()
    response = alice_client.post(url("ride_offer", event.slug), OFFER)
    ride = Ride.objects.get()
    assert response.status_code == 302 and response.url == url("ride", ride.pk)
    assert ride.registration == alice and ride.kind == "offer" and ride.name == "Alice"
    assert ride.departure_at == at(24, 17, 15) and ride.return_at == at(24, 20, 30)
    assert ride.phone == DRIVER_PHONE
    # a second offer is not proposed again
    again = alice_client.get(url("ride_offer", event.slug)).content.decode()
    assert url("ride", ride.pk) in again and 'name="from_town"' not in again


def test_a_signed_in_member_asks_for_a_ride(client_for, member_a, event):
    client = client_for(member_a)
    response = client.post(
        url("ride_request", event.slug),
        {"from_town": "Allaire", "departure_at": "2026-03-24T17:00", "seats": "2"},
    )
    assert response.status_code == 302
    ride = Ride.objects.get()
    assert ride.kind == "request" and ride.user == member_a and ride.seats == 2
    assert ride.contribution == "free"


def test_the_ride_link_of_an_email_remembers_the_registrant(client, ride, bob):
    response = client.get(url("ride", ride.pk) + f"?jeton={bob.token}")
    assert response.status_code == 302 and response.url == url("ride", ride.pk)
    assert client.session["event_tokens"] == [bob.token]
    page = client.get(url("ride", ride.pk)).content.decode()
    assert url("ride_action", ride.pk, "reserver") in page
    # a wrong token is refused and not kept
    other = Client()
    other.get(url("ride", ride.pk) + "?jeton=nope")
    assert "event_tokens" not in other.session


def test_request_accept_then_contacts_between_those_two_only(
    ride, alice, bob, alice_client, bob_client, client_for, member_a, manager_b,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(
            url("ride_action", ride.pk, "reserver"), {"seats": "1", "message": "Salut !"}
        )
    seat = RideSeat.objects.get()
    assert response.status_code == 302 and seat.registration == bob
    [to_driver] = mail.outbox
    assert to_driver.to == ["alice@example.org"] and "bob@example.org" not in to_driver.body
    # before: nobody sees the other's contact details
    driver_page = alice_client.get(url("ride", ride.pk)).content.decode()
    assert "Bob" in driver_page and "Salut !" in driver_page
    assert "bob@example.org" not in driver_page
    passenger_page = bob_client.get(url("ride", ride.pk)).content.decode()
    assert "alice@example.org" not in passenger_page and DRIVER_PHONE not in passenger_page
    # the passenger cannot accept their own request; manager B neither
    bob_client.post(url("seat_action", seat.pk, "accepter"))
    assert client_for(manager_b).post(url("seat_action", seat.pk, "accepter")).status_code == 403
    seat.refresh_from_db()
    assert seat.status == "requested"
    # the driver accepts
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(url("seat_action", seat.pk, "accepter"))
    seat.refresh_from_db()
    assert seat.status == "accepted"
    assert mail.outbox[-1].to == ["bob@example.org"]
    driver_page = alice_client.get(url("ride", ride.pk)).content.decode()
    assert "bob@example.org" in driver_page
    passenger_page = bob_client.get(url("ride", ride.pk)).content.decode()
    assert "alice@example.org" in passenger_page and DRIVER_PHONE in passenger_page
    assert "Parking de la gare" in passenger_page
    # a third person never sees them
    for client in (client_for(member_a), client_for(manager_b), Client()):
        for page in (url("ride", ride.pk), url("rides", ride.event.slug)):
            html = client.get(page).content.decode()
            assert "alice@example.org" not in html and "bob@example.org" not in html
            assert DRIVER_PHONE not in html


def test_messages_through_the_page(
    ride, bob, alice_client, bob_client, client_for, member_a, django_capture_on_commit_callbacks
):
    seat = rides.seat_request(ride, rides.participant_for_registration(bob))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            url("seat_action", seat.pk, "message"), {"body": "On part à 17h"}
        )
    assert response.status_code == 302
    [relayed] = mail.outbox
    assert relayed.to == ["bob@example.org"] and "On part à 17h" in relayed.body
    assert "alice@example.org" not in relayed.body + relayed.subject
    assert not relayed.reply_to and "Reply-To" not in relayed.extra_headers
    assert "On part à 17h" in bob_client.get(url("ride", ride.pk)).content.decode()
    # a stranger can neither post nor read the thread
    stranger = client_for(member_a)
    assert (
        stranger.post(url("seat_action", seat.pk, "message"), {"body": "spam"}).status_code == 403
    )
    assert "On part à 17h" not in stranger.get(url("ride", ride.pk)).content.decode()
    assert seat.messages.count() == 1
    # an empty message is refused
    alice_client.post(url("seat_action", seat.pk, "message"), {"body": " "})
    assert seat.messages.count() == 1


def test_the_driver_proposes_to_a_request_through_the_page(
    event, ride, bob, alice_client, bob_client
):
    wanted = rides.ride_create(
        event=event, participant=rides.participant_for_registration(bob), kind="request",
        from_town="Redon", departure_at=at(24, 17), seats=1,
    )  # fmt: skip
    page = alice_client.get(url("ride", ride.pk)).content.decode()
    proposal_url = url("ride_action", ride.pk, f"proposer-{wanted.pk}")
    assert proposal_url in page  # suggested to the driver
    response = alice_client.post(proposal_url, {"seats": "1", "message": "Je passe"})
    assert response.status_code == 302
    seat = RideSeat.objects.get()
    assert seat.status == "proposed" and seat.request == wanted
    bob_page = bob_client.get(url("ride", wanted.pk)).content.decode()
    assert url("seat_action", seat.pk, "accepter") in bob_page
    bob_client.post(url("seat_action", seat.pk, "accepter"))
    seat.refresh_from_db()
    assert seat.status == "accepted"


def test_the_driver_cancels_the_ride(ride, alice_client, bob_client, client_for, manager_b):
    assert client_for(manager_b).post(url("ride_action", ride.pk, "annuler")).status_code == 302
    bob_client.post(url("ride_action", ride.pk, "annuler"))
    ride.refresh_from_db()
    assert ride.status == "open"
    response = alice_client.post(url("ride_action", ride.pk, "annuler"))
    assert response.status_code == 302
    ride.refresh_from_db()
    assert ride.status == "cancelled"


def test_unknown_actions_are_not_found(ride, alice_client):
    assert alice_client.post(url("ride_action", ride.pk, "voler")).status_code == 404
    assert alice_client.post(url("ride_action", ride.pk, "proposer-x")).status_code == 404
    assert alice_client.post(url("ride_action", ride.pk, "proposer-999999")).status_code == 404


# bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"seats": "0"}, "seats", "greater than or equal to 1"),
        ({"seats": "9"}, "seats", "less than or equal to 8"),
        ({"departure_at": "2026-03-24T20:00"}, "departure_at", "before the event ends"),
        ({"departure_at": "2026-03-22T20:00"}, "departure_at", "in the past"),
        ({"departure_at": "demain"}, "departure_at", "Enter a valid date/time"),
        ({"departure_at": "2026-03-29T02:30"}, "departure_at", "may not exist"),
        ({"return_at": "2026-03-24T16:00"}, "return_at", "after the departure"),
        ({"contribution_amount": "-1"}, "contribution_amount", "greater than or equal to 0"),
        ({"phone": "<script>"}, "phone", "digits"),
        ({"from_town": ""}, "from_town", "required"),
    ],
)
def test_bad_input_shows_a_clear_error(alice_client, event, change, field, message):
    response = alice_client.post(url("ride_offer", event.slug), {**OFFER, **change})
    assert response.status_code == 422
    form = response.context["form"]
    assert message in " ".join(form.errors.get(field, [])), form.errors
    html = response.content.decode()
    assert f'<ul class="errorlist" id="id_{field}_error">' in html
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', html)
    assert not Ride.objects.exists()


def test_xss_in_town_and_note_is_escaped(alice_client, bob_client, event):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    alice_client.post(
        url("ride_offer", event.slug), {**OFFER, "from_town": payload, "note": payload}
    )
    ride = Ride.objects.get()
    assert ride.from_town == payload[:120]
    for client in (Client(), bob_client, alice_client):
        for page in (url("rides", event.slug), url("ride", ride.pk)):
            html = client.get(page).content.decode()
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "&lt;script&gt;" in html


def test_xss_in_messages_is_escaped(ride, bob, alice_client):
    seat = rides.seat_request(
        ride, rides.participant_for_registration(bob), message="<b onmouseover=alert(1)>hi</b>"
    )
    html = alice_client.get(url("ride", ride.pk)).content.decode()
    assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;hi&lt;/b&gt;" in html
    assert seat.messages.count() == 1


@pytest.mark.parametrize("change", [{"status": Event.Status.CANCELLED}, {"rides_enabled": False}])
def test_no_forms_for_a_cancelled_event_or_without_rides(alice_client, event, ride, change):
    Event.objects.filter(pk=event.pk).update(**change)
    html = alice_client.get(url("rides", event.slug)).content.decode()
    assert url("ride_offer", event.slug) not in html
    page = alice_client.get(url("ride_request", event.slug))
    assert page.status_code == 200 and 'name="from_town"' not in page.content.decode()
    response = alice_client.post(url("ride_request", event.slug), OFFER)
    assert response.status_code == 302
    assert Ride.objects.count() == 1


def test_the_list_needs_constant_queries(
    event, register, client_for, member_a, django_assert_max_num_queries
):
    def add(n: int) -> None:
        for i in range(n):
            someone = rides.participant_for_registration(
                register(f"P{i}-{Ride.objects.count()}", f"p{i}-{Ride.objects.count()}@example.org")
            )
            kind = "offer" if i % 2 else "request"
            rides.ride_create(
                event=event, participant=someone, kind=kind, from_town="Redon",
                departure_at=at(24, 17), seats=2,
            )  # fmt: skip

    client = client_for(member_a)
    rides.ride_create(
        event=event, participant=rides.participant_for_user(member_a, event), kind="offer",
        from_town="Redon", departure_at=at(24, 17), seats=2,
    )  # fmt: skip
    add(4)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("rides", event.slug)).status_code == 200
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("rides", event.slug))
    assert page.content.decode().count(url("ride", 1)[:-2]) > 30
