"""Presets a person understands ("Morning", "Afternoon", "Whole day", "1 hour") for a resource
on one day, computed from that day's bookable intervals on the place's clock.

- Morning: from the opening until 13:00 (or until the lunch break, when it starts earlier).
- Afternoon: from the first open moment at or after 13:00 (14:00 after a 12:00-14:00 lunch
  break) until the closing (or the next break).
- Whole day: opening to closing, only when the day has no break (a booking is one range of
  open time; a day with a lunch break is booked as a morning and an afternoon).
- 1 hour: one slot per hour of open time, its start aligned to the resource's granularity.

Every range is aligned to the granularity (start rounded up, end down) so that booking it
never fails as "misaligned". A resource without any hours (neither its own nor its place's)
may be booked at any time with explicit times; its presets use a usual working day,
09:00-18:00, since "a morning" from midnight means nothing to anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiers.bookings import availability
from tiers.bookings.availability import FreeBusy, Interval
from tiers.bookings.models import Resource

NOON_BOUNDARY = dt.time(13, 0)
DEFAULT_DAY = (dt.time(9, 0), dt.time(18, 0))
HOUR = dt.timedelta(hours=1)

MORNING, AFTERNOON, WHOLE_DAY = "morning", "afternoon", "day"
LABELS: dict[str, Promise] = {
    MORNING: _("Morning"),
    AFTERNOON: _("Afternoon"),
    WHOLE_DAY: _("Whole day"),
}


@dataclass(frozen=True)
class Preset:
    key: str  # "morning", "afternoon", "day", or "h" + the slot's local start ("h0900")
    label: Promise
    day: dt.date
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC
    tz: ZoneInfo
    capacity: int
    free_units: int  # units free during the whole range (0: taken, at least partly)
    fits_duration: bool  # within the resource's minimum and maximum duration
    started: bool  # already begun at the time of asking

    @property
    def value(self) -> str:
        """What a form posts: the day and the key, recomputed (and re-checked) on submit."""
        return f"{self.day.isoformat()}/{self.key}"

    @property
    def is_free(self) -> bool:
        return self.free_units > 0

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.tz)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) / dt.timedelta(minutes=1))


def local_moment(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time of a day as UTC (a skipped time maps forward, a repeated one to its
    first occurrence, as in `availability`)."""
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[midnight, next midnight) of a day on the place's clock, in UTC: 23 or 25 hours on
    daylight-saving change days. Raises OverflowError at the ends of the calendar."""
    return local_moment(day, dt.time(), tz), local_moment(day + dt.timedelta(days=1), dt.time(), tz)


def clip(intervals: list[Interval], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    result = []
    for a, b in intervals:
        a, b = max(a, start), min(b, end)
        if a < b:
            result.append((a, b))
    return result


def used_units(
    free_busy: FreeBusy, start: dt.datetime, end: dt.datetime, buffer: dt.timedelta = dt.timedelta()
) -> tuple[int, int]:
    """(least, most) units in use at any instant of [start, end). The resource's buffer
    widens each busy piece at its end, as the booking rules do."""
    pieces = [
        b for b in free_busy.busy if b.start < end + buffer and b.end + buffer > start
    ]  # fmt: skip
    most = max((b.units for b in pieces), default=0)
    # covered from start to end without a gap?
    cursor = start
    for piece in sorted(pieces, key=lambda b: b.start):
        if piece.start > cursor:
            break
        cursor = max(cursor, piece.end + buffer)
    least = min((b.units for b in pieces), default=0) if cursor >= end else 0
    return least, most


def free_units(
    free_busy: FreeBusy, resource: Resource, start: dt.datetime, end: dt.datetime
) -> int:
    _least, most = used_units(free_busy, start, end, dt.timedelta(minutes=resource.buffer_minutes))
    return max(0, free_busy.capacity - most)


def _align(moment: dt.datetime, tz: ZoneInfo, step: int, *, up: bool) -> dt.datetime:
    local = moment.astimezone(tz)
    extra = dt.timedelta(
        minutes=local.minute % step, seconds=local.second, microseconds=local.microsecond
    )
    if not extra:
        return moment
    down = moment - extra
    return down + dt.timedelta(minutes=step) if up else down


def day_intervals(resource: Resource, day: dt.date, free_busy: FreeBusy) -> list[Interval]:
    """The day's bookable intervals, within the usual working day when the resource has no
    hours at all."""
    tz = resource.tz
    start, end = day_bounds(day, tz)
    intervals = clip(free_busy.open, start, end)
    if not resource.bookable_hours.strip():
        intervals = clip(
            intervals, local_moment(day, DEFAULT_DAY[0], tz), local_moment(day, DEFAULT_DAY[1], tz)
        )
    return intervals


def day_ranges(resource: Resource, day: dt.date, free_busy: FreeBusy) -> dict[str, Interval]:
    """The morning, afternoon and whole day of a day (those that exist), aligned."""
    tz = resource.tz
    step = resource.granularity_minutes
    intervals = day_intervals(resource, day, free_busy)
    if not intervals:
        return {}
    boundary = local_moment(day, NOON_BOUNDARY, tz)
    candidates: dict[str, Interval] = {}
    first_start, first_end = intervals[0]
    if first_start < boundary:
        candidates[MORNING] = (first_start, min(first_end, boundary))
    for a, b in intervals:
        if b > boundary:
            candidates[AFTERNOON] = (max(a, boundary), b)
            break
    if len(intervals) == 1:
        candidates[WHOLE_DAY] = intervals[0]
    ranges: dict[str, Interval] = {}
    for key, (a, b) in candidates.items():
        a, b = _align(a, tz, step, up=True), _align(b, tz, step, up=False)
        if a < b and (a, b) not in ranges.values():
            ranges[key] = (a, b)
    return ranges


def _hour_slots(resource: Resource, day: dt.date, free_busy: FreeBusy) -> list[Interval]:
    slots = []
    for a, b in day_intervals(resource, day, free_busy):
        start = _align(a, resource.tz, resource.granularity_minutes, up=True)
        while start + HOUR <= b:
            slots.append((start, start + HOUR))
            start += HOUR
    return slots


def day_presets(
    resource: Resource,
    day: dt.date,
    *,
    free_busy: FreeBusy | None = None,
    now: dt.datetime | None = None,
    include_unfit: bool = False,
) -> list[Preset]:
    """The presets of `day` for `resource`. `free_busy` may cover a wider window (a week);
    without it, it is read for the day (two queries). Presets outside the resource's
    minimum/maximum duration are left out unless `include_unfit`. Raises OverflowError
    for days at the ends of the calendar and ValueError when the hours cannot be computed."""
    tz = resource.tz
    if free_busy is None:
        free_busy = availability.free_busy(resource, *day_bounds(day, tz))
    ranges: list[tuple[str, Promise, Interval]] = [
        (key, LABELS[key], interval)
        for key, interval in day_ranges(resource, day, free_busy).items()
    ]
    one_hour = _("1 hour")
    for interval in _hour_slots(resource, day, free_busy):
        local = interval[0].astimezone(tz)
        # the hour the clocks repeat in autumn starts two slots: "h0200" and "h0200b"
        ranges.append((f"h{local:%H%M}{'b' if local.fold else ''}", one_hour, interval))
    presets = []
    for key, label, (start, end) in ranges:
        minutes = (end - start) / dt.timedelta(minutes=1)
        fits = resource.min_duration_minutes <= minutes <= resource.max_duration_minutes
        if not fits and not include_unfit:
            continue
        presets.append(
            Preset(
                key=key, label=label, day=day, start=start, end=end, tz=tz,
                capacity=free_busy.capacity,
                free_units=free_units(free_busy, resource, start, end),
                fits_duration=fits, started=now is not None and start < now,
            )
        )  # fmt: skip
    return presets


def find_preset(presets: list[Preset], value: str) -> Preset | None:
    return next((p for p in presets if p.value == value), None)


def parse_value(value: str) -> tuple[dt.date, str] | None:
    """The day and key of a posted preset value, or None when it is not one."""
    day_text, _sep, key = value.partition("/")
    try:
        return dt.date.fromisoformat(day_text), key
    except ValueError:
        return None
