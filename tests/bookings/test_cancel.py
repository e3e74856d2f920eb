"""Cancelling: the person until the deadline, the place's managers at any time, nobody else."""

from __future__ import annotations

import pytest

from tests.bookings.conftest import at
from tiers.bookings.models import Booking, BookingLog
from tiers.bookings.services import BookingError, booking_cancel, booking_create


@pytest.fixture
def booking(desk, member_a) -> Booking:
    # now is 08:00 on the 23rd; the default deadline is 2 hours before the start
    return booking_create(resource=desk, user=member_a, start=at(23, 10), end=at(23, 11))


def refused(code: str, booking: Booking, by) -> None:
    with pytest.raises(BookingError) as info:
        booking_cancel(booking=booking, by=by)
    assert info.value.code == code
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert not booking.log.filter(action=BookingLog.Action.CANCELLED).exists()


def test_the_person_cancels_before_the_deadline(booking, member_a, desk, concierge_a):
    booking_cancel(booking=booking, by=member_a)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.log.filter(action=BookingLog.Action.CANCELLED, actor=member_a).count() == 1
    # the slot is free again
    booking_create(resource=desk, user=concierge_a, start=at(23, 10), end=at(23, 11))


def test_after_the_deadline_only_a_manager_cancels(booking, member_a, manager_a, desk):
    desk.cancellation_deadline_hours = 3
    desk.save(update_fields=["cancellation_deadline_hours"])
    refused("too_late", booking, member_a)
    booking_cancel(booking=booking, by=manager_a)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_nobody_else_cancels(booking, concierge_a, manager_b):
    refused("not_allowed", booking, concierge_a)
    refused("not_allowed", booking, manager_b)


def test_cancelling_twice_changes_the_row_once(booking, member_a):
    booking_cancel(booking=booking, by=member_a)
    with pytest.raises(BookingError) as info:
        booking_cancel(booking=booking, by=member_a)
    assert info.value.code == "not_active"
    assert booking.log.filter(action=BookingLog.Action.CANCELLED).count() == 1
