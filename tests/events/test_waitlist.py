"""The waiting list: freed places are offered in queue order, the offer expires and passes
on, families keep their place while the next who fits is offered, organisers move someone
first; seats are never over-given."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tiers.events import registrations, services
from tiers.events.errors import EventError
from tiers.events.models import Event, Registration

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def event(make_event):
    return make_event(registration_open=True, capacity=2, offer_hours=12)


@pytest.fixture
def people(make_user):
    return [make_user(f"Person {i}") for i in range(6)]


def reg(event, user, seats=1) -> Registration:
    return registrations.register(event=event, name=user.display_name, email=user.email,
                                  seats=seats, user=user, language="en")  # fmt: skip


def status(*rows: Registration) -> list[str]:
    return [Registration.objects.get(pk=r.pk).status for r in rows]


def test_full_event_queues_then_a_cancellation_offers_the_place(
    client, event, people, django_capture_on_commit_callbacks
):
    a, b, c, d = (reg(event, p) for p in people[:4])
    assert status(a, b, c, d) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert registrations.waitlist_position(c) == 1
    assert registrations.waitlist_position(d) == 2
    with django_capture_on_commit_callbacks(execute=True):
        registrations.registration_cancel(registration=a)
    c.refresh_from_db()
    assert c.status == Registration.Status.OFFERED
    assert c.offer_expires_at == at(23, 20)  # 12 hours
    assert status(d) == ["waitlisted"]
    assert registrations.seats_taken(event) == 2  # the offer holds the place
    offer = next(m for m in mail.outbox if m.to == [c.email])
    assert c.get_manage_url() in offer.body
    # accepting through the link page
    page = client.get(c.get_manage_url()).content.decode()
    assert "Accept the place" in page
    response = client.post(reverse("events:registration_action", args=[c.token, "accepter"]))
    assert response.status_code == 302
    assert status(c) == ["confirmed"]
    assert registrations.seats_taken(event) == 2


def test_an_offer_not_accepted_in_time_passes_to_the_next(
    client, event, people, clock_at, django_capture_on_commit_callbacks
):
    a, _b, c, d = (reg(event, p) for p in people[:4])
    registrations.registration_cancel(registration=a)
    assert status(c, d) == ["offered", "waitlisted"]
    clock_at.set(at(23, 19, 59))
    assert registrations.expire_offers() == 0
    clock_at.set(at(23, 20))
    with django_capture_on_commit_callbacks(execute=True):
        assert registrations.expire_offers() == 1
    assert status(c, d) == ["expired", "offered"]
    assert any(m.to == [c.email] and "not accepted in time" in m.body for m in mail.outbox)
    # too late to accept
    response = client.post(
        reverse("events:registration_action", args=[c.token, "accepter"]), follow=True
    )
    assert "No seat is offered to you" in response.content.decode()
    assert status(c) == ["expired"]
    with pytest.raises(EventError) as info:
        registrations.offer_accept(registration=c)
    assert info.value.code == "not_offered"
    # the job does nothing twice
    assert registrations.expire_offers() == 0
    assert registrations.seats_taken(event) == 2


def test_accepting_after_the_deadline_but_before_the_job_is_refused(event, people, clock_at):
    a, _b, c = (reg(event, p) for p in people[:3])
    registrations.registration_cancel(registration=a)
    clock_at.set(at(23, 20, 1))
    with pytest.raises(EventError) as info:
        registrations.offer_accept(registration=c)
    assert info.value.code == "offer_expired"


def test_an_offer_never_outlives_the_start(make_event, people, clock_at):
    event = make_event(registration_open=True, capacity=1, offer_hours=48)
    a, b = reg(event, people[0]), reg(event, people[1])
    registrations.registration_cancel(registration=a)
    b.refresh_from_db()
    assert b.offer_expires_at == event.start


def test_a_family_keeps_its_place_and_the_next_who_fits_is_offered(make_event, people):
    event = make_event(registration_open=True, capacity=4, max_seats_per_registration=5)
    a = reg(event, people[0], seats=3)
    b = reg(event, people[1], seats=1)
    family = reg(event, people[2], seats=3)
    single = reg(event, people[3], seats=1)
    assert status(a, b, family, single) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    registrations.registration_cancel(registration=b)  # one place free: the family needs 3
    assert status(family, single) == ["waitlisted", "offered"]
    assert registrations.waitlist_position(family) == 1
    registrations.offer_accept(registration=single)
    registrations.registration_cancel(registration=a)  # three free: the family fits
    assert status(family) == ["offered"]
    assert registrations.seats_taken(event) == 4


def test_raising_the_capacity_offers_the_new_places(event, people, manager_a):
    rows = [reg(event, p) for p in people[:5]]
    assert [r.status for r in rows] == ["confirmed"] * 2 + ["waitlisted"] * 3
    event.capacity = 4
    services.event_update(event=event, by=manager_a)
    assert status(*rows) == ["confirmed"] * 2 + ["offered"] * 2 + ["waitlisted"]
    assert registrations.seats_taken(event) == 4


def test_organiser_moves_someone_first(client_for, manager_a, manager_b, event, people):
    _a, b, c, d = (reg(event, p) for p in people[:4])
    url = reverse("events:attendee_action", args=[event.slug, d.pk, "premier"])
    assert client_for(manager_b).post(url).status_code == 403
    assert registrations.waitlist_position(d) == 2
    response = client_for(manager_a).post(url)
    assert response.status_code == 302
    d.refresh_from_db()
    assert registrations.waitlist_position(d) == 1
    assert registrations.waitlist_position(c) == 2
    registrations.registration_cancel(registration=b)
    assert status(c, d) == ["waitlisted", "offered"]


def test_moving_first_refuses_who_is_not_waiting(event, people, manager_a, member_a):
    a = reg(event, people[0])
    with pytest.raises(EventError) as info:
        registrations.waitlist_move_first(registration=a, by=manager_a)
    assert info.value.code == "not_waitlisted"
    reg(event, people[1])
    c = reg(event, people[2])
    with pytest.raises(EventError) as info:
        registrations.waitlist_move_first(registration=c, by=member_a)
    assert info.value.code == "not_allowed"


def test_without_a_waiting_list_a_full_event_refuses(make_event, people):
    event = make_event(registration_open=True, capacity=1, waitlist_enabled=False)
    reg(event, people[0])
    with pytest.raises(EventError) as info:
        reg(event, people[1])
    assert info.value.code == "full"
    with pytest.raises(EventError) as info:
        registrations.register(event=event, name="Z", email="z@example.org")
    assert info.value.code == "full"
    assert Registration.objects.count() == 1


def test_a_cancelled_event_offers_nothing(event, people, manager_a):
    a, _b, c = (reg(event, p) for p in people[:3])
    services.event_cancel(event=event, by=manager_a, reason="Flood")
    registrations.registration_cancel(registration=a)
    assert status(c) == ["waitlisted"]


def test_offers_are_never_made_after_the_event(event, people, clock_at):
    a, _b, c = (reg(event, p) for p in people[:3])
    clock_at.set(at(24, 20, 1))
    with pytest.raises(EventError):
        registrations.registration_cancel(registration=a)
    assert registrations.offer_free_seats(Event.objects.get(pk=event.pk)) == []
    assert status(c) == ["waitlisted"]


def test_confirmation_order_is_queue_order(event, people, clock_at):
    reg(event, people[0])
    reg(event, people[1])
    early = registrations.register(event=event, name="Early", email="early@example.org")
    late = registrations.register(event=event, name="Late", email="late@example.org")
    clock_at.set(at(23, 9))
    registrations.confirm_email(registration=late)
    clock_at.set(at(23, 10))
    registrations.confirm_email(registration=early)
    assert registrations.waitlist_position(Registration.objects.get(pk=late.pk)) == 1
    assert registrations.waitlist_position(Registration.objects.get(pk=early.pk)) == 2
    assert Registration.objects.get(pk=late.pk).queued_at == at(23, 9)
