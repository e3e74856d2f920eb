"""E-mails about bookings, sent as background jobs once the transaction has committed.

The services call `booking_event` / `series_event` from `transaction.on_commit`; the job
reads the booking again and writes to each recipient in their own language, on the place's
clock, with the booking as an `.ics` attachment where a calendar app can use it.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tiers.accounts.models import User
from tiers.bookings.models import Booking, BookingSeries
from tiers.core.mail import send_templated
from tiers.places.models import Membership

# event → does the e-mail carry the booking as an .ics file?
PERSON_EVENTS = {
    "confirmed": True,
    "requested": False,
    "approved": True,
    "declined": False,
    "cancelled": True,
    "reminder": True,
}


def booking_event(booking_id: int, event: str) -> None:
    send_booking_email.enqueue(booking_id, event)


def series_event(series_id: int, first_booking_id: int, event: str) -> None:
    send_series_email.enqueue(series_id, first_booking_id, event)


def _context(booking: Booking) -> dict[str, object]:
    return {
        "booking": booking,
        "resource": booking.resource,
        "place": booking.resource.place,
        "url": settings.SITE_URL.rstrip("/") + reverse("bookings:detail", args=[booking.pk]),
    }


def _send(user: User, template: str, context: dict[str, object], booking: Booking, ics: bool):
    from tiers.bookings.ical import booking_ics

    attachments = [("reservation.ics", booking_ics(booking), "text/calendar")] if ics else []
    with timezone.override(booking.resource.tz):
        send_templated(
            to=user.email, template=f"bookings/email/{template}", context=context,
            language=user.language, attachments=attachments,
        )  # fmt: skip


@task()
def send_booking_email(booking_id: int, event: str) -> None:
    booking = (
        Booking.objects.select_related("resource__place", "user").filter(pk=booking_id).first()
    )
    if booking is None or event not in PERSON_EVENTS or booking.user.erased_at:
        return
    context = _context(booking)
    _send(booking.user, event, context, booking, PERSON_EVENTS[event])
    if event == "requested":
        managers = User.objects.filter(
            memberships__place=booking.resource.place,
            memberships__state=Membership.State.ACTIVE,
            memberships__is_manager=True,
            is_active=True,
        ).exclude(pk=booking.user_id)
        context["url"] = settings.SITE_URL.rstrip("/") + reverse(
            "bookings:manage_day", args=[booking.resource.place.slug]
        )
        for manager in managers:
            _send(manager, "approval_needed", context, booking, ics=False)


@task()
def send_series_email(series_id: int, first_booking_id: int, event: str) -> None:
    series = BookingSeries.objects.filter(pk=series_id).first()
    booking = (
        Booking.objects.select_related("resource__place", "user")
        .filter(pk=first_booking_id)
        .first()
    )
    if series is None or booking is None or booking.user.erased_at:
        return
    bookings = list(series.bookings.order_by("start"))
    wanted = Booking.ACTIVE if event == "confirmed" else (Booking.Status.CANCELLED,)
    context = {
        **_context(booking),
        "series": series,
        "bookings": [b for b in bookings if b.status in wanted],
    }
    _send(booking.user, f"series_{event}", context, booking, ics=False)


def send_due_reminders() -> int:
    """Remind people of their bookings starting within BOOKING_REMINDER_HOURS, once each.

    Only bookings made before that window opened (someone who books for this afternoon needs
    no reminder). Each booking is claimed with a conditional UPDATE, so two workers running
    at once never send the same reminder twice."""
    from tiers.bookings.services import now

    moment = now()
    lead = dt.timedelta(hours=settings.BOOKING_REMINDER_HOURS)
    candidates = Booking.objects.filter(
        status=Booking.Status.CONFIRMED,
        kind=Booking.Kind.BOOKING,
        reminder_sent_at__isnull=True,
        start__gt=moment,
        start__lte=moment + lead,
    ).values_list("pk", "start", "created_at")
    sent = 0
    for pk, start, created_at in candidates:
        if created_at > start - lead:
            continue
        with transaction.atomic():
            claimed = Booking.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=moment
            )
            if claimed:
                sent += 1
                transaction.on_commit(partial(booking_event, pk, "reminder"))
    return sent
