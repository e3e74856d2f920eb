"""What the bookings app holds about a person, plugged into the accounts app's registries:
their bookings, time credits and qualifications go into the export; erasing the account
cancels their upcoming bookings (freeing the time for others), clears their notes and
revokes their private calendar address. Past bookings stay, anonymous with the account, as
the places' occupancy history."""

from __future__ import annotations

from typing import Any

from tiers.accounts.models import User
from tiers.accounts.services import personal_data_eraser, personal_data_exporter
from tiers.bookings.models import (
    Booking,
    BookingLog,
    CalendarFeed,
    CreditEntry,
    QualificationGrant,
)


@personal_data_exporter("bookings")
def export_bookings(user: User) -> list[dict[str, Any]]:
    bookings = Booking.objects.filter(user=user).select_related("resource__place")
    return [
        {
            "place": b.resource.place.name,
            "resource": b.resource.name,
            "start": b.start,
            "end": b.end,
            "units": b.units,
            "status": b.status,
            "kind": b.kind,
            "note": b.note,
            "attendance": b.attendance,
            "created_at": b.created_at,
        }
        for b in bookings.order_by("start", "pk")
    ]


@personal_data_exporter("time_credits")
def export_credits(user: User) -> list[dict[str, Any]]:
    entries = CreditEntry.objects.filter(user=user).select_related("plan__place")
    return [
        {
            "place": e.plan.place.name,
            "plan": e.plan.name,
            "month": e.month,
            "minutes": e.minutes,
            "kind": e.kind,
            "note": e.note,
            "at": e.at,
        }
        for e in entries.order_by("at", "pk")
    ]


@personal_data_exporter("qualifications")
def export_qualifications(user: User) -> list[dict[str, Any]]:
    grants = QualificationGrant.objects.filter(user=user).select_related("qualification__place")
    return [
        {
            "place": g.qualification.place.name,
            "qualification": g.qualification.name,
            "granted_at": g.granted_at,
            "expires_on": g.expires_on,
        }
        for g in grants.order_by("granted_at", "pk")
    ]


@personal_data_eraser
def erase_bookings(user: User) -> None:
    from tiers.bookings.services import now

    moment = now()
    upcoming = list(Booking.objects.filter(user=user, status__in=Booking.ACTIVE, start__gt=moment))
    Booking.objects.filter(pk__in=[b.pk for b in upcoming]).update(status=Booking.Status.CANCELLED)
    BookingLog.objects.bulk_create(
        BookingLog(booking=b, actor=None, action=BookingLog.Action.CANCELLED, at=moment)
        for b in upcoming
    )
    Booking.objects.filter(user=user).exclude(note="").update(note="")
    CalendarFeed.objects.filter(user=user).delete()
