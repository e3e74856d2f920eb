"""Ride sharing services: offering and asking, seats never over-given, who may answer what,
contact details only between accepted people, suggestions by town and radius, bad input,
messages relayed without addresses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from tests.events.conftest import at
from tiers.events import rides
from tiers.events.errors import EventError
from tiers.events.models import Event, Registration, Ride, RideMessage, RideSeat
from tiers.events.rides import Participant

pytestmark = pytest.mark.django_db


# fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def event(make_event) -> Event:
    return make_event("Fête du Quai")


@pytest.fixture
def register(event):
    def make(name: str, email: str, status: str = Registration.Status.CONFIRMED, **fields):
        return Registration.objects.create(
            event=fields.pop("event", event), name=name, email=email, status=status, **fields
        )

    return make


@pytest.fixture
def alice(register) -> Participant:
    """An e-mail-only registrant: the driver of most tests."""
    return rides.participant_for_registration(
        register("Alice Martin", "alice@example.org", language="en")
    )


@pytest.fixture
def bob(register) -> Participant:
    return rides.participant_for_registration(register("Bob Durand", "bob@example.org"))


@pytest.fixture
def member(member_a, event) -> Participant:
    return rides.participant_for_user(member_a, event)


def offer(event, who, **fields) -> Ride:
    fields.setdefault("from_town", "Redon")
    fields.setdefault("departure_at", at(24, 17))
    fields.setdefault("seats", 3)
    return rides.ride_create(event=event, participant=who, kind=Ride.Kind.OFFER, **fields)


def ask(event, who, **fields) -> Ride:
    fields.setdefault("from_town", "Redon")
    fields.setdefault("departure_at", at(24, 17))
    fields.setdefault("seats", 1)
    return rides.ride_create(event=event, participant=who, kind=Ride.Kind.REQUEST, **fields)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(EventError) as info:
        call(*args, **kwargs)
    return info.value.code


# creating ---------------------------------------------------------------------------------------


def test_an_email_only_registrant_offers_a_ride(event, alice):
    ride = offer(
        event, alice, from_detail="Gare de Redon", round_trip=True, return_at=at(24, 20, 30),
        contribution="shared", contribution_amount="3.5", note="Petite voiture", phone="06 12 34 56 78",
    )  # fmt: skip
    ride.refresh_from_db()
    assert ride.registration == alice.registration and ride.user is None
    assert ride.name == "Alice"  # only the first name is shown
    assert ride.email == "alice@example.org"
    assert ride.contribution_amount == Decimal("3.50")
    assert ride.return_at == at(24, 20, 30)
    assert rides.seats_free(ride) == 3


def test_coordinates_come_from_the_directory(event, alice, place_a):
    ride = offer(event, alice, from_town="  REDON ")
    assert ride.from_town == "REDON"
    assert (ride.latitude, ride.longitude) == pytest.approx((place_a.latitude, place_a.longitude))
    unknown = ask(event, alice, from_town="Nulle-Part-sur-Mer")
    assert unknown.latitude is None and unknown.longitude is None


def test_one_open_offer_per_person_and_event(event, alice, member):
    offer(event, alice)
    assert code_of(offer, event, alice, from_town="Vannes") == "duplicate"
    # a request is another thing, and another person may offer
    ask(event, alice)
    offer(event, member)
    assert Ride.objects.filter(event=event).count() == 3


def test_after_cancelling_one_can_offer_again(event, alice):
    first = offer(event, alice)
    rides.ride_cancel(first, alice)
    second = offer(event, alice)
    assert second.pk != first.pk


def test_a_signed_in_member_needs_no_registration(event, member_a):
    participant = rides.participant_for_user(member_a, event)
    assert participant.registration is None
    ride = offer(event, participant)
    assert ride.user == member_a and ride.registration is None


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"seats": 0}, "invalid_seats"),
        ({"seats": 9}, "invalid_seats"),
        ({"seats": -1}, "invalid_seats"),
        ({"seats": True}, "invalid_seats"),
        ({"from_town": "   "}, "invalid_town"),
        ({"departure_at": at(24, 20)}, "departure_after_end"),
        ({"departure_at": at(25, 9)}, "departure_after_end"),
        ({"departure_at": at(23, 7)}, "departure_past"),
        ({"departure_at": dt.datetime(2026, 3, 24, 17, 0)}, "invalid_departure"),
        ({"departure_at": None}, "invalid_departure"),
        ({"round_trip": True, "return_at": at(24, 16)}, "return_before_departure"),
        ({"round_trip": True, "return_at": at(24, 17)}, "return_before_departure"),
        ({"contribution": "shared", "contribution_amount": "-2"}, "invalid_amount"),
        ({"contribution": "shared", "contribution_amount": "9999"}, "invalid_amount"),
        ({"contribution": "shared", "contribution_amount": "NaN"}, "invalid_amount"),
        ({"contribution": "shared", "contribution_amount": "abc"}, "invalid_amount"),
        ({"contribution": "gold"}, "invalid_contribution"),
        ({"phone": "call me maybe"}, "invalid_phone"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(event, alice, fields, code):
    with pytest.raises(EventError) as error:
        offer(event, alice, **fields)
    assert error.value.code == code
    assert error.value.status == 422
    assert str(error.value.message)
    assert not Ride.objects.exists()


def test_an_unknown_kind_is_refused(event, alice):
    with pytest.raises(EventError) as info:
        rides.ride_create(
            event=event, participant=alice, kind="taxi", from_town="Redon",
            departure_at=at(24, 17),
        )  # fmt: skip
    assert info.value.code == "invalid_kind"


def test_a_return_without_a_round_trip_is_ignored(event, alice):
    ride = offer(event, alice, round_trip=False, return_at=at(24, 21))
    assert ride.return_at is None


def test_text_is_stored_as_typed_and_control_characters_dropped(event, alice):
    ride = offer(
        event, alice, note="<script>alert(1)</script>\x00\nligne 2", from_town="<b>Redon</b>"
    )
    assert ride.note == "<script>alert(1)</script>\nligne 2"
    assert ride.from_town == "<b>Redon</b>"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": Event.Status.CANCELLED}, "cancelled"),
        ({"status": Event.Status.DRAFT}, "not_published"),
        ({"rides_enabled": False}, "rides_disabled"),
    ],
)
def test_no_ride_for_a_closed_event(event, alice, change, code):
    Event.objects.filter(pk=event.pk).update(**change)
    assert code_of(offer, event, alice) == code
    assert not Ride.objects.exists()


def test_no_ride_once_the_event_is_over(event, alice, clock_at):
    clock_at.set(at(24, 20))
    assert code_of(offer, event, alice, departure_at=at(24, 19)) == "over"


def test_nobody_without_identity(event):
    assert code_of(offer, event, None) == "not_allowed"
    nobody = Participant(user=None, registration=None, name="X", email="x@example.org")
    assert code_of(offer, event, nobody) == "not_allowed"


def test_a_cancelled_or_unconfirmed_registration_no_longer_counts(event, register):
    unconfirmed = register("Uma", "uma@example.org", status=Registration.Status.UNCONFIRMED)
    assert code_of(offer, event, rides.participant_for_registration(unconfirmed)) == "not_allowed"
    cancelled = register("Carl", "carl@example.org", status=Registration.Status.CANCELLED)
    assert code_of(offer, event, rides.participant_for_registration(cancelled)) == "not_allowed"


def test_a_registration_of_another_event_does_not_count(event, make_event, register):
    other = make_event("Autre", start=at(26, 18))
    stranger = register("Sam", "sam@example.org", event=other)
    assert code_of(offer, event, rides.participant_for_registration(stranger)) == "not_allowed"


# seats -----------------------------------------------------------------------------------------


def test_request_accept_and_contact(event, alice, bob, member):
    ride = offer(event, alice, seats=2, phone="0612345678")
    seat = rides.seat_request(ride, bob, seats=1, message="Bonjour !")
    assert seat.status == RideSeat.Status.REQUESTED
    assert seat.name == "Bob" and seat.email == "bob@example.org"
    assert RideMessage.objects.get(seat=seat).body == "Bonjour !"
    assert not rides.can_see_contact(seat, alice)
    assert not rides.can_see_contact(seat, bob)
    # the passenger cannot accept their own request, a stranger neither
    assert code_of(rides.seat_decide, seat, bob, True) == "not_allowed"
    assert code_of(rides.seat_decide, seat, member, True) == "not_allowed"
    seat = rides.seat_decide(seat, alice, True)
    assert seat.status == RideSeat.Status.ACCEPTED
    assert rides.can_see_contact(seat, alice) and rides.can_see_contact(seat, bob)
    assert not rides.can_see_contact(seat, member)
    assert not rides.can_see_contact(seat, None)
    assert rides.seats_free(ride) == 1
    assert code_of(rides.seat_decide, seat, alice, True) == "not_pending"


def test_seats_are_never_over_given(event, alice, register):
    ride = offer(event, alice, seats=3)
    people = [
        rides.participant_for_registration(register(f"P{i}", f"p{i}@example.org")) for i in range(5)
    ]
    seats = [rides.seat_request(ride, p, seats=1) for p in people]
    for seat in seats[:3]:
        rides.seat_decide(seat, alice, True)
    assert code_of(rides.seat_decide, seats[3], alice, True) == "full"
    assert code_of(rides.seat_request, ride, people[4], seats=1) == "duplicate"
    newcomer = rides.participant_for_registration(register("Late", "late@example.org"))
    assert code_of(rides.seat_request, ride, newcomer, seats=1) == "full"
    assert RideSeat.objects.filter(ride=ride, status="accepted").count() == 3
    # declining still works when full; a cancellation frees a seat
    rides.seat_decide(seats[4], alice, False)
    rides.seat_cancel(seats[0], people[0])
    rides.seat_decide(seats[3], alice, True)
    assert rides.seats_free(ride) == 0


def test_a_request_for_more_seats_than_free(event, alice, bob):
    ride = offer(event, alice, seats=2)
    assert code_of(rides.seat_request, ride, bob, seats=3) == "full"
    assert code_of(rides.seat_request, ride, bob, seats=0) == "invalid_seats"
    assert code_of(rides.seat_request, ride, bob, seats=9) == "invalid_seats"
    assert not RideSeat.objects.exists()


def test_not_in_ones_own_car_and_not_twice(event, alice, bob):
    ride = offer(event, alice)
    assert code_of(rides.seat_request, ride, alice) == "own_ride"
    rides.seat_request(ride, bob)
    assert code_of(rides.seat_request, ride, bob) == "duplicate"


def test_a_declined_passenger_cannot_ask_again(event, alice, bob):
    ride = offer(event, alice)
    seat = rides.seat_request(ride, bob)
    rides.seat_decide(seat, alice, False)
    assert code_of(rides.seat_request, ride, bob) == "declined"


def test_a_passenger_who_withdrew_may_ask_again(event, alice, bob):
    ride = offer(event, alice)
    rides.seat_cancel(rides.seat_request(ride, bob), bob)
    assert rides.seat_request(ride, bob).status == RideSeat.Status.REQUESTED


def test_seats_are_asked_in_offers_only(event, alice, bob):
    wanted = ask(event, alice)
    assert code_of(rides.seat_request, wanted, bob) == "not_an_offer"


def test_no_seat_once_the_ride_has_left(event, alice, bob, clock_at):
    ride = offer(event, alice, departure_at=at(24, 17))
    seat = rides.seat_request(ride, bob)
    clock_at.set(at(24, 17, 30))
    assert code_of(rides.seat_decide, seat, alice, True) == "departed"
    assert code_of(rides.seat_request, ride, rides.participant_for_registration(
        Registration.objects.create(event=event, name="Z", email="z@example.org", status="confirmed")
    )) == "departed"  # fmt: skip


def test_the_driver_proposes_and_the_passenger_accepts(event, alice, bob, member):
    car = offer(event, alice, seats=3)
    wanted = ask(event, bob, seats=2, phone="+33 6 11 22 33 44")
    assert code_of(rides.seat_propose, car, wanted, bob) == "not_allowed"
    assert code_of(rides.seat_propose, car, wanted, member) == "not_allowed"
    seat = rides.seat_propose(car, wanted, alice, message="Je passe par Redon")
    assert seat.status == RideSeat.Status.PROPOSED and seat.seats == 2
    assert seat.request == wanted and seat.registration == bob.registration
    assert code_of(rides.seat_propose, car, wanted, alice) == "duplicate"
    # the driver cannot accept their own proposal
    assert code_of(rides.seat_decide, seat, alice, True) == "not_allowed"
    rides.seat_decide(seat, bob, True)
    assert rides.seats_free(car) == 1
    wanted.refresh_from_db()
    assert rides.seats_free(wanted) == 0
    # the request is served: it is no longer suggested to the driver
    assert rides.suggestions(car) == []


def test_a_proposal_needs_free_seats_and_an_open_request(event, alice, bob, member):
    car = offer(event, alice, seats=1)
    wanted = ask(event, bob, seats=2)
    assert code_of(rides.seat_propose, car, wanted, alice) == "full"
    assert code_of(rides.seat_propose, car, car, alice) == "not_a_request"
    rides.ride_cancel(wanted, bob)
    assert code_of(rides.seat_propose, car, wanted, alice, seats=1) == "not_a_request"
    own = ask(event, alice)
    assert code_of(rides.seat_propose, car, own, alice) == "own_ride"


def test_a_request_of_another_event_cannot_be_proposed(event, make_event, alice, register):
    other = make_event("Autre", start=at(26, 18))
    stranger = rides.participant_for_registration(register("Sam", "sam@example.org", event=other))
    elsewhere = ask(other, stranger, departure_at=at(26, 17))
    car = offer(event, alice)
    assert code_of(rides.seat_propose, car, elsewhere, alice) == "not_a_request"


def test_cancelling_a_seat_either_side(event, alice, bob, member):
    ride = offer(event, alice)
    seat = rides.seat_request(ride, bob)
    assert code_of(rides.seat_cancel, seat, member) == "not_allowed"
    # the driver declines a request rather than cancelling it
    assert code_of(rides.seat_cancel, seat, alice) == "not_allowed"
    rides.seat_decide(seat, alice, True)
    rides.seat_cancel(seat, alice)
    seat.refresh_from_db()
    assert seat.status == RideSeat.Status.CANCELLED
    assert code_of(rides.seat_cancel, seat, bob) == "not_active"
    assert rides.seats_free(ride) == 3


def test_a_cancelled_ride_cancels_its_seats_and_hides_contacts(event, alice, bob, member):
    ride = offer(event, alice)
    seat = rides.seat_request(ride, bob)
    rides.seat_decide(seat, alice, True)
    assert code_of(rides.ride_cancel, ride, bob) == "not_allowed"
    assert code_of(rides.ride_cancel, ride, member) == "not_allowed"
    rides.ride_cancel(ride, alice)
    seat.refresh_from_db()
    assert seat.status == RideSeat.Status.CANCELLED
    ride.refresh_from_db()
    assert not rides.can_see_contact(seat, bob)
    assert code_of(rides.seat_request, ride, member) == "ride_cancelled"
    # cancelling twice is harmless
    rides.ride_cancel(ride, alice)


def test_manager_b_and_organisers_have_no_special_power(event, alice, bob, manager_b, manager_a):
    ride = offer(event, alice)
    seat = rides.seat_request(ride, bob)
    for user in (manager_b, manager_a):
        someone = rides.participant_for_user(user, event)
        assert code_of(rides.seat_decide, seat, someone, True) == "not_allowed"
        assert code_of(rides.ride_cancel, ride, someone) == "not_allowed"
        assert code_of(rides.message_send, seat, someone, "hi") == "not_allowed"
        assert not rides.can_see_contact(seat, someone)


def test_the_same_account_is_recognised_by_its_registration_too(event, member_a, register):
    registration = register("Member A", member_a.email, user=member_a)
    signed_in = rides.participant_for_user(member_a, event)
    assert signed_in.registration == registration
    ride = offer(event, signed_in)
    by_token = rides.participant_for_registration(registration)
    assert by_token.is_author(ride)
    assert code_of(offer, event, by_token) == "duplicate"


# suggestions ----------------------------------------------------------------------------------


@pytest.fixture
def towns(make_place):
    make_place(
        "Atelier d'Allaire", town="Allaire", postcode="56350", latitude=47.637, longitude=-2.163
    )
    make_place(
        "Tiers-lieu de Vannes", town="Vannes", postcode="56000", latitude=47.658, longitude=-2.760
    )
    make_place(
        "Le Grand Café",
        town="Saint-Nicolas-de-Redon",
        postcode="44460",
        latitude=47.643,
        longitude=-2.063,
    )


def test_suggestions_by_town_and_radius(event, alice, register, towns):
    driver = offer(event, alice, from_town="Redon")
    people = {
        name: rides.participant_for_registration(register(name, f"{name.lower()}@example.org"))
        for name in ("Ana", "Ben", "Cid", "Dan", "Eva")
    }
    same = ask(event, people["Ana"], from_town="rédon")  # same town, accents and case aside
    near = ask(event, people["Ben"], from_town="Allaire")  # about 6 km
    nearer = ask(event, people["Cid"], from_town="Saint-Nicolas-de-Redon")  # about 2 km
    ask(event, people["Dan"], from_town="Vannes")  # about 50 km: too far
    ask(event, people["Eva"], from_town="Nowhere Town")  # unknown town: only by its name
    found = rides.suggestions(driver)
    assert found == [same, nearer, near]
    assert next(r.distance_km for r in found) == 0
    assert 1 < found[1].distance_km < 4 and 4 < found[2].distance_km < 10
    # the other way round: the driver is suggested to the passengers
    assert rides.suggestions(near) == [driver]
    assert rides.suggestions(ask(event, alice, from_town="Vannes")) == []


def test_suggestions_leave_out_full_cars_cancelled_rides_and_other_events(
    event, make_event, alice, bob, register
):
    car = offer(event, alice, from_town="Redon", seats=1)
    wanted = ask(event, bob, from_town="Redon")
    assert rides.suggestions(wanted) == [car]
    other = make_event("Autre", start=at(26, 18))
    stranger = rides.participant_for_registration(register("Sam", "sam@example.org", event=other))
    offer(other, stranger, from_town="Redon", departure_at=at(26, 17))
    carol = rides.participant_for_registration(register("Carol", "carol@example.org"))
    rides.seat_decide(rides.seat_request(car, carol), alice, True)
    assert rides.suggestions(wanted) == []
    rides.ride_cancel(wanted, bob)
    assert rides.suggestions(wanted) == []


def test_at_most_ten_suggestions_nearest_first(event, alice, register):
    driver = offer(event, alice, from_town="Redon")
    for i in range(12):
        p = rides.participant_for_registration(register(f"P{i}", f"p{i}@example.org"))
        ask(event, p, from_town="Redon", departure_at=at(24, 17) - dt.timedelta(minutes=i))
    found = rides.suggestions(driver)
    assert len(found) == rides.MAX_SUGGESTIONS
    assert found == sorted(found, key=lambda r: r.departure_at)


# messages and e-mails ----------------------------------------------------------------------------


def test_messages_are_relayed_without_addresses(
    event, alice, bob, member, django_capture_on_commit_callbacks
):
    ride = offer(event, alice, phone="0611111111")
    with django_capture_on_commit_callbacks(execute=True):
        seat = rides.seat_request(ride, bob, message="Je peux partager l'essence.")
    [requested] = mail.outbox
    assert requested.to == ["alice@example.org"]
    assert "Je peux partager l'essence." in requested.body
    assert f"/covoiturage/{ride.pk}/?jeton={alice.registration.token}" in requested.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rides.message_send(seat, alice, "Rendez-vous à la gare ?")
    [relayed] = mail.outbox
    assert relayed.to == ["bob@example.org"]
    assert "Rendez-vous à la gare ?" in relayed.body
    assert "Alice" in relayed.subject
    everything = relayed.subject + relayed.body + str(relayed.extra_headers) + str(relayed.reply_to)
    assert "alice@example.org" not in everything and "0611111111" not in everything
    assert relayed.from_email not in ("alice@example.org",)
    # a stranger cannot write in the thread
    assert code_of(rides.message_send, seat, member, "hello") == "not_allowed"
    assert code_of(rides.message_send, seat, bob, "   ") == "invalid_message"
    assert seat.messages.count() == 2


def test_once_accepted_the_contact_details_are_given(
    event, alice, bob, django_capture_on_commit_callbacks
):
    ride = offer(event, alice, phone="0611111111", from_detail="Parking de la gare")
    seat = rides.seat_request(ride, bob)
    with django_capture_on_commit_callbacks(execute=True):
        rides.seat_decide(seat, alice, True)
    [accepted] = mail.outbox
    assert accepted.to == ["bob@example.org"]
    assert "alice@example.org" in accepted.body and "0611111111" in accepted.body
    assert "Parking de la gare" in accepted.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rides.message_send(seat, bob, "Merci !")
    [relayed] = mail.outbox
    assert relayed.to == ["alice@example.org"] and "bob@example.org" in relayed.body


def test_e_mails_in_the_recipients_language(
    event, alice, member, django_capture_on_commit_callbacks
):
    # alice's registration is in English, the member writes in French
    member.user.language = "fr"
    member.user.save(update_fields=["language"])
    ride = offer(event, alice)
    with django_capture_on_commit_callbacks(execute=True):
        seat = rides.seat_request(ride, member)
        rides.seat_decide(seat, alice, False)
    to_alice, to_member = mail.outbox
    assert to_alice.to == ["alice@example.org"] and "asks for" in to_alice.subject
    assert to_member.to == [member.email]
    assert "?jeton=" not in to_member.body  # an account: no token in its links


def test_a_cancelled_ride_tells_its_passengers(
    event, alice, bob, register, django_capture_on_commit_callbacks
):
    ride = offer(event, alice)
    carol = rides.participant_for_registration(register("Carol", "carol@example.org"))
    dan = rides.participant_for_registration(register("Dan", "dan@example.org"))
    rides.seat_decide(rides.seat_request(ride, bob), alice, True)
    rides.seat_request(ride, carol)
    rides.seat_decide(rides.seat_request(ride, dan), alice, False)
    with django_capture_on_commit_callbacks(execute=True):
        rides.ride_cancel(ride, alice)
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "carol@example.org"]
    assert all("alice@example.org" not in m.body for m in mail.outbox)


def test_nothing_is_sent_when_refused(event, alice, django_capture_on_commit_callbacks):
    ride = offer(event, alice, seats=1)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EventError):
        rides.seat_request(ride, alice)
    assert mail.outbox == []


def test_messages_are_rate_limited(event, alice, bob):
    seat = rides.seat_request(offer(event, alice), bob)
    for i in range(rides.MESSAGE_LIMIT.limit):
        rides.message_send(seat, bob, f"message {i}")
    with pytest.raises(EventError) as error:
        rides.message_send(seat, bob, "one too many")
    assert error.value.code == "rate_limited" and error.value.status == 429
    # the other side can still answer
    rides.message_send(seat, alice, "ok")


def test_summary_counts_open_rides(event, alice, bob):
    offer(event, alice, seats=3)
    ask(event, bob)
    rides.ride_cancel(ask(event, alice), alice)
    assert rides.summary(event) == rides.RideSummary(offers=1, requests=1, seats_offered=3)
