"""The organisers' forms, through the test client without JavaScript: creating an event for a
place (its managers) or for a network (its coordinators), editing, publishing and cancelling
it, with the room it holds in the bookings; bad input gets a clear error and changes
nothing; other places' managers are refused."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.events.conftest import at
from tiers.bookings import services as booking_services
from tiers.bookings.errors import BookingError
from tiers.bookings.models import Booking
from tiers.events import registrations, services
from tiers.events.models import Event, Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(english_client_for):
    return english_client_for


def event_data(**overrides) -> dict:
    data = {
        "title": "Atelier soudure",
        "kind": "atelier",
        "summary": "Apprendre à souder",
        "description": "Venez **nombreux**",
        "start": "2026-03-24T18:00",
        "end": "2026-03-24T20:00",
        "tags_text": "Électronique, Réparation",
        "audience": "tout-public",
        "price_mode": "gratuit",
        "max_seats_per_registration": "5",
        "offer_hours": "24",
        "publish": "published",
        "repeat": "",
        "rides_enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(event: Event, **overrides) -> dict:
    data = event_data(title=event.title, publish=None, repeat=None)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def errors(response) -> dict:
    form = response.context["form"]
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


# Creating ---------------------------------------------------------------------------------------


def test_a_manager_creates_an_event_of_their_place(client_for, place_a, manager_a, room):
    url = reverse("events:create", args=[place_a.slug])
    client = client_for(manager_a)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        event_data(
            room=room.pk, registration_open="on", capacity="12",
            questions_text="Régime alimentaire ?\nVotre âge *", price_mode="payant",
            price_amount="8.50",
        ),
    )  # fmt: skip
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == event.get_absolute_url()
    assert event.place == place_a and event.created_by == manager_a
    assert event.status == Event.Status.PUBLISHED
    assert event.start == at(24, 18) and event.end == at(24, 20)
    assert sorted(t.slug for t in event.tags.all()) == ["electronique", "reparation"]
    assert event.questions == [
        {"label": "Régime alimentaire ?", "required": False},
        {"label": "Votre âge", "required": True},
    ]
    assert event.capacity == 12 and event.registration_open
    assert str(event.price_amount) == "8.50"
    # the room is held in the bookings for the event's time
    hold = Booking.objects.get(pk=event.room_hold_id)
    assert (hold.resource, hold.start, hold.end, hold.kind) == (
        room,
        at(24, 18),
        at(24, 20),
        "event",
    )
    assert hold.is_active


def test_a_draft_at_creation(client_for, place_a, manager_a):
    client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]), event_data(publish="draft")
    )
    assert Event.objects.get().status == Event.Status.DRAFT


def test_times_are_read_on_the_places_clock(client_for, make_place, make_user):
    from tiers.places.models import Membership

    place = make_place("Fare", time_zone="Pacific/Tahiti", town="Papeete")
    manager = make_user("Manager T")
    Membership.objects.create(
        user=manager, place=place, state="active", status="resident", is_manager=True,
        started_on=at(1, 0).date(),
    )  # fmt: skip
    client_for(manager).post(reverse("events:create", args=[place.slug]), event_data())
    event = Event.objects.get()
    assert event.time_zone == "Pacific/Tahiti"
    assert event.start.astimezone(event.tz).hour == 18
    assert (
        "time in Pacific/Tahiti" in client_for(None).get(event.get_absolute_url()).content.decode()
    )


def test_create_is_refused_to_others(client_for, place_a, member_a, concierge_a, manager_b):
    url = reverse("events:create", args=[place_a.slug])
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    for person in (member_a, concierge_a, manager_b):
        assert client_for(person).get(url).status_code == 403
        assert client_for(person).post(url, event_data()).status_code == 403
    assert not Event.objects.exists()


def test_a_coordinator_creates_a_network_event(client_for, network, coordinator, manager_a):
    url = reverse("events:network_create", args=[network.slug])
    assert client_for(manager_a).get(url).status_code == 403
    response = client_for(coordinator).get(url)
    assert response.status_code == 200
    assert 'name="room"' not in response.content.decode()
    response = client_for(coordinator).post(url, event_data(title="Assemblée du réseau"))
    event = Event.objects.get()
    assert response.status_code == 302
    assert event.network == network and event.place is None
    assert client_for(coordinator).get(reverse("events:edit", args=[event.slug])).status_code == 200
    assert client_for(manager_a).get(reverse("events:edit", args=[event.slug])).status_code == 403


def test_admin_may_do_everything(client_for, place_a, network, admin, make_event):
    client = client_for(admin)
    assert (
        client.post(reverse("events:create", args=[place_a.slug]), event_data()).status_code == 302
    )
    url = reverse("events:network_create", args=[network.slug])
    assert client.post(url, event_data(title="Réseau")).status_code == 302
    event = make_event("Autre")
    assert client.post(reverse("events:edit", args=[event.slug]), edit_data(event, title="Changé"))
    event.refresh_from_db()
    assert event.title == "Changé"


# Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"end": "2026-03-24T17:00"}, "end"),
        ({"end": "2026-03-24T18:00"}, "end"),
        ({"start": "pas une date"}, "start"),
        ({"start": "99999-01-01T10:00"}, "start"),
        ({"title": "   "}, "title"),
        ({"registration_open": "on", "capacity": "0"}, "capacity"),
        ({"registration_open": "on", "capacity": "-1"}, "capacity"),
        ({"max_seats_per_registration": "0"}, "max_seats_per_registration"),
        ({"max_seats_per_registration": "500"}, "max_seats_per_registration"),
        ({"price_mode": "payant"}, "price_amount"),
        ({"price_mode": "payant", "price_amount": "-3"}, "price_amount"),
        ({"kind": "nope"}, "kind"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"registration_closes_at": "2026-03-25T10:00"}, "registration_closes_at"),
        (
            {
                "registration_opens_at": "2026-03-24T10:00",
                "registration_closes_at": "2026-03-24T09:00",
            },
            "registration_closes_at",
        ),
        ({"questions_text": "\n".join(f"Q{i}" for i in range(11))}, "questions_text"),
        ({"questions_text": "x" * 201}, "questions_text"),
        ({"tags_text": ",".join(f"t{i}" for i in range(21))}, "tags_text"),
        ({"repeat": "weekly"}, "occurrences"),
        ({"repeat": "weekly", "occurrences": "1"}, "occurrences"),
        ({"repeat": "weekly", "occurrences": "53"}, "occurrences"),
        ({"repeat": "yearly", "occurrences": "3"}, "repeat"),
        ({"start": "2026-03-01T10:00", "end": "2026-04-15T10:00"}, None),
        # 02:30 does not exist in Paris on 29 March 2026 (the clocks go forward)
        ({"start": "2026-03-29T02:30", "end": "2026-03-29T04:00"}, "start"),
    ],
)
def test_bad_input_gets_a_clear_error_and_creates_nothing(
    client_for, place_a, manager_a, overrides, field
):
    response = client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]), event_data(**overrides)
    )
    assert response.status_code == 200
    found = errors(response)
    assert found, "an error is shown"
    if field:
        assert field in found, found
    else:
        assert "__all__" in found, found
    assert "Please correct the errors below." in response.content.decode()
    assert not Event.objects.exists()
    assert not Booking.objects.exists()


def test_error_messages_are_linked_to_their_fields(client_for, place_a, manager_a):
    response = client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]), event_data(end="2026-03-24T17:00")
    )
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_end_error"' in page
    assert "The end must be after the start." in page


def test_an_image_needs_its_description(client_for, place_a, manager_a):
    url = reverse("events:create", args=[place_a.slug])
    client = client_for(manager_a)
    response = client.post(url, {**event_data(), "image": png()})
    assert "image_alt" in errors(response)
    assert not Event.objects.exists()
    response = client.post(url, {**event_data(), "image": png(), "image_alt": "Un fer à souder"})
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.image and event.image_alt == "Un fer à souder"
    page = client_for(None).get(event.get_absolute_url()).content.decode()
    assert f'src="{event.image.url}" alt="Un fer à souder"' in page


def test_not_an_image_is_refused(client_for, place_a, manager_a):
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    response = client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]),
        {**event_data(), "image": fake, "image_alt": "x"},
    )
    assert "image" in errors(response)
    assert not Event.objects.exists()


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_what_organisers_type_is_escaped_or_sanitised(client_for, place_a, manager_a, room):
    client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]),
        event_data(
            title=XSS, summary=XSS, location=XSS, accessibility=XSS, tags_text=XSS,
            description=f"{XSS}\n\n[clic](javascript:alert(1))", questions_text=XSS,
            registration_open="on", capacity="3",
        ),
    )  # fmt: skip
    event = Event.objects.get()
    services.session_save(
        session=event.sessions.model(
            event=event, title=XSS, speakers=XSS, track=XSS, room_name=XSS, description=XSS,
            start=event.start, end=event.end, capacity=2,
        ),
        by=manager_a,
    )  # fmt: skip
    urls = [
        event.get_absolute_url(),
        reverse("events:programme", args=[event.slug]),
        reverse("events:programme", args=[event.slug]) + "?vue=liste",
        reverse("events:list"),
        reverse("events:place_events", args=[place_a.slug]),
        place_a.get_absolute_url(),
        "/",
        reverse("events:edit", args=[event.slug]),
        reverse("events:cancel", args=[event.slug]),
        reverse("events:session_edit", args=[event.slug, event.sessions.get().pk]),
    ]
    for url in urls:
        for person in (None, manager_a):
            response = client_for(person).get(url)
            if response.status_code in (302, 403):
                continue
            assert response.status_code == 200, url
            page = response.content.decode()
            assert "<script>alert" not in page, url
            assert "<img src=x" not in page, url
            assert 'href="javascript:' not in page, url


# Editing ----------------------------------------------------------------------------------------


def test_manager_b_cannot_edit_nor_cancel_as_events(client_for, make_event, manager_b, member_a):
    event = make_event("Atelier")
    draft = make_event("Brouillon", status=Event.Status.DRAFT)
    for person in (manager_b, member_a):
        client = client_for(person)
        assert client.get(reverse("events:edit", args=[event.slug])).status_code == 403
        assert (
            client.post(
                reverse("events:edit", args=[event.slug]), edit_data(event, title="X")
            ).status_code
            == 403
        )
        assert (
            client.post(reverse("events:cancel", args=[event.slug]), {"reason": "x"}).status_code
            == 403
        )
        assert client.post(reverse("events:publish", args=[draft.slug])).status_code == 404
        assert client.get(reverse("events:edit", args=[draft.slug])).status_code == 404
        assert client.get(reverse("events:session_create", args=[event.slug])).status_code == 403
    event.refresh_from_db()
    draft.refresh_from_db()
    assert event.title == "Atelier" and event.status == Event.Status.PUBLISHED
    assert draft.status == Event.Status.DRAFT


def test_edit_an_event(client_for, make_event, manager_a):
    event = make_event("Atelier", tags=["Vélo"])
    url = reverse("events:edit", args=[event.slug])
    client = client_for(manager_a)
    page = client.get(url).content.decode()
    assert 'value="Vélo"' in page
    assert 'value="2026-03-24T18:00"' in page  # shown on the place's clock
    response = client.post(
        url,
        edit_data(
            event,
            title="Atelier réparé",
            tags_text="Jardin",
            start="2026-03-24T19:00",
            end="2026-03-24T21:00",
        ),
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Atelier réparé"
    assert [t.slug for t in event.tags.all()] == ["jardin"]
    assert event.start == at(24, 19)


def test_publish_a_draft(client_for, make_event, manager_a):
    draft = make_event("Brouillon", status=Event.Status.DRAFT)
    client = client_for(manager_a)
    assert client.get(reverse("events:publish", args=[draft.slug])).status_code == 405
    response = client.post(reverse("events:publish", args=[draft.slug]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Event.Status.PUBLISHED
    # publishing twice is refused with a message, not an error page
    response = client.post(reverse("events:publish", args=[draft.slug]), follow=True)
    assert "Only a draft can be published." in response.content.decode()


def test_cancel_needs_a_reason_and_tells_registrants(client_for, make_event, manager_a, mailoutbox):
    event = make_event("Atelier", registration_open=True, capacity=5)
    registrations.register(event=event, name="Ana", email="ana@example.org", user=None)
    url = reverse("events:cancel", args=[event.slug])
    client = client_for(manager_a)
    page = client.get(url).content.decode()
    assert "registrant will be told" in page
    response = client.post(url, {"reason": "   "})
    assert "reason" in errors(response)
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    response = client.post(url, {"reason": "Le formateur est malade"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert event.cancel_reason == "Le formateur est malade"
    # a cancelled event is not edited any more
    response = client.get(reverse("events:edit", args=[event.slug]))
    assert response.status_code == 302


# Rooms ------------------------------------------------------------------------------------------


def test_an_event_in_a_booked_room_is_refused(client_for, place_a, manager_a, member_a, room):
    booking_services.booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    response = client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]),
        event_data(room=room.pk, start="2026-03-24T10:30", end="2026-03-24T12:00"),
    )
    assert response.status_code == 200
    assert "room" in errors(response)
    assert "is not free at that time" in errors(response)["room"][0]
    assert not Event.objects.exists()


def test_a_booking_in_the_events_room_is_refused(make_event, member_a, room):
    make_event("Atelier", room=room, start=at(24, 10), end=at(24, 12))
    with pytest.raises(BookingError):
        booking_services.booking_create(
            resource=room, user=member_a, start=at(24, 11), end=at(24, 13)
        )


def test_moving_or_cancelling_the_event_frees_the_room(
    client_for, make_event, manager_a, member_a, room
):
    event = make_event("Atelier", room=room, start=at(24, 10), end=at(24, 12))
    client = client_for(manager_a)
    response = client.post(
        reverse("events:edit", args=[event.slug]),
        edit_data(event, room=room.pk, start="2026-03-24T14:00", end="2026-03-24T16:00"),
    )
    assert response.status_code == 302
    # the morning is free again, the afternoon is held
    booking_services.booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    with pytest.raises(BookingError):
        booking_services.booking_create(
            resource=room, user=member_a, start=at(24, 15), end=at(24, 16)
        )
    client.post(reverse("events:cancel", args=[event.slug]), {"reason": "Annulé"})
    booking_services.booking_create(resource=room, user=member_a, start=at(24, 15), end=at(24, 16))


def test_moving_into_a_booked_room_is_refused_and_changes_nothing(
    client_for, make_event, manager_a, member_a, room
):
    event = make_event("Atelier", room=room, start=at(24, 10), end=at(24, 12))
    booking_services.booking_create(resource=room, user=member_a, start=at(24, 14), end=at(24, 15))
    response = client_for(manager_a).post(
        reverse("events:edit", args=[event.slug]),
        edit_data(event, room=room.pk, start="2026-03-24T14:00", end="2026-03-24T16:00"),
    )
    assert "room" in errors(response)
    event.refresh_from_db()
    assert event.start == at(24, 10)
    hold = Booking.objects.get(pk=event.room_hold_id)
    assert hold.is_active and hold.start == at(24, 10)


def test_a_room_of_another_place_is_not_offered(client_for, place_a, place_b, manager_a):
    from tiers.bookings.models import Resource

    other = Resource.objects.create(
        place=place_b, name="Salle B", slug="salle-b", kind="meeting_room"
    )
    response = client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]), event_data(room=other.pk)
    )
    assert "room" in errors(response)
    assert not Event.objects.exists()


# Registration's effect on the seats -------------------------------------------------------------


def test_raising_the_capacity_offers_seats_to_the_waiting_list(client_for, make_event, manager_a):
    event = make_event("Atelier", registration_open=True, capacity=1)
    registrations.register(event=event, name="A", email="a@example.org", user=manager_a)
    waiting = Registration.objects.create(
        event=event, name="B", email="b@example.org", status="waitlisted"
    )
    response = client_for(manager_a).post(
        reverse("events:edit", args=[event.slug]),
        edit_data(event, registration_open="on", capacity="2"),
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.OFFERED
