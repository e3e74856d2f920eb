"""Events as iCalendar (RFC 5545): one event as a file to attach to an e-mail, and the
`vevent` / `calendar` pieces the feeds (per place, network, festival, tag) are built from.

Times are written in UTC (`…Z`), which every calendar application shows in its own time zone;
`X-WR-TIMEZONE` hints the event's. An event keeps the same UID everywhere it appears
(`event-<id>@<host of SITE_URL>`), so the e-mail's file and a subscribed feed update one entry
instead of adding two. Its SEQUENCE grows with each change (seconds between its creation and
its last update), and a cancelled event is written STATUS:CANCELLED so that the applications
that already have it mark it cancelled.

The feeds and the single-event file are written directly as text (`_write_calendar`), not
through the `icalendar` library's components, which cost about half a millisecond per event
(a 500-event feed took a quarter of a second). The text is the one the library wrote for the
same properties (same order, escaping and folding); `vevent()` still builds the library's
component, for those who want one. RFC 5545 rules followed: CRLF line endings; TEXT values
escaped (backslash, `;`, `,`; a line break as `\\n`); content lines folded at 75 octets of
UTF-8 (never inside a character), continuation lines starting with one space; parameter
values quoted when they hold `:`, `;` or `,`; UTC date-times as `YYYYMMDDTHHMMSSZ`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
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


def description(event: Event, *, url: str = "") -> str:
    """Plain text: the one-sentence summary, the description (its Markdown source reads as
    text), the cancellation reason, the online link and the page's address (`url`, when the
    caller already has it)."""
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
    lines.append(url or event_url(event))
    return "\n\n".join(str(line) for line in lines)


def organiser_name(event: Event) -> str:
    if event.place_id is not None and event.place is not None:
        return event.place.name
    if event.network_id is not None and event.network is not None:
        return event.network.name
    return ""


@dataclass(frozen=True, slots=True)
class _Properties:
    """What a VEVENT says of an event, computed once: `vevent()` gives it to the library,
    `_write_vevent()` writes it as text. Date-times are in UTC."""

    uid: str
    dtstamp: dt.datetime
    created: dt.datetime
    last_modified: dt.datetime | None
    sequence: int
    dtstart: dt.datetime
    dtend: dt.datetime
    summary: str
    description: str
    location: str
    geo: tuple[float, float] | None
    url: str
    status: str
    transp: str
    categories: list[str]
    organiser: str


@dataclass(frozen=True, slots=True)
class _Common:
    """What all the events of a calendar share, read once: the host of the UIDs, the site's
    address (SITE_URL without its final slash), the names of the kinds in the active
    language (`get_kind_display()` costs a tenth of a millisecond per event)."""

    host: str
    site: str
    kinds: dict[str, str]
    # an event's page address, reversed once with a placeholder for its slug (`reverse()`
    # costs as much per event as writing the whole event)
    page: str

    @classmethod
    def read(cls) -> _Common:
        return cls(
            host=uid_host(),
            site=settings.SITE_URL.rstrip("/"),
            kinds={value: str(label) for value, label in Event.Kind.choices},
            page=reverse("events:detail", args=[_SLUG]),
        )

    def url(self, event: Event) -> str:
        return self.site + self.page.replace(_SLUG, event.slug)


_SLUG = "slug-placeholder"


def _properties(
    event: Event, *, stamp: dt.datetime | None = None, common: _Common | None = None
) -> _Properties:
    common = common or _Common.read()
    title = event.title
    if event.is_cancelled:
        title = _("Cancelled: %(title)s") % {"title": title}
    url = common.url(event)
    place = event.place if event.place_id is not None else None
    geo = None
    if (
        place is not None
        and not event.location
        and place.latitude is not None
        and place.longitude is not None
    ):
        geo = (float(place.latitude), float(place.longitude))
    categories = [common.kinds.get(event.kind, event.kind)]
    if event.pk is not None:
        categories += [tag.name for tag in event.tags.all()]
    return _Properties(
        uid=f"event-{event.pk}@{common.host}",
        dtstamp=_utc(stamp or event.updated_at or event.created_at),
        created=_utc(event.created_at),
        last_modified=_utc(event.updated_at) if event.updated_at else None,
        sequence=sequence(event),
        dtstart=_utc(event.start),
        dtend=_utc(event.end),
        summary=title,
        description=description(event, url=url),
        location=location(event),
        geo=geo,
        url=url,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        transp="TRANSPARENT" if event.is_cancelled else "OPAQUE",
        categories=[str(category) for category in categories if category],
        organiser=organiser_name(event),
    )


def vevent(event: Event, *, stamp: dt.datetime | None = None) -> VEvent:
    """One event as the `icalendar` library's VEVENT (the feeds do not use it: they write the
    same text faster, see `calendar`). Use `select_related("place", "network", "room")` and
    `prefetch_related("tags")` when writing many of them. `stamp` (DTSTAMP) defaults to the
    event's last update, which keeps a feed identical (and its ETag) until something changes."""
    props = _properties(event, stamp=stamp)
    component = VEvent()
    component.add("uid", props.uid)
    component.add("dtstamp", props.dtstamp)
    component.add("created", props.created)
    if props.last_modified is not None:
        component.add("last-modified", props.last_modified)
    component.add("sequence", props.sequence)
    component.add("dtstart", props.dtstart)
    component.add("dtend", props.dtend)
    component.add("summary", props.summary)
    component.add("description", props.description)
    if props.location:
        component.add("location", props.location)
    if props.geo is not None:
        component.add("geo", props.geo)
    component.add("url", props.url)
    component.add("status", props.status)
    component.add("transp", props.transp)
    component.add("class", "PUBLIC")
    component.add("categories", props.categories)
    if props.organiser:
        component.add("x-tiers-organiser", props.organiser)
    return component


