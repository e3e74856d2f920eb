"""PostgreSQL's exclusion constraint: the database itself refuses two overlapping active
bookings of an exclusive resource, whatever the code above it does."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tests.bookings.conftest import at
from tiers.bookings import services
from tiers.bookings.models import Booking
from tiers.bookings.services import BookingError, booking_create

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only"
)


def test_the_database_refuses_overlapping_exclusive_bookings(desk, member_a, pool):
    Booking.objects.create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 11))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 12))
    # touching ranges, cancelled bookings and pools are not concerned
    Booking.objects.create(resource=desk, user=member_a, start=at(24, 11), end=at(24, 12))
    Booking.objects.create(
        resource=desk, user=member_a, start=at(24, 9), end=at(24, 11), status="cancelled"
    )
    for _ in range(2):
        Booking.objects.create(
            resource=pool, user=member_a, start=at(24, 9), end=at(24, 11), exclusive=False
        )


def test_the_service_turns_the_constraint_into_taken(desk, member_a, concierge_a, monkeypatch):
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 11))
    # as if the check under the lock had a bug: the constraint still says no
    monkeypatch.setattr(services, "_check_capacity", lambda *args: None)
    with pytest.raises(BookingError) as info:
        booking_create(resource=desk, user=concierge_a, start=at(24, 10), end=at(24, 12))
    assert info.value.code == "taken"
    assert Booking.objects.count() == 1
