"""Property-based tests of the rule engine: whatever the rules and the attempts, every
accepted booking satisfies every rule, and no two accepted bookings of an exclusive
resource overlap (buffer included)."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.bookings.conftest import NOW, PARIS, at
from tiers.bookings.models import Booking
from tiers.bookings.services import BookingError, booking_create

CODES = {
    "taken", "outside_hours", "closed", "too_long", "too_short", "misaligned", "too_soon",
    "too_far", "not_allowed", "not_qualified", "limit_reached", "invalid_range",
}  # fmt: skip

rules = st.fixed_dictionaries(
    {
        "granularity_minutes": st.sampled_from([15, 30, 60]),
        "min_duration_minutes": st.sampled_from([15, 30, 60]),
        "max_duration_minutes": st.sampled_from([60, 120, 240, 540]),
        "min_notice_minutes": st.sampled_from([0, 60, 240, 24 * 60]),
        "max_days_ahead": st.integers(1, 7),
        "buffer_minutes": st.sampled_from([0, 15, 30]),
    }
)
attempts = st.lists(
    st.tuples(
        st.integers(23, 29),  # a day of March 2026 (28 and 29 are a weekend)
        st.integers(8, 18),  # start hour
        st.sampled_from([0, 0, 0, 30, 30, 15, 45]),  # start minute
        st.sampled_from([-30, 0, 15, 30, 60, 60, 60, 90, 120, 180, 240, 600]),  # duration
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=rules, attempts=attempts)
def test_accepted_bookings_satisfy_every_rule(desk, member_a, rules, attempts):
    Booking.objects.all().delete()
    for name, value in rules.items():
        setattr(desk, name, value)
    desk.save(update_fields=list(rules))
    accepted = []
    for day, hour, minute, length in attempts:
        start = at(day, hour, minute)
        end = start + dt.timedelta(minutes=length)
        try:
            accepted.append(booking_create(resource=desk, user=member_a, start=start, end=end))
        except BookingError as exc:
            assert exc.code in CODES
    event("some accepted" if accepted else "none accepted")
    buffer = dt.timedelta(minutes=desk.buffer_minutes)
    for booking in accepted:
        start, end = booking.start.astimezone(PARIS), booking.end.astimezone(PARIS)
        minutes = (booking.end - booking.start) / dt.timedelta(minutes=1)
        assert start.minute % desk.granularity_minutes == 0
        assert end.minute % desk.granularity_minutes == 0
        assert desk.min_duration_minutes <= minutes <= desk.max_duration_minutes
        assert booking.start >= NOW + dt.timedelta(minutes=desk.min_notice_minutes)
        assert (start.date() - NOW.date()).days <= desk.max_days_ahead
        assert start.weekday() < 5 and start.date() == end.date()
        assert dt.time(9) <= start.time() and end.time() <= dt.time(18)
    rows = sorted(accepted, key=lambda b: b.start)
    for before, after in itertools.pairwise(rows):
        assert before.end + buffer <= after.start
    assert Booking.objects.count() == len(accepted)
