"""Daylight-saving change days in Europe/Paris: 29 March 2026 (02:00 → 03:00) and
25 October 2026 (03:00 → 02:00)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import PARIS, at
from tiers.bookings.availability import free_busy
from tiers.bookings.services import BookingError, booking_create


@pytest.fixture
def room(make_resource, place_a):
    return make_resource(
        place_a, "Room", kind="meeting_room", opening_hours="24/7",
        max_duration_minutes=26 * 60, max_days_ahead=366, granularity_minutes=60,
    )  # fmt: skip


def utc(year, month, day, hour, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_a_whole_day_in_spring_lasts_23_hours(room, member_a):
    booking = booking_create(resource=room, user=member_a, start=at(29, 0), end=at(30, 0))
    assert booking.end - booking.start == dt.timedelta(hours=23)
    room.max_duration_minutes = 22 * 60
    room.save(update_fields=["max_duration_minutes"])
    with pytest.raises(BookingError) as info:
        booking_create(resource=room, user=member_a, start=at(28, 0), end=at(29, 0))
    assert info.value.code == "too_long"  # a plain day is 24 hours


def test_a_whole_day_in_autumn_lasts_25_hours(room, member_a):
    booking = booking_create(
        resource=room, user=member_a, start=at(25, 0, month=10), end=at(26, 0, month=10)
    )
    assert booking.end - booking.start == dt.timedelta(hours=25)


def test_the_hour_repeated_in_autumn_is_booked_twice_without_overlap(room, member_a, concierge_a):
    # 02:00-03:00 happens twice on 25 October: 00:00-01:00 UTC (CEST), 01:00-02:00 UTC (CET)
    first = booking_create(
        resource=room, user=member_a, start=utc(2026, 10, 25, 0), end=utc(2026, 10, 25, 1)
    )
    second = booking_create(
        resource=room, user=concierge_a, start=utc(2026, 10, 25, 1), end=utc(2026, 10, 25, 2)
    )
    assert first.start.astimezone(PARIS).hour == second.start.astimezone(PARIS).hour == 2
    with pytest.raises(BookingError) as info:
        booking_create(
            resource=room, user=concierge_a, start=utc(2026, 10, 25, 0), end=utc(2026, 10, 25, 2)
        )
    assert info.value.code == "taken"


def test_alignment_after_the_spring_change(room, member_a):
    # 03:00 CEST is 01:00 UTC: aligned on the hour on the place's clock
    booking_create(resource=room, user=member_a, start=utc(2026, 3, 29, 1), end=utc(2026, 3, 29, 2))


def test_opening_hours_follow_the_local_clock_across_the_change(make_resource, place_a, member_a):
    desk = make_resource(place_a, "Weekend desk", opening_hours="Mo-Su 09:00-18:00")
    window = free_busy(desk, at(28, 0), at(30, 0))
    assert window.open == [
        (utc(2026, 3, 28, 8), utc(2026, 3, 28, 17)),  # CET, UTC+1
        (utc(2026, 3, 29, 7), utc(2026, 3, 29, 16)),  # CEST, UTC+2
    ]
    booking_create(resource=desk, user=member_a, start=at(29, 9), end=at(29, 18))
    with pytest.raises(BookingError) as info:
        booking_create(resource=desk, user=member_a, start=at(29, 8), end=at(29, 9))
    assert info.value.code == "outside_hours"


def test_opening_hours_in_autumn(make_resource, place_a, member_a):
    desk = make_resource(
        place_a, "Weekend desk", opening_hours="Mo-Su 09:00-18:00", max_days_ahead=366
    )
    window = free_busy(desk, at(24, 0, month=10), at(26, 0, month=10))
    assert window.open == [
        (utc(2026, 10, 24, 7), utc(2026, 10, 24, 16)),
        (utc(2026, 10, 25, 8), utc(2026, 10, 25, 17)),
    ]
    booking_create(
        resource=desk, user=member_a, start=at(25, 9, month=10), end=at(25, 18, month=10)
    )
