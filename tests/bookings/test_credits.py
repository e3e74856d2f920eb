"""Time credits: monthly allowances by status, hours granted by managers, bookings drawing on
them, refunds on cancellation, an append-only ledger, and no negative balance unless allowed."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tests.bookings.conftest import at
from tiers.bookings.credits import credit_balance, credit_grant, ledger
from tiers.bookings.models import Booking, CreditEntry, CreditPlan
from tiers.bookings.services import BookingError, booking_cancel, booking_create
from tiers.places.models import Membership

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def plan(place_a):
    return CreditPlan.objects.create(
        place=place_a, name="Salles", monthly_hours={"resident": 4, "user": 0}
    )


@pytest.fixture
def room(make_resource, place_a, plan):
    return make_resource(place_a, "Salle Loire", kind="meeting_room", credit_plan=plan)


def balance(plan, user, month=MARCH):
    return credit_balance(plan=plan, user=user, month=month)


def test_a_resident_draws_on_the_monthly_allowance(room, plan, concierge_a):
    assert balance(plan, concierge_a).total_left == 4 * 60
    booking_create(resource=room, user=concierge_a, start=at(24, 10), end=at(24, 13))
    assert balance(plan, concierge_a).allowance_left == 60
    kinds = list(ledger(plan=plan, user=concierge_a).values_list("kind", "minutes"))
    assert sorted(kinds) == [("allowance", 240), ("debit", -180)]


def test_without_credit_the_booking_is_refused_and_nothing_written(room, plan, member_a):
    with pytest.raises(BookingError) as info:
        booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    assert info.value.code == "no_credit"
    assert "0 h left" in str(info.value.message)
    assert not Booking.objects.exists()
    assert not CreditEntry.objects.exists()


def test_granted_hours_come_after_the_allowance_and_stay(room, plan, concierge_a, manager_a):
    credit_grant(plan=plan, user=concierge_a, minutes=120, by=manager_a, note="Bénévolat")
    booking_create(resource=room, user=concierge_a, start=at(24, 9), end=at(24, 14))
    now_march = balance(plan, concierge_a)
    assert (now_march.allowance_left, now_march.granted_left) == (0, 60)
    # April: a new allowance; the granted hour is still there
    april = balance(plan, concierge_a, dt.date(2026, 4, 1))
    assert (april.allowance_left, april.granted_left) == (240, 60)
    with pytest.raises(BookingError) as info:
        booking_create(resource=room, user=concierge_a, start=at(25, 9), end=at(25, 11))
    assert info.value.code == "no_credit"


def test_cancelling_gives_back_exactly_what_was_taken(room, plan, concierge_a, manager_a):
    credit_grant(plan=plan, user=concierge_a, minutes=60, by=manager_a)
    booking = booking_create(resource=room, user=concierge_a, start=at(24, 9), end=at(24, 14))
    booking_cancel(booking=booking, by=concierge_a)
    after = balance(plan, concierge_a)
    assert (after.allowance_left, after.granted_left) == (240, 60)
    assert CreditEntry.objects.filter(booking=booking, kind="refund").count() == 2


def test_the_plan_may_allow_a_negative_balance(room, plan, member_a):
    plan.allow_negative = True
    plan.save(update_fields=["allow_negative"])
    booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 12))
    assert balance(plan, member_a).total_left == -120


def test_a_manager_booking_for_someone_may_overdraw(room, plan, member_a, manager_a):
    booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11), by=manager_a)
    assert balance(plan, member_a).granted_left == -60


@pytest.mark.parametrize("persona", ["member_a", "concierge_a", "manager_b"])
def test_only_managers_grant(request, persona, plan, member_a):
    with pytest.raises(BookingError) as info:
        credit_grant(plan=plan, user=member_a, minutes=60, by=request.getfixturevalue(persona))
    assert info.value.code == "not_allowed"
    assert not CreditEntry.objects.exists()


def test_taking_back_more_than_granted_is_refused(plan, member_a, manager_a):
    credit_grant(plan=plan, user=member_a, minutes=60, by=manager_a)
    with pytest.raises(BookingError):
        credit_grant(plan=plan, user=member_a, minutes=-120, by=manager_a)
    credit_grant(plan=plan, user=member_a, minutes=-60, by=manager_a)
    assert balance(plan, member_a).granted_left == 0


def test_the_ledger_is_append_only(plan, member_a, manager_a):
    entry = credit_grant(plan=plan, user=member_a, minutes=60, by=manager_a)
    entry.minutes = 6000
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_spend_the_same_hours_twice(
    make_resource, place_a, plan, concierge_a
):
    """8 rooms on one plan, 8 threads booking 1 h each at once with a 4 h allowance: exactly
    4 succeed; the balance ends at zero, never below."""
    rooms = [make_resource(place_a, f"Salle {i}", credit_plan=plan) for i in range(8)]
    barrier = threading.Barrier(len(rooms))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(room) -> None:
        try:
            barrier.wait()
            try:
                booking_create(resource=room, user=concierge_a, start=at(24, 10), end=at(24, 11))
                outcome = "booked"
            except BookingError as exc:
                outcome = exc.code
            except Exception as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(room,)) for room in rooms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] * 4 + ["no_credit"] * 4
    assert balance(plan, concierge_a).total_left == 0
    assert CreditEntry.objects.filter(kind="allowance").count() == 1
    assert Membership.objects.filter(user=concierge_a).exists()
