"""Bookings as iCalendar (RFC 5545): a resource's busy times, a person's private calendar, and
one booking as a file to attach to an e-mail.

Times are written in UTC (`…Z`), which every calendar application shows in its own time zone;
`X-WR-TIMEZONE` hints the place's. A booking keeps the same UID everywhere it appears
(`booking-<id>@<host of SITE_URL>`), so the e-mail's file and the subscribed calendar update
one event instead of adding two; its SEQUENCE grows with each change of its history, and a
cancelled or declined booking stays in the private calendar as STATUS:CANCELLED so that the
applications that already have it remove it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from tiers.accounts.models import User
from tiers.bookings import availability
from tiers.bookings.models import Booking, Closure, Resource
from tiers.places.models import Place

PRODID = "-//Tiers//Tiers bookings 1.0//EN"
# How far a resource's calendar reaches, around now.
RESOURCE_PAST = dt.timedelta(days=30)
RESOURCE_AHEAD = dt.timedelta(days=90)
# A person's calendar: the last 90 days, and everything to come.
PRIVATE_PAST = dt.timedelta(days=90)
# Calendar applications may poll this often.
REFRESH = dt.timedelta(hours=1)

ICAL_STATUS = {
    Booking.Status.PENDING: "TENTATIVE",
    Booking.Status.CONFIRMED: "CONFIRMED",
    Booking.Status.CANCELLED: "CANCELLED",
    Booking.Status.DECLINED: "CANCELLED",
}


def uid_host() -> str:
    """The host part of UIDs: the site's, never the request's (an e-mail has none)."""
    return urlsplit(settings.SITE_URL).hostname or "tiers.invalid"


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@{uid_host()}"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _calendar(name: str, *, tz: str, method: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tz)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # a duration as RFC 5545 writes it (PT1H), which calendar applications read
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def place_location(place: Place) -> str:
    """The place's name and address, as a calendar's LOCATION."""
    town = f"{place.postcode} {place.town}".strip()
    return ", ".join(part for part in (place.name, place.address, town) if part)


def _site_url(name: str, *args: object) -> str | None:
    try:
        return settings.SITE_URL.rstrip("/") + reverse(name, args=args)
    except NoReverseMatch:
        return None


def _add_geo(event: Event, place: Place) -> None:
    if place.latitude is not None and place.longitude is not None:
        event.add("geo", (place.latitude, place.longitude))


def _sequence(booking: Booking) -> int:
    """Grows with every entry of the booking's history (approval, cancellation...)."""
    changes = getattr(booking, "changes", None)
    if changes is None:
        changes = booking.log.count()
    return max(0, int(changes) - 1)


def _last_modified(booking: Booking) -> dt.datetime:
    return getattr(booking, "changed_at", None) or booking.created_at


def booking_event(booking: Booking, *, stamp: dt.datetime | None = None) -> Event:
    """One booking, with its person's view of it (resource, place, status, note)."""
    resource = booking.resource
    place = resource.place
    title = _("%(resource)s at %(place)s") % {"resource": resource.name, "place": place.name}
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.DECLINED):
        title = _("Cancelled: %(title)s") % {"title": title}
    elif booking.status == Booking.Status.PENDING:
        title = _("Waiting for approval: %(title)s") % {"title": title}
    modified = _last_modified(booking)
    lines = [_("Status: %(status)s") % {"status": booking.get_status_display()}]
    if resource.location:
        lines.append(_("Where in the place: %(location)s") % {"location": resource.location})
    if booking.units > 1:
        lines.append(_("Units: %(units)s") % {"units": booking.units})
    if booking.note:
        lines.append(_("Note: %(note)s") % {"note": booking.note})
    if booking.decision_reason:
        lines.append(_("Reason given: %(reason)s") % {"reason": booking.decision_reason})
    url = _site_url("bookings:detail", booking.pk)
    if url:
        lines.append(url)

    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", _utc(stamp or modified))
    event.add("created", _utc(booking.created_at))
    event.add("last-modified", _utc(modified))
    event.add("sequence", _sequence(booking))
    event.add("dtstart", _utc(booking.start))
    event.add("dtend", _utc(booking.end))
    event.add("summary", title)
    event.add("description", "\n".join(str(line) for line in lines))
    event.add("location", place_location(place))
    _add_geo(event, place)
    event.add("status", ICAL_STATUS[Booking.Status(booking.status)])
    cancelled = booking.status in (Booking.Status.CANCELLED, Booking.Status.DECLINED)
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if url:
        event.add("url", url)
    return event


