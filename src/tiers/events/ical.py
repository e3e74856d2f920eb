"""Events as iCalendar (RFC 5545): one event as a file to attach to an e-mail, and the
`vevent` / `calendar` pieces the feeds (per place, network, festival, tag) are built from.

Times are written in UTC (`…Z`), which every calendar application shows in its own time zone;
`X-WR-TIMEZONE` hints the event's. An event keeps the same UID everywhere it appears
(`event-<id>@<host of SITE_URL>`), so the e-mail's file and a subscribed feed update one entry
instead of adding two. Its SEQUENCE grows with each change (seconds between its creation and
its last update), and a cancelled event is written STATUS:CANCELLED so that the applications
that already have it mark it cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent

from tiers.bookings.ical import place_location, uid_host
from tiers.events import clock
from tiers.events.models import Event

PRODID = "-//Tiers//Tiers events 1.0//EN"
# Calendar applications may poll feeds this often.
REFRESH = dt.timedelta(hours=1)


def event_uid(event: Event) -> str:
    return f"event-{event.pk}@{uid_host()}"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def event_url(event: Event) -> str:
    return settings.SITE_URL.rstrip("/") + event.get_absolute_url()


def sequence(event: Event) -> int:
    """Grows with every saved change of the event (whole seconds between its creation and its
    last update), and once more when it is cancelled (cancelling is final, and does not
    touch `updated_at`)."""
    base = 0
    if event.updated_at is not None and event.created_at is not None:
        base = max(0, int((event.updated_at - event.created_at).total_seconds()))
    return base + (1 if event.is_cancelled else 0)


def location(event: Event) -> str:
    """Where: the event's own address, else the room and the place, else the online link."""
    parts: list[str] = []
    if event.location:
        parts.append(event.location)
    elif event.place_id is not None and event.place is not None:
        room = event.room.name if event.room_id and event.room is not None else ""
        where = place_location(event.place)
        parts.append(f"{room}, {where}" if room else where)
    if event.online_url and not parts:
        parts.append(event.online_url)
    return " — ".join(parts)


def description(event: Event) -> str:
    """Plain text: the one-sentence summary, the description (its Markdown source reads as
    text), the cancellation reason, the online link and the page's address."""
    lines: list[str] = []
    if event.is_cancelled:
        reason = event.cancel_reason.strip()
        lines.append(_("Cancelled: %(reason)s") % {"reason": reason} if reason else _("Cancelled."))
    if event.summary:
        lines.append(event.summary)
    if event.description:
        lines.append(event.description.strip())
    if event.online_url:
        lines.append(_("Online: %(url)s") % {"url": event.online_url})
    lines.append(event_url(event))
    return "\n\n".join(str(line) for line in lines)


def organiser_name(event: Event) -> str:
    if event.place_id is not None and event.place is not None:
        return event.place.name
    if event.network_id is not None and event.network is not None:
        return event.network.name
    return ""


def vevent(event: Event, *, stamp: dt.datetime | None = None) -> VEvent:
    """One event as a VEVENT. Use `select_related("place", "network", "room")` and
    `prefetch_related("tags")` when writing many of them. `stamp` (DTSTAMP) defaults to the
    event's last update, which keeps a feed identical (and its ETag) until something changes."""
    title = event.title
    if event.is_cancelled:
        title = _("Cancelled: %(title)s") % {"title": title}
    component = VEvent()
    component.add("uid", event_uid(event))
    component.add("dtstamp", _utc(stamp or event.updated_at or event.created_at))
    component.add("created", _utc(event.created_at))
    if event.updated_at:
        component.add("last-modified", _utc(event.updated_at))
    component.add("sequence", sequence(event))
    component.add("dtstart", _utc(event.start))
    component.add("dtend", _utc(event.end))
    component.add("summary", title)
    component.add("description", description(event))
    where = location(event)
    if where:
        component.add("location", where)
    place = event.place if event.place_id is not None else None
    if (
        place is not None
        and not event.location
        and place.latitude is not None
        and place.longitude is not None
    ):
        component.add("geo", (place.latitude, place.longitude))
    component.add("url", event_url(event))
    component.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    component.add("class", "PUBLIC")
    categories = [event.get_kind_display()]
    if event.pk is not None:
        categories += [tag.name for tag in event.tags.all()]
    component.add("categories", [str(category) for category in categories if category])
    organiser = organiser_name(event)
    if organiser:
        component.add("x-tiers-organiser", organiser)
    return component


def _calendar(name: str, *, tz: str, method: str = "") -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    return cal


def calendar(events: Iterable[Event], name: str, *, tz: str = "") -> bytes:
    """A feed of events (METHOD absent: a subscribed calendar). Each event once."""
    cal = _calendar(name, tz=tz or settings.TIME_ZONE)
    for event in events:
        cal.add_component(vevent(event))
    return cal.to_ical()


def event_ics(event: Event, *, language: str = "") -> bytes:
    """One event as a calendar file (METHOD:PUBLISH), to attach to e-mails or download.
    Same UID as in the feeds; a cancelled event is STATUS:CANCELLED."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        cal = _calendar(event.title, tz=event.time_zone, method="PUBLISH")
        cal.add_component(vevent(event, stamp=clock.now()))
        return cal.to_ical()