# Writing the text (RFC 5545) ---------------------------------------------------------------------

# Octets of content on a physical line: a continuation line adds its leading space, 75 in all.
_FOLD_AT = 74
_FOLD = b"\r\n "
# Not left at the end of a folded line (the library's choice, kept so that the text is the
# same): a TEXT escape (`\`) or a parameter escape (RFC 6868, `^`) stays with what it escapes.
_ESCAPES = b"\\^"


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, `;` and `,` escaped, a line break (CRLF, LF,
    or a lone CR, as the library did) written `\\n`."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def _unknown(value: str) -> str:
    """A value of a property the library has no type for (the X- ones: X-WR-CALNAME,
    X-WR-TIMEZONE, X-TIERS-ORGANISER): written as it is, as the library wrote
    it (a calendar's name keeps its commas), except a line break, which no content line may
    hold (the library refused the value): written `\\n`, as in TEXT."""
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _param(value: str) -> str:
    """A parameter value: quoted when it holds `:`, `;` or `,`; a double quote (which no
    parameter value may hold) becomes a single one."""
    value = value.replace('"', "'")
    if ":" in value or ";" in value or "," in value:
        return f'"{value}"'
    return value


def _datetime(value: dt.datetime) -> str:
    """A date-time in UTC (already converted): `YYYYMMDDTHHMMSSZ`."""
    return (
        f"{value.year:04}{value.month:02}{value.day:02}"
        f"T{value.hour:02}{value.minute:02}{value.second:02}Z"
    )


