"""Never booked twice, with real concurrent connections: 32 threads, each on its own
database connection, try to take the same time at once. On SQLite the test database is a
file (settings.py), so the connections wait for each other instead of failing."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import Counter

import pytest
from django.db import connection

from tests.bookings.conftest import at
from tiers.bookings.models import Booking, BookingLog, Resource
from tiers.bookings.services import BookingError, booking_create
from tiers.places.models import Membership

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 32


@pytest.fixture
def people(make_user, place_a):
    users = [make_user(f"Coworker {i}") for i in range(ATTEMPTS)]
    Membership.objects.bulk_create(
        Membership(place=place_a, user=u, state="active", status="user") for u in users
    )
    return users


def race(resource: Resource, attempts: list[tuple]) -> Counter[str]:
    """Run booking_create(user, start, end) for each attempt in its own thread, all released
    at once; count the outcomes (`booked` or the error code)."""
    barrier = threading.Barrier(len(attempts))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def attempt(user, start, end) -> None:
        try:
            barrier.wait()
            try:
                booking_create(resource=resource, user=user, start=start, end=end)
                outcome = "booked"
            except BookingError as exc:
                outcome = exc.code
            except Exception as exc:  # any other failure must show in the counts
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def assert_no_overlap(resource: Resource) -> None:
    rows = list(
        Booking.objects.filter(resource=resource, status__in=Booking.ACTIVE).order_by("start")
    )
    for before, after in itertools.pairwise(rows):
        assert before.end <= after.start


def test_32_people_take_the_same_desk_slot(desk, people):
    outcomes = race(desk, [(p, at(24, 14), at(24, 18)) for p in people])
    assert outcomes == Counter({"booked": 1, "taken": ATTEMPTS - 1})
    assert Booking.objects.filter(resource=desk).count() == 1
    assert BookingLog.objects.count() == 1


def test_32_people_take_the_same_slot_of_a_5_seat_pool(pool, people):
    outcomes = race(pool, [(p, at(24, 14), at(24, 18)) for p in people])
    assert outcomes == Counter({"booked": 5, "taken": ATTEMPTS - 5})
    assert Booking.objects.filter(resource=pool).count() == 5
    assert BookingLog.objects.count() == 5


def test_32_overlapping_slots_of_a_desk(desk, people):
    # one-hour slots starting every half hour from 09:00: each overlaps its neighbours
    attempts = [
        (
            p,
            at(24, 9) + dt.timedelta(minutes=30 * (i % 16)),
            at(24, 10) + dt.timedelta(minutes=30 * (i % 16)),
        )
        for i, p in enumerate(people)
    ]
    outcomes = race(desk, attempts)
    assert set(outcomes) <= {"booked", "taken"}
    assert outcomes["booked"] >= 1
    assert outcomes["booked"] + outcomes["taken"] == ATTEMPTS
    assert Booking.objects.filter(resource=desk).count() == outcomes["booked"]
    assert_no_overlap(desk)


def test_32_overlapping_slots_of_a_pool_never_exceed_its_capacity(pool, people):
    attempts = [
        (
            p,
            at(24, 9) + dt.timedelta(minutes=30 * (i % 8)),
            at(24, 11) + dt.timedelta(minutes=30 * (i % 8)),
        )
        for i, p in enumerate(people)
    ]
    outcomes = race(pool, attempts)
    assert set(outcomes) <= {"booked", "taken"}
    assert outcomes["booked"] >= 5
    rows = list(Booking.objects.filter(resource=pool).values_list("start", "end", "units"))
    assert len(rows) == outcomes["booked"]
    for moment in {s for s, _, _ in rows}:
        assert sum(u for s, e, u in rows if s <= moment < e) <= 5
