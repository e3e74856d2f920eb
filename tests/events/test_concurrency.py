"""Places are never over-given, with real concurrent connections (each thread has its own
database connection; on SQLite the test database is a file, so connections wait for each
other's write lock instead of failing): 50 people register at the same instant for 10
places, and cancellations, expiring offers and acceptances race each other.

Run on SQLite by default, and on PostgreSQL with DATABASE_URL=postgres://... (row locks)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.concurrency import race
from tiers.events import clock, registrations
from tiers.events.models import Event, Registration

from .conftest import NOW, at

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

PEOPLE = 50
CAPACITY = 10


def held(event: Event) -> int:
    return registrations.seats_taken(event)


def assert_no_one_who_fits_waits(event: Event) -> None:
    event.refresh_from_db()
    free = (event.capacity or 0) - held(event)
    assert free >= 0
    waiting = Registration.objects.filter(event=event, status=Registration.Status.WAITLISTED)
    assert not waiting.filter(seats__lte=free).exists()


@pytest.fixture
def running_clock(monkeypatch):
    """A clock that moves (from Monday 08:00, at the real pace), so that arrival times differ."""
    start = time.monotonic()
    lock = threading.Lock()

    def now() -> dt.datetime:
        with lock:
            return NOW + dt.timedelta(seconds=time.monotonic() - start)

    monkeypatch.setattr(clock, "now", now)


def test_50_people_register_at_once_for_10_places(make_event, make_user, running_clock):
    event = make_event(registration_open=True, capacity=CAPACITY, max_seats_per_registration=1)
    people = [make_user(f"Person {i}") for i in range(PEOPLE)]

    def job(user) -> Callable[[], str]:
        def register() -> str:
            return registrations.register(
                event=event, name=user.display_name, email=user.email, user=user
            ).status

        return register

    outcomes = race([job(user) for user in people])
    assert outcomes == Counter({"confirmed": CAPACITY, "waitlisted": PEOPLE - CAPACITY})

    rows = list(Registration.objects.filter(event=event).order_by("pk"))
    assert len(rows) == PEOPLE
    assert held(event) == CAPACITY
    # arrival order: the first 10 in took the places, the others queue behind, in the order
    # they came in (the time is read under the event's lock, ids are given under it too)
    assert [r.status for r in rows] == ["confirmed"] * CAPACITY + ["waitlisted"] * (
        PEOPLE - CAPACITY
    )
    times = [r.queued_at for r in rows]
    assert times == sorted(times)
    confirmed = [r.confirmed_at for r in rows[:CAPACITY]]
    assert all(t is not None for t in confirmed)
    assert max(confirmed) <= min(r.queued_at for r in rows[CAPACITY:])  # type: ignore[type-var]
    queue = list(
        Registration.objects.filter(event=event, status="waitlisted").order_by("queued_at", "pk")
    )
    assert [r.pk for r in queue] == [r.pk for r in rows[CAPACITY:]]
    assert [registrations.waitlist_position(r) for r in queue[:3]] == [1, 2, 3]


def test_50_email_only_people_confirm_at_once(make_event, running_clock):
    event = make_event(registration_open=True, capacity=CAPACITY)
    pending = [
        registrations.register(event=event, name=f"P{i}", email=f"p{i}@example.org")
        for i in range(PEOPLE)
    ]
    outcomes = race(
        [
            (lambda r=r: registrations.confirm_email(registration=r).status)  # type: ignore[misc]
            for r in pending
        ]
    )
    assert outcomes == Counter({"confirmed": CAPACITY, "waitlisted": PEOPLE - CAPACITY})
    assert held(event) == CAPACITY


def test_cancellations_expiring_offers_and_acceptances_never_over_give(
    make_event, make_user, clock_at
):
    event = make_event(
        registration_open=True, capacity=CAPACITY, max_seats_per_registration=3, offer_hours=2
    )
    users = [make_user(f"Person {i}") for i in range(40)]

    def reg(user, seats=1) -> Registration:
        return registrations.register(
            event=event, name=user.display_name, email=user.email, seats=seats, user=user
        )

    confirmed = [reg(u) for u in users[:CAPACITY]]
    waiting = [reg(u, seats=1 + i % 3) for i, u in enumerate(users[CAPACITY:30])]
    # three places freed: offers made, then left to expire
    for r in confirmed[:3]:
        registrations.registration_cancel(registration=r)
    offered = list(Registration.objects.filter(event=event, status="offered"))
    assert offered and held(event) <= CAPACITY
    clock_at.set(at(23, 10, 1))  # the offers expired, the job has not run yet

    jobs: list[Callable[[], str]] = []
    for r in confirmed[3:]:
        jobs.append(
            lambda r=r: registrations.registration_cancel(registration=r).status  # type: ignore[misc]
        )
    for _ in range(5):
        jobs.append(lambda: f"expired {registrations.expire_offers() >= 0}")
    for r in offered:
        jobs.append(
            lambda r=r: registrations.offer_accept(registration=r).status  # type: ignore[misc]
        )
    for u in users[30:40]:
        jobs.append(lambda u=u: reg(u).status)  # type: ignore[misc]
    # and the new offers are accepted as soon as they exist
    for r in waiting:
        jobs.append(lambda r=r: _accept_when_offered(r))  # type: ignore[misc]

    outcomes = race(jobs)
    assert outcomes["cancelled"] == CAPACITY - 3
    # the offers had expired: whoever won the race, none of them became a place
    assert outcomes["offer_expired"] + outcomes["not_offered"] >= len(offered)
    assert {r.status for r in Registration.objects.filter(pk__in=[r.pk for r in offered])} == {
        "expired"
    }
    assert not [k for k in outcomes if ":" in k], outcomes  # no crash
    assert held(event) <= CAPACITY
    assert_no_one_who_fits_waits(event)
    # once the dust settles, the job changes nothing that breaks the rule
    registrations.expire_offers()
    assert held(event) <= CAPACITY
    assert_no_one_who_fits_waits(event)


def _accept_when_offered(registration: Registration) -> str:
    for _ in range(20):
        current = Registration.objects.get(pk=registration.pk)
        if current.status == Registration.Status.OFFERED:
            return registrations.offer_accept(registration=current).status
        time.sleep(0.005)
    return "still " + Registration.objects.get(pk=registration.pk).status
