"""Weekly recurring bookings: occurrences on the same wall-clock time (across the
daylight-saving change), conflicts skipped and listed or refusing the whole series,
cancelling one occurrence or the rest."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import PARIS, at
from tiers.bookings.models import Booking, BookingSeries
from tiers.bookings.services import (
    BookingError,
    booking_create,
    series_cancel,
    series_create,
)


def test_every_week_at_the_same_local_time_across_the_clock_change(desk, member_a):
    # Tuesdays 24 and 31 March 2026: the clocks go forward on Sunday 29 March
    result = series_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=3)
    assert result.skipped == []
    assert [b.start.astimezone(PARIS).strftime("%d %H:%M") for b in result.booked] == [
        "24 09:00", "31 09:00", "07 09:00",
    ]  # fmt: skip
    assert result.booked[1].start - result.booked[0].start == dt.timedelta(days=7, hours=-1)
    assert {b.series_id for b in result.booked} == {result.series.pk}


def test_conflicting_occurrences_are_skipped_with_their_reason(desk, member_a, concierge_a):
    booking_create(resource=desk, user=concierge_a, start=at(31, 10), end=at(31, 11))
    result = series_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=3)
    assert len(result.booked) == 2
    [(start, _end, error)] = result.skipped
    assert start == at(31, 9).astimezone(dt.UTC)
    assert error.code == "taken"


def test_refusing_conflicts_writes_nothing(desk, member_a, concierge_a):
    booking_create(resource=desk, user=concierge_a, start=at(31, 10), end=at(31, 11))
    with pytest.raises(BookingError) as info:
        series_create(
            resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=3,
            skip_conflicts=False,
        )  # fmt: skip
    assert info.value.code == "series_conflict"
    assert [error.code for _s, _e, error in info.value.conflicts] == ["taken"]
    assert not Booking.objects.filter(user=member_a).exists()
    assert not BookingSeries.objects.exists()


def test_a_series_past_the_booking_horizon_books_what_it_can(desk, member_a):
    desk.max_days_ahead = 10
    desk.save(update_fields=["max_days_ahead"])
    result = series_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=4)
    assert len(result.booked) == 2
    assert {error.code for _s, _e, error in result.skipped} == {"too_far"}


def test_nothing_bookable_leaves_no_series(desk, member_a):
    result = series_create(resource=desk, user=member_a, start=at(28, 9), end=at(28, 12), count=2)
    assert result.series is None and result.booked == []
    assert len(result.skipped) == 2  # Saturdays: outside the hours
    assert not BookingSeries.objects.exists()


@pytest.mark.parametrize("count", [0, 53])
def test_a_series_has_1_to_52_occurrences(desk, member_a, count):
    with pytest.raises(BookingError) as info:
        series_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=count)
    assert info.value.code == "invalid_range"


def test_cancel_one_occurrence_or_the_following(desk, member_a):
    booked = series_create(
        resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=4
    ).booked
    assert [b.pk for b in series_cancel(booking=booked[0], by=member_a, following=False)] == [
        booked[0].pk
    ]
    cancelled = series_cancel(booking=booked[2], by=member_a, following=True)
    assert [b.pk for b in cancelled] == [booked[2].pk, booked[3].pk]
    statuses = [Booking.objects.get(pk=b.pk).status for b in booked]
    assert statuses == ["cancelled", "confirmed", "cancelled", "cancelled"]


def test_another_member_cannot_cancel_a_series(desk, member_a, concierge_a):
    booked = series_create(
        resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=2
    ).booked
    with pytest.raises(BookingError) as info:
        series_cancel(booking=booked[0], by=concierge_a, following=True)
    assert info.value.code == "not_allowed"
    assert Booking.objects.filter(status="confirmed").count() == 2