def booking_ics(booking: Booking) -> bytes:
    """One booking as a calendar file (METHOD:PUBLISH), to attach to its e-mails. Same UID
    as in the person's private calendar; written in the person's language."""
    from tiers.bookings.services import now

    resource = booking.resource
    language = getattr(booking.user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        calendar = _calendar(
            _("Booking: %(resource)s") % {"resource": resource.name},
            tz=resource.place.time_zone,
            method="PUBLISH",
        )
        calendar.add_component(booking_event(booking, stamp=now()))
        return calendar.to_ical()


def private_bookings(user: User, *, moment: dt.datetime) -> Iterable[Booking]:
    """A person's bookings of the last 90 days and to come (all statuses: a cancelled one
    must reach the calendars that have it), with their history's size and last change."""
    return (
        Booking.objects.filter(user=user, kind=Booking.Kind.BOOKING, end__gte=moment - PRIVATE_PAST)
        .select_related("resource__place")
        .annotate(changes=Count("log"), changed_at=Max("log__at"))
        .order_by("start", "pk")
    )


def private_calendar(user: User, *, moment: dt.datetime) -> bytes:
    """The person's private calendar (their bookings), for `calendrier/<token>.ics`."""
    calendar = _calendar(
        _("My bookings (%(site)s)") % {"site": settings.SITE_NAME},
        tz=settings.TIME_ZONE,
    )
    for booking in private_bookings(user, moment=moment):
        calendar.add_component(booking_event(booking))
    return calendar.to_ical()


def resource_window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return _utc(moment - RESOURCE_PAST), _utc(moment + RESOURCE_AHEAD)


def resource_calendar(resource: Resource, *, moment: dt.datetime) -> bytes:
    """A resource's busy times (past 30 days, next 90), without anybody's name: the pieces
    of time when units are in use (bookings, pending ones and blocks merged), and closures."""
    place = resource.place
    start, end = resource_window(moment)
    rows = list(
        Booking.objects.overlapping(start, end)
        .filter(resource=resource, status__in=Booking.ACTIVE)
        .values_list("start", "end", "units", "created_at")
    )
    closures = list(
        Closure.objects.filter(
            Q(resource=resource) | Q(resource__isnull=True),
            place_id=resource.place_id,
            start__lt=end,
            end__gt=start,
        ).order_by("start", "pk")
    )
    # A stable DTSTAMP (the latest booking's time) keeps the file, and its ETag, unchanged
    # until the bookings change.
    stamp = max((row[3] for row in rows), default=resource.created_at)
    host = uid_host()
    calendar = _calendar(
        _("%(resource)s at %(place)s: busy times")
        % {"resource": resource.name, "place": place.name},
        tz=place.time_zone,
    )
    location = place_location(place)
    for busy in availability.units_profile([(s, e, u) for s, e, u, _created in rows]):
        if resource.is_exclusive or busy.units >= resource.capacity:
            summary = _("Booked")
        else:
            summary = _("%(units)s of %(capacity)s booked") % {
                "units": busy.units,
                "capacity": resource.capacity,
            }
        event = Event()
        event.add(
            "uid",
            f"busy-{resource.pk}-{_utc(busy.start):%Y%m%dT%H%M%SZ}-"
            f"{_utc(busy.end):%Y%m%dT%H%M%SZ}-{busy.units}@{host}",
        )
        event.add("dtstamp", _utc(stamp))
        event.add("dtstart", _utc(busy.start))
        event.add("dtend", _utc(busy.end))
        event.add("summary", summary)
        event.add("location", location)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    for closure in closures:
        event = Event()
        event.add("uid", f"closure-{closure.pk}@{host}")
        event.add("dtstamp", _utc(stamp))
        event.add("dtstart", _utc(closure.start))
        event.add("dtend", _utc(closure.end))
        summary = _("Closed")
        if closure.reason:
            summary = _("Closed: %(reason)s") % {"reason": closure.reason}
        event.add("summary", summary)
        event.add("location", location)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
