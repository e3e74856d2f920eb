"""Time credits: hour allowances that bookings draw on, kept as an append-only ledger.

A plan gives each membership status some hours a month (credited to that month the first
time they are needed; unused hours do not carry over), and managers grant extra hours (which
stay until used). A booking draws on its month's allowance first, then on the granted hours;
cancelling or declining it gives back exactly what it took. The balance is always the sum of
the ledger, never a counter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.bookings.errors import BookingError
from tiers.bookings.models import Booking, CreditEntry, CreditPlan
from tiers.places.models import Membership
from tiers.places.permissions import is_manager


class CreditError(BookingError):
    code = "no_credit"


@dataclass(frozen=True)
class Balance:
    allowance_minutes: int
    allowance_left: int
    granted_left: int

    @property
    def total_left(self) -> int:
        return self.allowance_left + self.granted_left


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _monthly_allowance(plan: CreditPlan, user: User) -> int:
    status = (
        Membership.objects.filter(place_id=plan.place_id, user=user, state=Membership.State.ACTIVE)
        .values_list("status", flat=True)
        .first()
    )
    return plan.hours_for(status) * 60 if status else 0


def credit_balance(*, plan: CreditPlan, user: User, month: dt.date) -> Balance:
    """What is left in `month`: its allowance (credited or still to be) and granted hours."""
    month = first_of_month(month)
    entries = CreditEntry.objects.filter(plan=plan, user=user)
    granted = entries.filter(month__isnull=True).aggregate(total=Sum("minutes"))["total"] or 0
    in_month = list(entries.filter(month=month).values_list("kind", "minutes"))
    credited = [m for kind, m in in_month if kind == CreditEntry.Kind.ALLOWANCE]
    allowance = credited[0] if credited else _monthly_allowance(plan, user)
    used = sum(m for kind, m in in_month if kind != CreditEntry.Kind.ALLOWANCE)
    return Balance(
        allowance_minutes=allowance, allowance_left=allowance + used, granted_left=granted
    )


def ledger(*, plan: CreditPlan, user: User) -> QuerySet[CreditEntry]:
    return (
        CreditEntry.objects.filter(plan=plan, user=user)
        .select_related("booking__resource", "actor")
        .order_by("-at", "-pk")
    )


def credit_grant(
    *, plan: CreditPlan, user: User, minutes: int, by: User, note: str = ""
) -> CreditEntry:
    """A manager adds hours (or takes some back with a negative amount, never below zero)."""
    if not (by.is_superuser or is_manager(by, plan.place)):
        raise CreditError(_("Only the place's managers can grant hours."), code="not_allowed")
    if minutes == 0 or abs(minutes) > 10_000 * 60:
        raise CreditError(_("Give a number of hours other than zero."), code="invalid")
    with transaction.atomic():
        CreditPlan.objects.select_for_update().get(pk=plan.pk)
        if minutes < 0:
            granted = (
                CreditEntry.objects.filter(plan=plan, user=user, month__isnull=True).aggregate(
                    total=Sum("minutes")
                )["total"]
                or 0
            )
            if granted + minutes < 0:
                raise CreditError(
                    _("This would take back more hours than were granted."), code="invalid"
                )
        return CreditEntry.objects.create(
            plan=plan, user=user, month=None, minutes=minutes, kind=CreditEntry.Kind.GRANT,
            actor=by, note=note.strip()[:300],
        )  # fmt: skip


def debit(*, booking: Booking, actor: User, overdraw: bool = False) -> None:
    """Draw the booking's hours (duration times units) from its person's credits. Called inside
    the booking's transaction, after the resource lock; locks the plan row."""
    plan_id = booking.resource.credit_plan_id
    assert plan_id is not None
    plan = CreditPlan.objects.select_for_update().get(pk=plan_id)
    needed = int((booking.end - booking.start) / dt.timedelta(minutes=1)) * booking.units
    month = first_of_month(booking.start.astimezone(booking.resource.tz).date())
    user = booking.user
    balance = credit_balance(plan=plan, user=user, month=month)
    has_allowance_entry = CreditEntry.objects.filter(
        plan=plan, user=user, month=month, kind=CreditEntry.Kind.ALLOWANCE
    ).exists()
    if not has_allowance_entry and balance.allowance_minutes > 0:
        CreditEntry.objects.create(
            plan=plan, user=user, month=month, minutes=balance.allowance_minutes,
            kind=CreditEntry.Kind.ALLOWANCE,
        )  # fmt: skip
    from_allowance = min(needed, max(balance.allowance_left, 0))
    from_granted = needed - from_allowance
    if from_granted > balance.granted_left and not (plan.allow_negative or overdraw):
        hours_left = max(balance.total_left, 0) / 60
        raise CreditError(
            _(
                "Not enough time credits: %(left)s h left on “%(plan)s”, this booking needs %(needed)s h."
            )
            % {"left": f"{hours_left:g}", "plan": plan.name, "needed": f"{needed / 60:g}"}
        )
    for entry_month, minutes in ((month, from_allowance), (None, from_granted)):
        if minutes:
            CreditEntry.objects.create(
                plan=plan, user=user, month=entry_month, minutes=-minutes,
                kind=CreditEntry.Kind.DEBIT, booking=booking, actor=actor,
            )  # fmt: skip


def refund(*, booking: Booking, actor: User) -> None:
    """Give back what the booking took (once: called when it stops being active)."""
    taken = list(
        CreditEntry.objects.filter(booking=booking, kind=CreditEntry.Kind.DEBIT).values_list(
            "plan_id", "user_id", "month", "minutes"
        )
    )
    if not taken:
        return
    CreditEntry.objects.bulk_create(
        CreditEntry(
            plan_id=plan_id,
            user_id=user_id,
            month=month,
            minutes=-minutes,
            kind=CreditEntry.Kind.REFUND,
            booking=booking,
            actor=actor,
        )
        for plan_id, user_id, month, minutes in taken
    )
