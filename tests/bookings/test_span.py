"""No booking or block lasts more than 31 days, which lets every availability query read only
the bookings that start at most 31 days before its window (not the whole history)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import at
from tiers.bookings import availability
from tiers.bookings.models import MAX_BOOKING_SPAN, Booking
from tiers.bookings.services import BookingError, block_create, booking_create


@pytest.fixture
def month_desk(make_resource, place_a):
    place_a.opening_hours = ""
    place_a.save(update_fields=["opening_hours"])
    return make_resource(
        place_a, "Bureau au mois", max_duration_minutes=31 * 24 * 60, max_days_ahead=365
    )


def test_a_31_day_booking_is_found_from_its_last_day(month_desk, member_a):
    booking = booking_create(
        resource=month_desk, user=member_a, start=at(1, 9, month=4), end=at(2, 9, month=5)
    )
    assert booking.end - booking.start == MAX_BOOKING_SPAN
    last_day = at(1, 12, month=5), at(1, 13, month=5)
    assert Booking.objects.overlapping(*last_day).get() == booking
    assert availability.free_busy(month_desk, *last_day).busy[0].units == 1
    with pytest.raises(BookingError) as info:
        booking_create(resource=month_desk, user=member_a, start=last_day[0], end=last_day[1])
    assert info.value.code == "taken"


def test_longer_than_31_days_is_refused_even_for_a_block(month_desk, member_a, manager_a):
    too_long = (at(1, 9, month=4), at(2, 9, month=5) + dt.timedelta(minutes=30))
    for attempt in (
        lambda: booking_create(resource=month_desk, user=member_a, start=too_long[0], end=too_long[1]),
        lambda: block_create(resource=month_desk, by=manager_a, start=too_long[0], end=too_long[1], reason="x"),
    ):  # fmt: skip
        with pytest.raises(BookingError) as info:
            attempt()
        assert info.value.code == "invalid_range"
    assert not Booking.objects.exists()
