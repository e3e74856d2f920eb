"""Rooms held for events: a hold is taken under the resource's lock like a block, moved in one
transaction (the old range is freed only if the new one can be taken), released, and never
cancelled from the bookings pages (the event owns it)."""

from __future__ import annotations

import pytest

from tiers.bookings import services
from tiers.bookings.errors import BookingError
from tiers.bookings.models import Booking, BookingLog, Resource

from .conftest import at


@pytest.fixture
def room(make_resource, place_a) -> Resource:
    return make_resource(place_a, "Grande salle", kind=Resource.Kind.MEETING_ROOM)


def _hold(room, manager_a, start=None, end=None) -> Booking:
    return services.event_hold(
        resource=room, by=manager_a, start=start or at(24, 14), end=end or at(24, 16),
        title="Repair café",
    )  # fmt: skip


def test_a_hold_takes_the_whole_room_and_refuses_bookings(room, manager_a, member_a):
    hold = _hold(room, manager_a)
    assert (hold.kind, hold.units, hold.note) == (Booking.Kind.EVENT, 1, "Repair café")
    with pytest.raises(BookingError) as error:
        services.booking_create(resource=room, user=member_a, start=at(24, 15), end=at(24, 17))
    assert error.value.code == "taken"


def test_a_hold_is_refused_over_a_booking(room, manager_a, member_a):
    services.booking_create(resource=room, user=member_a, start=at(24, 13), end=at(24, 15))
    with pytest.raises(BookingError) as error:
        _hold(room, manager_a)
    assert error.value.code == "taken"
    assert not Booking.objects.filter(kind=Booking.Kind.EVENT).exists()


def test_only_the_place_managers_hold_its_rooms(room, manager_b, member_a):
    for person in (manager_b, member_a):
        with pytest.raises(BookingError):
            _hold(room, person)
    assert not Booking.objects.filter(kind=Booking.Kind.EVENT).exists()


def test_moving_a_hold_frees_the_old_range(room, manager_a, member_a):
    hold = _hold(room, manager_a)
    moved = services.hold_move(hold=hold, by=manager_a, start=at(25, 14), end=at(25, 16), note="x")
    hold.refresh_from_db()
    assert hold.status == Booking.Status.CANCELLED
    assert moved.is_active and (moved.start, moved.end) == (at(25, 14), at(25, 16))
    # the old range can be booked again, the new one cannot
    services.booking_create(resource=room, user=member_a, start=at(24, 14), end=at(24, 15))
    with pytest.raises(BookingError):
        services.booking_create(resource=room, user=member_a, start=at(25, 14), end=at(25, 15))


def test_a_hold_may_move_over_its_own_range(room, manager_a):
    hold = _hold(room, manager_a)
    moved = services.hold_move(hold=hold, by=manager_a, start=at(24, 15), end=at(24, 17), note="")
    assert (moved.start, moved.end) == (at(24, 15), at(24, 17))
    assert Booking.objects.filter(kind=Booking.Kind.EVENT, status="confirmed").count() == 1


def test_a_refused_move_keeps_the_old_hold(room, manager_a, member_a):
    hold = _hold(room, manager_a)
    services.booking_create(resource=room, user=member_a, start=at(25, 14), end=at(25, 15))
    with pytest.raises(BookingError):
        services.hold_move(hold=hold, by=manager_a, start=at(25, 14), end=at(25, 16), note="")
    hold.refresh_from_db()
    assert hold.status == Booking.Status.CONFIRMED
    assert Booking.objects.filter(kind=Booking.Kind.EVENT).count() == 1


def test_releasing_a_hold_frees_the_room_once(room, manager_a, member_a):
    hold = _hold(room, manager_a)
    services.hold_release(hold=hold, by=manager_a)
    services.hold_release(hold=hold, by=manager_a)
    assert BookingLog.objects.filter(booking=hold, action=BookingLog.Action.CANCELLED).count() == 1
    services.booking_create(resource=room, user=member_a, start=at(24, 14), end=at(24, 15))


def test_an_event_hold_is_not_cancelled_from_the_bookings(room, manager_a):
    hold = _hold(room, manager_a)
    with pytest.raises(BookingError) as error:
        services.booking_cancel(booking=hold, by=manager_a)
    assert error.value.code == "event_hold"
    hold.refresh_from_db()
    assert hold.is_active


def test_the_day_list_names_the_event_without_a_cancel_button(room, manager_a, client_for):
    _hold(room, manager_a)
    page = client_for(manager_a).get(
        f"/lieux/{room.place.slug}/gestion/reservations/?jour=2026-03-24"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Repair café" in html
    assert "/annuler/" not in html
