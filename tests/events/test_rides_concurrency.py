"""A car's seats are never over-given, with real concurrent connections: 12 people ask for
a seat in a 3-seat car and the driver accepts each at once; 12 proposals are accepted at
once by their passengers. On SQLite the test database is a file (settings.py), so the
connections wait for each other instead of failing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from tests.events.conftest import at
from tiers.events import rides
from tiers.events.errors import EventError
from tiers.events.models import Registration, Ride, RideSeat

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

PEOPLE = 12
SEATS = 3


@pytest.fixture
def event(make_event):
    return make_event("Fête du Quai")


@pytest.fixture
def people(event) -> list[rides.Participant]:
    return [
        rides.participant_for_registration(
            Registration.objects.create(
                event=event, name=f"Person {i}", email=f"p{i}@example.org", status="confirmed"
            )
        )
        for i in range(PEOPLE + 1)
    ]


@pytest.fixture
def car(event, people) -> Ride:
    return rides.ride_create(
        event=event, participant=people[-1], kind="offer", from_town="Redon",
        departure_at=at(24, 17), seats=SEATS,
    )  # fmt: skip


def race(work: Callable[[int], None], count: int) -> Counter[str]:
    """Run work(i) for each i in its own thread, all released at once; count the outcomes
    (`accepted` or the error code)."""
    barrier = threading.Barrier(count)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            try:
                work(i)
                outcome = "accepted"
            except EventError as exc:
                outcome = exc.code
            except Exception as exc:  # any other failure must show in the counts
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def accepted_seats(ride: Ride) -> int:
    return sum(
        RideSeat.objects.filter(ride=ride, status="accepted").values_list("seats", flat=True)
    )


def test_12_people_ask_and_are_accepted_at_once_in_a_3_seat_car(car, people):
    driver = people[-1]

    def ask_and_accept(i: int) -> None:
        seat = rides.seat_request(car, people[i], seats=1)
        rides.seat_decide(seat, driver, True)

    outcomes = race(ask_and_accept, PEOPLE)
    assert outcomes == Counter({"accepted": SEATS, "full": PEOPLE - SEATS})
    assert accepted_seats(car) == SEATS
    assert rides.seats_free(car) == 0


def test_12_proposals_accepted_at_once_by_their_passengers(event, car, people):
    driver = people[-1]
    requests = [
        rides.ride_create(
            event=event,
            participant=people[i],
            kind="request",
            from_town="Redon",
            departure_at=at(24, 17),
            seats=1,
        )
        for i in range(PEOPLE)
    ]
    seats = [rides.seat_propose(car, wanted, driver, seats=1) for wanted in requests]
    outcomes = race(lambda i: rides.seat_decide(seats[i], people[i], True), PEOPLE)
    assert outcomes == Counter({"accepted": SEATS, "full": PEOPLE - SEATS})
    assert accepted_seats(car) == SEATS
    assert RideSeat.objects.filter(ride=car, status="proposed").count() == PEOPLE - SEATS
