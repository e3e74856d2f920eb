"""Opening hours in OpenStreetMap's `opening_hours` syntax: validation, "open now", weekly table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from opening_hours import OpeningHours, ParserError, State  # type: ignore[attr-defined]

WEEKDAYS = [
    _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
    _("Sunday"),
]  # fmt: skip
MAX_LENGTH = 255


@lru_cache(maxsize=4096)
def parse(expression: str) -> OpeningHours | None:
    """The parsed expression, or None when it is empty or invalid (cached: places share few)."""
    if not expression.strip():
        return None
    try:
        # "PH" (public holidays) follows the French calendar
        return OpeningHours(expression, country="FR")
    except (ParserError, ValueError, OverflowError):
        return None


def validate_opening_hours(expression: str) -> None:
    if not expression.strip():
        return
    if len(expression) > MAX_LENGTH:
        raise ValidationError(_("Opening hours are too long."), code="too_long")
    if parse(expression) is None:
        raise ValidationError(
            _(
                "These opening hours are not understood. Use the OpenStreetMap syntax, "
                "for example: Mo-Fr 09:00-18:00; Sa 10:00-13:00"
            ),
            code="invalid",
        )


def _local_naive(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def is_open(expression: str, tz: ZoneInfo, at: dt.datetime | None = None) -> bool | None:
    """True/False when the hours are known, None when they are missing or invalid."""
    oh = parse(expression)
    if oh is None:
        return None
    try:
        return bool(oh.is_open(_local_naive(at or timezone.now(), tz)))
    except (ValueError, OverflowError):
        return None


@dataclass
class DayHours:
    weekday: object  # a lazily translated day name
    date: dt.date
    ranges: list[tuple[dt.time, dt.time]]
    comment: str
    is_today: bool


def week_table(expression: str, tz: ZoneInfo, at: dt.datetime | None = None) -> list[DayHours]:
    """The opening ranges of the seven days starting today (public holidays included as
    the expression says), for a readable weekly table."""
    oh = parse(expression)
    if oh is None:
        return []
    today = _local_naive(at or timezone.now(), tz).date()
    start = dt.datetime.combine(today, dt.time())
    days: dict[dt.date, DayHours] = {}
    for offset in range(7):
        day = today + dt.timedelta(days=offset)
        days[day] = DayHours(WEEKDAYS[day.weekday()], day, [], "", offset == 0)
    try:
        intervals = list(oh.intervals(start, start + dt.timedelta(days=7)))
    except (ValueError, OverflowError):
        return []
    for begin, end, state, comment in intervals:
        if state != State.OPEN:
            continue
        cursor = begin
        while cursor < end:
            day_end = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time())
            piece_end = min(end, day_end)
            entry = days.get(cursor.date())
            if entry is not None:
                closing = piece_end.time() if piece_end < day_end else dt.time(23, 59)
                entry.ranges.append((cursor.time(), closing))
                if comment:
                    entry.comment = comment
            cursor = piece_end
    return [days[d] for d in sorted(days)]


def next_change(expression: str, tz: ZoneInfo, at: dt.datetime | None = None) -> dt.datetime | None:
    """When the place next opens (if closed) or closes (if open): a naive datetime on the
    place's own clock (shown as is, like the weekly table); None when it never changes
    (24/7, always closed) or the hours are unknown."""
    oh = parse(expression)
    if oh is None:
        return None
    try:
        moment = oh.next_change(_local_naive(at or timezone.now(), tz))
    except (ValueError, OverflowError):
        return None
    return moment
