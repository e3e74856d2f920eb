"""Free/busy from the rows in the window: busy pieces with their units, bookable intervals."""

from __future__ import annotations

import datetime as dt

from tests.bookings.conftest import at
from tiers.bookings.availability import Busy, free_busy, units_profile
from tiers.bookings.models import Closure
from tiers.bookings.services import booking_create
from tiers.places.models import Membership


def test_units_profile_sweeps_over_boundaries():
    t = [at(24, h) for h in range(9, 15)]
    profile = units_profile([(t[0], t[3], 2), (t[1], t[2], 1), (t[2], t[4], 1)])
    assert profile == [Busy(t[0], t[1], 2), Busy(t[1], t[3], 3), Busy(t[3], t[4], 1)]


def test_free_busy_of_a_pool(pool, make_user, place_a, django_assert_max_num_queries):
    people = [make_user(f"P{i}") for i in range(3)]
    for person in people:
        Membership.objects.create(place=place_a, user=person, state="active", status="user")
    booking_create(resource=pool, user=people[0], start=at(24, 9), end=at(24, 12), units=2)
    booking_create(resource=pool, user=people[1], start=at(24, 11), end=at(24, 14))
    booking_create(resource=pool, user=people[2], start=at(25, 9), end=at(25, 10))
    Closure.objects.create(place=place_a, start=at(24, 16), end=at(24, 17), reason="Meeting")
    with django_assert_max_num_queries(3):
        window = free_busy(pool, at(24, 0), at(25, 0))
    assert window.capacity == 5
    assert window.busy == [
        Busy(at(24, 9), at(24, 11), 2),
        Busy(at(24, 11), at(24, 12), 3),
        Busy(at(24, 12), at(24, 14), 1),
    ]
    assert window.open == [(at(24, 9), at(24, 16)), (at(24, 17), at(24, 18))]


def test_bookings_are_clipped_to_the_window(desk, member_a):
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12))
    window = free_busy(desk, at(24, 10), at(24, 11))
    assert window.busy == [Busy(at(24, 10), at(24, 11), 1)]
    assert window.open == [(at(24, 10), at(24, 11))]


def test_a_place_without_hours_is_always_bookable(make_resource, place_b):
    resource = make_resource(place_b, "Bench")
    start = at(28, 0)
    assert free_busy(resource, start, start + dt.timedelta(days=1)).open == [
        (start, start + dt.timedelta(days=1))
    ]
