"""Managers' actions on bookings: approve or decline pending ones, mark who came, block a
range, book for someone; each refused to everyone else, with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import NOW, at
from tiers.bookings import services
from tiers.bookings.models import Booking, BookingLog
from tiers.bookings.services import (
    BookingError,
    block_create,
    booking_approve,
    booking_cancel,
    booking_create,
    booking_decline,
    booking_set_attendance,
)


@pytest.fixture
def room(make_resource, place_a):
    return make_resource(place_a, "Salle Loire", kind="meeting_room", requires_approval=True)


def test_a_booking_that_needs_approval_waits_then_is_approved(room, member_a, manager_a):
    booking = booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    assert booking.status == Booking.Status.PENDING
    booking_approve(booking=booking, by=manager_a)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert list(booking.log.values_list("action", flat=True)) == ["requested", "approved"]
    # twice: the second finds nothing to approve
    with pytest.raises(BookingError) as info:
        booking_approve(booking=booking, by=manager_a)
    assert info.value.code == "not_active"


def test_a_pending_booking_holds_its_time(room, member_a, concierge_a):
    booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    with pytest.raises(BookingError) as info:
        booking_create(resource=room, user=concierge_a, start=at(24, 10), end=at(24, 11))
    assert info.value.code == "taken"


def test_declining_frees_the_time_and_keeps_the_reason(room, member_a, concierge_a, manager_a):
    booking = booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    booking_decline(booking=booking, by=manager_a, reason="Salle réservée pour le CA")
    booking.refresh_from_db()
    assert (booking.status, booking.decision_reason) == ("declined", "Salle réservée pour le CA")
    assert BookingLog.objects.filter(booking=booking, action="declined").get().detail
    booking_create(resource=room, user=concierge_a, start=at(24, 10), end=at(24, 11))


@pytest.mark.parametrize("persona", ["member_a", "concierge_a", "manager_b", "coordinator"])
def test_only_managers_approve_or_decline(request, persona, room, member_a):
    booking = booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    who = request.getfixturevalue(persona)
    for action in (booking_approve, booking_decline):
        with pytest.raises(BookingError) as info:
            action(booking=booking, by=who)
        assert info.value.code == "not_allowed"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING


def test_a_manager_booking_for_someone_needs_no_approval(room, member_a, manager_a):
    booking = booking_create(
        resource=room, user=member_a, start=at(24, 10), end=at(24, 11), by=manager_a
    )
    assert (booking.status, booking.booked_by, booking.user) == ("confirmed", manager_a, member_a)


def test_a_manager_may_book_for_someone_the_status_rules_exclude(desk, member_a, manager_a):
    desk.allowed_statuses = ["resident"]
    desk.save(update_fields=["allowed_statuses"])
    with pytest.raises(BookingError):
        booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 11))
    booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 11), by=manager_a)


def test_attendance_is_marked_once_the_booking_started(
    desk, member_a, concierge_a, manager_b, monkeypatch
):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 12))
    with pytest.raises(BookingError) as info:
        booking_set_attendance(booking=booking, by=concierge_a, attendance="present")
    assert info.value.code == "too_soon"
    monkeypatch.setattr(services, "now", lambda: at(24, 10, 5))
    with pytest.raises(BookingError) as info:
        booking_set_attendance(booking=booking, by=manager_b, attendance="no_show")
    assert info.value.code == "not_allowed"
    with pytest.raises(BookingError) as info:
        booking_set_attendance(booking=booking, by=concierge_a, attendance="maybe")
    assert info.value.code == "invalid"
    booking_set_attendance(booking=booking, by=concierge_a, attendance="present")
    booking.refresh_from_db()
    assert booking.attendance == "present"
    assert booking.checked_in_at == at(24, 10, 5)
    booking_set_attendance(booking=booking, by=concierge_a, attendance="no_show")
    booking.refresh_from_db()
    assert (booking.attendance, booking.checked_in_at) == ("no_show", None)
    assert list(booking.log.values_list("action", flat=True)) == ["created", "present", "no_show"]


def test_a_block_takes_the_whole_pool_and_stops_bookings(pool, member_a, manager_a):
    block = block_create(
        resource=pool, by=manager_a, start=at(25, 9), end=at(25, 18), reason="Peinture"
    )
    assert (block.kind, block.units, block.note) == ("block", 5, "Peinture")
    with pytest.raises(BookingError) as info:
        booking_create(resource=pool, user=member_a, start=at(25, 10), end=at(25, 11))
    assert info.value.code == "taken"


def test_a_block_is_refused_over_bookings_and_says_how_many(pool, member_a, manager_a):
    booking_create(resource=pool, user=member_a, start=at(25, 10), end=at(25, 11))
    with pytest.raises(BookingError) as info:
        block_create(resource=pool, by=manager_a, start=at(25, 9), end=at(25, 18), reason="x")
    assert info.value.code == "taken"
    assert "1 booking" in str(info.value.message)
    assert Booking.objects.filter(kind="block").count() == 0


@pytest.mark.parametrize("persona", ["member_a", "concierge_a", "manager_b"])
def test_only_managers_block(request, persona, desk):
    with pytest.raises(BookingError) as info:
        block_create(
            resource=desk, by=request.getfixturevalue(persona), start=at(25, 9),
            end=at(25, 18), reason="x",
        )  # fmt: skip
    assert info.value.code == "not_allowed"
    assert not Booking.objects.exists()


def test_a_block_in_the_past_or_backwards_is_refused(desk, manager_a):
    for start, end, code in [
        (NOW - dt.timedelta(hours=3), NOW - dt.timedelta(hours=1), "too_soon"),
        (at(25, 18), at(25, 9), "invalid_range"),
    ]:
        with pytest.raises(BookingError) as info:
            block_create(resource=desk, by=manager_a, start=start, end=end, reason="x")
        assert info.value.code == code
    assert not Booking.objects.exists()


def test_a_manager_cancels_anyone_any_time(desk, member_a, manager_a, manager_b, monkeypatch):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 12))
    with pytest.raises(BookingError):
        booking_cancel(booking=booking, by=manager_b)
    monkeypatch.setattr(services, "now", lambda: at(24, 9, 30))  # past the 2 h deadline
    booking_cancel(booking=booking, by=manager_a)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