def _duration(value: dt.timedelta) -> str:
    """A DURATION (RFC 5545 §3.3.6), like `PT1H` or `P1DT30M`."""
    sign = ""
    if value.days < 0:
        sign, value = "-", -value
    time = ""
    if value.seconds:
        hours, rest = divmod(value.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        time = "T"
        if hours:
            time += f"{hours}H"
        if minutes or (hours and seconds):
            time += f"{minutes}M"
        if seconds:
            time += f"{seconds}S"
    if value.days == 0 and time:
        return f"{sign}P{time}"
    return f"{sign}P{value.days}D{time}"


def _fold(line: str) -> bytes:
    """One content line as UTF-8, folded (RFC 5545 §3.1): at most 74 octets of content per
    physical line, never inside a multi-byte character; continuation lines start with a space."""
    data = line.encode()
    size = len(data)
    if size <= _FOLD_AT:
        return data
    parts = []
    start = 0
    while size - start > _FOLD_AT:
        end = start + _FOLD_AT
        while data[end] & 0xC0 == 0x80:  # a continuation byte: inside a character
            end -= 1
        if data[end - 1] in _ESCAPES and end - 1 > start:
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return _FOLD.join(parts)


def _write_vevent(out: list[bytes], props: _Properties) -> None:
    """Appends the VEVENT's lines, in the library's order (SUMMARY, DTSTART, DTEND, DTSTAMP,
    UID, SEQUENCE, then the others alphabetically)."""
    out.append(b"BEGIN:VEVENT")
    out.append(_fold("SUMMARY:" + _text(props.summary)))
    out.append(b"DTSTART:" + _datetime(props.dtstart).encode())
    out.append(b"DTEND:" + _datetime(props.dtend).encode())
    out.append(b"DTSTAMP:" + _datetime(props.dtstamp).encode())
    out.append(_fold("UID:" + _text(props.uid)))
    out.append(b"SEQUENCE:%d" % props.sequence)
    out.append(_fold("CATEGORIES:" + ",".join(_text(name) for name in props.categories)))
    out.append(b"CLASS:PUBLIC")
    out.append(b"CREATED:" + _datetime(props.created).encode())
    out.append(_fold("DESCRIPTION:" + _text(props.description)))
    if props.geo is not None:
        out.append(_fold(f"GEO:{props.geo[0]};{props.geo[1]}"))
    if props.last_modified is not None:
        out.append(b"LAST-MODIFIED:" + _datetime(props.last_modified).encode())
    if props.location:
        out.append(_fold("LOCATION:" + _text(props.location)))
    out.append(b"STATUS:" + props.status.encode())
    out.append(b"TRANSP:" + props.transp.encode())
    out.append(_fold("URL:" + props.url))  # a URI: not escaped
    if props.organiser:
        out.append(_fold("X-TIERS-ORGANISER:" + _unknown(props.organiser)))
    out.append(b"END:VEVENT")


def _write_calendar(
    events: Iterable[Event],
    name: str,
    *,
    tz: str,
    method: str = "",
    stamp: dt.datetime | None = None,
) -> bytes:
    out = [
        b"BEGIN:VCALENDAR",
        b"VERSION:2.0",
        _fold("PRODID:" + _text(PRODID)),
        b"CALSCALE:GREGORIAN",
    ]
    if method:
        out.append(_fold("METHOD:" + _text(method)))
    out.append(_fold("X-WR-CALNAME:" + _unknown(name)))
    out.append(_fold(f"REFRESH-INTERVAL;VALUE={_param('DURATION')}:{_duration(REFRESH)}"))
    # As the library wrote it (an X- property: the timedelta's str(), "1:00:00").
    out.append(_fold("X-PUBLISHED-TTL:" + _duration(REFRESH)))
    out.append(_fold("X-WR-TIMEZONE:" + _unknown(tz)))
    common = _Common.read()
    for event in events:
        _write_vevent(out, _properties(event, stamp=stamp, common=common))
    out.append(b"END:VCALENDAR")
    out.append(b"")
    return b"\r\n".join(out)


def calendar(events: Iterable[Event], name: str, *, tz: str = "") -> bytes:
    """A feed of events (METHOD absent: a subscribed calendar). Each event once. Use
    `select_related("place", "network", "room")` and `prefetch_related("tags")`."""
    return _write_calendar(events, name, tz=tz or settings.TIME_ZONE)


def event_ics(event: Event, *, language: str = "") -> bytes:
    """One event as a calendar file (METHOD:PUBLISH), to attach to e-mails or download.
    Same UID as in the feeds; a cancelled event is STATUS:CANCELLED."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return _write_calendar(
            [event], event.title, tz=event.time_zone, method="PUBLISH", stamp=clock.now()
        )
