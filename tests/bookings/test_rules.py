"""Each rule of `booking_create`, accepted and refused with its stable code; nothing is
written when a booking is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import at
from tiers.bookings.models import Booking, BookingLog, Closure, Qualification, QualificationGrant
from tiers.bookings.services import BookingError, booking_create
from tiers.places.models import Membership


def refused(code: str, **kwargs) -> BookingError:
    before = Booking.objects.count(), BookingLog.objects.count()
    with pytest.raises(BookingError) as info:
        booking_create(**kwargs)
    assert info.value.code == code, info.value.message
    assert info.value.status == 409
    assert (Booking.objects.count(), BookingLog.objects.count()) == before
    return info.value


def test_a_member_books_a_desk(desk, member_a):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 18))
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.exclusive is True
    assert booking.start == at(24, 14).astimezone(dt.UTC)
    entry = BookingLog.objects.get(booking=booking)
    assert (entry.actor, entry.action) == (member_a, BookingLog.Action.CREATED)


def test_the_same_slot_is_taken(desk, member_a, concierge_a):
    booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 16))
    refused("taken", resource=desk, user=concierge_a, start=at(24, 15), end=at(24, 17))
    # touching ranges do not overlap
    booking_create(resource=desk, user=concierge_a, start=at(24, 16), end=at(24, 17))


def test_a_cancelled_booking_frees_the_slot(desk, member_a, concierge_a):
    first = booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 16))
    Booking.objects.filter(pk=first.pk).update(status=Booking.Status.CANCELLED)
    booking_create(resource=desk, user=concierge_a, start=at(24, 14), end=at(24, 16))


def test_the_buffer_separates_bookings(desk, member_a, concierge_a):
    desk.buffer_minutes = 30
    desk.save(update_fields=["buffer_minutes"])
    booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 12))
    refused("taken", resource=desk, user=concierge_a, start=at(24, 12), end=at(24, 13))
    # the buffer follows each booking, so ours must end a buffer before the next one starts
    refused("taken", resource=desk, user=concierge_a, start=at(24, 9), end=at(24, 10))
    booking_create(resource=desk, user=concierge_a, start=at(24, 9), end=at(24, 9, 30))
    booking_create(resource=desk, user=concierge_a, start=at(24, 12, 30), end=at(24, 13))


def test_a_pool_takes_up_to_its_capacity_at_any_instant(pool, make_user, place_a):
    people = [make_user(f"P{i}") for i in range(7)]
    for person in people:
        Membership.objects.create(place=place_a, user=person, state="active", status="user")
    # 3 in the morning, 2 in the afternoon, 2 over the whole day: never more than 5 at once
    for person in people[:3]:
        booking_create(resource=pool, user=person, start=at(24, 9), end=at(24, 12))
    for person in people[3:5]:
        booking_create(resource=pool, user=person, start=at(24, 14), end=at(24, 18))
    booking_create(resource=pool, user=people[5], start=at(24, 9), end=at(24, 18), units=2)
    refused("taken", resource=pool, user=people[6], start=at(24, 11), end=at(24, 15))
    booking_create(resource=pool, user=people[6], start=at(24, 12), end=at(24, 14), units=3)
    refused("taken", resource=pool, user=people[6], start=at(24, 13), end=at(24, 14))


def test_units_beyond_the_capacity_are_refused(pool, member_a):
    refused("invalid_range", resource=pool, user=member_a, start=at(24, 9), end=at(24, 10), units=6)
    refused("invalid_range", resource=pool, user=member_a, start=at(24, 9), end=at(24, 10), units=0)


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(24, 10), at(24, 10)), (at(24, 11), at(24, 10))],
    ids=["zero-length", "end-before-start"],
)
def test_an_empty_or_reversed_range_is_refused(desk, member_a, start, end):
    refused("invalid_range", resource=desk, user=member_a, start=start, end=end)


def test_naive_datetimes_are_refused(desk, member_a):
    naive = dt.datetime(2026, 3, 24, 10, 0)
    refused("invalid_range", resource=desk, user=member_a, start=naive, end=at(24, 11))
    refused("invalid_range", resource=desk, user=member_a, start=at(24, 9), end=naive)


def test_year_9999_is_too_far(desk, member_a):
    start = dt.datetime(9999, 12, 31, 10, tzinfo=dt.UTC)
    refused("too_far", resource=desk, user=member_a, start=start, end=start + dt.timedelta(hours=1))
    start = dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)
    end = dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)
    refused("invalid_range", resource=desk, user=member_a, start=start, end=end)


def test_granularity(desk, member_a):
    refused("misaligned", resource=desk, user=member_a, start=at(24, 10, 15), end=at(24, 11))
    refused("misaligned", resource=desk, user=member_a, start=at(24, 10), end=at(24, 11, 10))
    desk.granularity_minutes = 15
    desk.save(update_fields=["granularity_minutes"])
    booking_create(resource=desk, user=member_a, start=at(24, 10, 15), end=at(24, 11))


def test_alignment_is_on_the_place_clock(desk, member_a):
    # 10:00 in Paris is 09:00 UTC: aligned on an hour, whatever zone the caller wrote it in
    desk.granularity_minutes = 60
    desk.save(update_fields=["granularity_minutes"])
    start = at(24, 10).astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    booking_create(resource=desk, user=member_a, start=start, end=at(24, 11))


def test_durations(desk, member_a):
    desk.min_duration_minutes, desk.max_duration_minutes = 60, 180
    desk.save(update_fields=["min_duration_minutes", "max_duration_minutes"])
    refused("too_short", resource=desk, user=member_a, start=at(24, 10), end=at(24, 10, 30))
    refused("too_long", resource=desk, user=member_a, start=at(24, 10), end=at(24, 13, 30))
    booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 13))


def test_notice_and_days_ahead(desk, member_a):
    desk.min_notice_minutes, desk.max_days_ahead = 120, 7
    desk.save(update_fields=["min_notice_minutes", "max_days_ahead"])
    # now is Monday 23 March, 08:00
    refused("too_soon", resource=desk, user=member_a, start=at(23, 9), end=at(23, 10))
    refused("too_soon", resource=desk, user=member_a, start=at(20, 9), end=at(20, 10))
    booking_create(resource=desk, user=member_a, start=at(23, 10), end=at(23, 11))
    refused("too_far", resource=desk, user=member_a, start=at(31, 9), end=at(31, 10))
    booking_create(resource=desk, user=member_a, start=at(30, 17), end=at(30, 18))


def test_bookable_hours_come_from_the_place(desk, member_a):
    refused("outside_hours", resource=desk, user=member_a, start=at(24, 8), end=at(24, 10))
    refused("outside_hours", resource=desk, user=member_a, start=at(24, 17), end=at(24, 19))
    refused("outside_hours", resource=desk, user=member_a, start=at(28, 10), end=at(28, 11))
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 18))


def test_the_resource_overrides_the_place_hours(desk, member_a):
    desk.opening_hours = "Sa 10:00-13:00"
    desk.save(update_fields=["opening_hours"])
    booking_create(resource=desk, user=member_a, start=at(28, 10), end=at(28, 13))
    refused("outside_hours", resource=desk, user=member_a, start=at(24, 10), end=at(24, 11))


def test_a_booking_may_span_two_adjacent_opening_ranges(desk, member_a):
    desk.opening_hours = "Mo-Fr 09:00-12:00,12:00-18:00"
    desk.save(update_fields=["opening_hours"])
    booking_create(resource=desk, user=member_a, start=at(24, 11), end=at(24, 13))


def test_public_holidays_follow_the_place_hours(desk, member_a, clock):
    desk.opening_hours = "Mo-Fr 09:00-18:00; PH off"
    desk.max_days_ahead = 60
    desk.save(update_fields=["opening_hours", "max_days_ahead"])
    # Easter Monday 2026 is 6 April
    refused(
        "outside_hours",
        resource=desk,
        user=member_a,
        start=at(6, 10, month=4),
        end=at(6, 11, month=4),
    )
    booking_create(resource=desk, user=member_a, start=at(7, 10, month=4), end=at(7, 11, month=4))


def test_closures_of_the_resource_and_of_the_place(desk, pool, member_a, place_a):
    Closure.objects.create(
        place=place_a, resource=desk, start=at(24, 12), end=at(24, 14), reason="Repairs"
    )
    Closure.objects.create(place=place_a, start=at(25, 9), end=at(26, 0), reason="Staff day")
    refused("closed", resource=desk, user=member_a, start=at(24, 13), end=at(24, 15))
    refused("closed", resource=desk, user=member_a, start=at(25, 10), end=at(25, 11))
    refused("closed", resource=pool, user=member_a, start=at(25, 10), end=at(25, 11))
    booking_create(resource=pool, user=member_a, start=at(24, 13), end=at(24, 15))
    booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 15))


def test_membership_statuses(desk, member_a, concierge_a):
    desk.allowed_statuses = ["resident"]
    desk.save(update_fields=["allowed_statuses"])
    error = refused("not_allowed", resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    assert "Occasional user" in str(error.message)
    booking_create(resource=desk, user=concierge_a, start=at(24, 9), end=at(24, 10))


def test_managers_may_always_book_their_place(desk, manager_a):
    desk.allowed_statuses = []
    desk.save(update_fields=["allowed_statuses"])
    booking_create(resource=desk, user=manager_a, start=at(24, 9), end=at(24, 10))


def test_a_pending_membership_does_not_book(desk, make_user, place_a):
    person = make_user("Asking")
    Membership.objects.create(place=place_a, user=person, state="pending", status="user")
    refused("not_allowed", resource=desk, user=person, start=at(24, 9), end=at(24, 10))


def test_the_public_books_a_public_resource_open_to_it(desk, make_user):
    person = make_user("Visitor")
    refused("not_allowed", resource=desk, user=person, start=at(24, 9), end=at(24, 10))
    desk.visibility = "public"
    desk.save(update_fields=["visibility"])
    refused("not_allowed", resource=desk, user=person, start=at(24, 9), end=at(24, 10))
    desk.allowed_statuses = [*desk.allowed_statuses, "public"]
    desk.save(update_fields=["allowed_statuses"])
    booking_create(resource=desk, user=person, start=at(24, 9), end=at(24, 10))


def test_a_member_of_b_cannot_book_a_members_only_resource_of_a(
    desk, manager_b, make_user, place_b
):
    refused("not_allowed", resource=desk, user=manager_b, start=at(24, 9), end=at(24, 10))
    member_b = make_user("Member B")
    Membership.objects.create(place=place_b, user=member_b, state="active", status="resident")
    refused("not_allowed", resource=desk, user=member_b, start=at(24, 9), end=at(24, 10))


def test_a_machine_needs_a_valid_qualification(make_resource, place_a, member_a, manager_a):
    laser = Qualification.objects.create(place=place_a, name="Laser cutter training")
    machine = make_resource(place_a, "Laser", kind="machine", required_qualification=laser)
    error = refused(
        "not_qualified", resource=machine, user=member_a, start=at(24, 9), end=at(24, 10)
    )
    assert "Laser cutter training" in str(error.message)
    grant = QualificationGrant.objects.create(
        qualification=laser, user=member_a, granted_by=manager_a, expires_on=dt.date(2026, 3, 25)
    )
    refused("not_qualified", resource=machine, user=member_a, start=at(26, 9), end=at(26, 10))
    booking_create(resource=machine, user=member_a, start=at(25, 9), end=at(25, 10))
    grant.expires_on = None
    grant.save(update_fields=["expires_on"])
    booking_create(resource=machine, user=member_a, start=at(26, 9), end=at(26, 10))


def test_simultaneous_bookings_limit(desk, member_a):
    desk.max_simultaneous = 2
    desk.save(update_fields=["max_simultaneous"])
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    booking_create(resource=desk, user=member_a, start=at(25, 9), end=at(25, 10))
    refused("limit_reached", resource=desk, user=member_a, start=at(26, 9), end=at(26, 10))


def test_weekly_hours_limit(desk, member_a):
    desk.weekly_hours_limit = 10
    desk.save(update_fields=["weekly_hours_limit"])
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 18))
    booking_create(resource=desk, user=member_a, start=at(25, 9), end=at(25, 10))
    refused("limit_reached", resource=desk, user=member_a, start=at(26, 9), end=at(26, 9, 30))
    # the next week starts afresh
    booking_create(resource=desk, user=member_a, start=at(30, 9), end=at(30, 18))


def test_approval_makes_a_pending_booking_that_holds_the_slot(desk, member_a, concierge_a):
    desk.requires_approval = True
    desk.save(update_fields=["requires_approval"])
    booking = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    assert booking.status == Booking.Status.PENDING
    assert booking.log.get().action == BookingLog.Action.REQUESTED
    refused("taken", resource=desk, user=concierge_a, start=at(24, 9), end=at(24, 10))


def test_a_manager_books_for_someone(desk, member_a, manager_a):
    booking = booking_create(
        resource=desk, user=member_a, start=at(24, 9), end=at(24, 10), by=manager_a
    )
    assert booking.user == member_a
    assert booking.log.get().actor == manager_a


def test_the_history_is_append_only(desk, member_a):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    entry = booking.log.get()
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
