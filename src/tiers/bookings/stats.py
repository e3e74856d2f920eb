"""Occupancy of a place's resources for its managers: per resource and ISO week, open hours
against booked hours, no-shows and cancellations, and a weekday by hour-of-day heatmap.

Everything is computed in Python from the rows that touch the period, read in a fixed number
of queries (the closures, then the bookings and blocks), whatever the number of resources or
weeks. Times are UTC intervals; weeks, days and hours are cut on the place's own clock, so a
week with a daylight-saving change lasts 167 or 169 hours.

Units: a pool of 5 seats open 2 hours offers 10 seat-hours; a booking of 2 seats for 3 hours
takes 6. "Open" is the opening hours minus closures minus blocks (reported separately).
"Booked" is the booked time inside the open time, so that occupancy never passes 100 %; what
bookings keep outside it (a closure decided after they were taken, hours changed since) is
reported apart.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiers.bookings.availability import Interval, merge, opening_intervals
from tiers.bookings.models import Booking, Closure, Resource
from tiers.core.errors import DomainError
from tiers.places.models import Place

MAX_DAYS = 366  # at most one year (a leap one included)
DEFAULT_WEEKS = 4
FIRST_YEAR, LAST_YEAR = 2000, 2100
HOURS = Decimal("0.01")
PERCENT = Decimal("0.1")


class PeriodError(DomainError):
    code = "invalid_period"
    status = 400


# Periods ------------------------------------------------------------------------------------


def _utc(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local midnight (fold=0: the first one if it happens twice)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True)
class Period:
    """Whole days on the place's clock, from `first_day` to `last_day` included."""

    first_day: dt.date
    last_day: dt.date
    tz: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return _utc(self.first_day, self.tz)

    @property
    def end(self) -> dt.datetime:
        return _utc(self.last_day + dt.timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def default_period(today: dt.date, tz: ZoneInfo) -> Period:
    """The last four full weeks (Monday to Sunday) before the current one."""
    monday = today - dt.timedelta(days=today.weekday())
    return Period(monday - dt.timedelta(weeks=DEFAULT_WEEKS), monday - dt.timedelta(days=1), tz)


def make_period(
    first_day: dt.date | None, last_day: dt.date | None, *, today: dt.date, tz: ZoneInfo
) -> Period:
    """A period from the days a manager typed (either may be missing: four weeks then).
    Raises PeriodError with a message to show when it cannot be used."""
    if first_day is None and last_day is None:
        return default_period(today, tz)
    for day in (first_day, last_day):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise PeriodError(
                _("Choose dates between the years %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
    span = dt.timedelta(weeks=DEFAULT_WEEKS, days=-1)
    if first_day is None:
        assert last_day is not None
        first_day = last_day - span
    if last_day is None:
        last_day = first_day + span
    if last_day < first_day:
        raise PeriodError(_("The end of the period must not be before its start."))
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise PeriodError(_("The period can last one year at most."))
    return Period(first_day, last_day, tz)


# Figures ------------------------------------------------------------------------------------


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(HOURS, rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent with one decimal; None when nothing was open."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """What a resource (or several) offered and what was used over some time. Durations are
    in seat-seconds: exact integers, turned into hours only for display."""

    open_seconds: int = 0
    booked_seconds: int = 0  # inside the open time
    booked_outside_seconds: int = 0  # booked, but during closures, blocks or closed hours
    blocked_seconds: int = 0
    bookings: int = 0
    no_shows: int = 0
    cancelled: int = 0

    @property
    def open_hours(self) -> Decimal:
        return _hours(self.open_seconds)

    @property
    def booked_hours(self) -> Decimal:
        return _hours(self.booked_seconds)

    @property
    def booked_outside_hours(self) -> Decimal:
        return _hours(self.booked_outside_seconds)

    @property
    def blocked_hours(self) -> Decimal:
        return _hours(self.blocked_seconds)

    @property
    def occupancy(self) -> Decimal | None:
        """Booked over open, in percent (None when nothing was open)."""
        return percent(self.booked_seconds, self.open_seconds)

    def add(self, other: Figures) -> None:
        self.open_seconds += other.open_seconds
        self.booked_seconds += other.booked_seconds
        self.booked_outside_seconds += other.booked_outside_seconds
        self.blocked_seconds += other.blocked_seconds
        self.bookings += other.bookings
        self.no_shows += other.no_shows
        self.cancelled += other.cancelled


@dataclass(frozen=True)
class Week:
    """An ISO week, or the part of it inside the period."""

    year: int
    number: int
    first_day: dt.date
    last_day: dt.date
    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def is_partial(self) -> bool:
        return (self.last_day - self.first_day).days < 6


def weeks_of(period: Period) -> list[Week]:
    weeks = []
    day = period.first_day
    while day <= period.last_day:
        year, number, weekday = day.isocalendar()
        last = min(day + dt.timedelta(days=7 - weekday), period.last_day)
        weeks.append(
            Week(
                year, number, day, last,
                _utc(day, period.tz), _utc(last + dt.timedelta(days=1), period.tz),
            )
        )  # fmt: skip
        day = last + dt.timedelta(days=1)
    return weeks


@dataclass
class ResourceOccupancy:
    resource: Resource
    weeks: list[Figures]  # one per Occupancy.weeks, same order
    total: Figures
    hours_unreadable: bool = False  # its opening hours could not be read: nothing counted open


@dataclass
class HeatCell:
    weekday: int  # 0 = Monday
    hour: int
    open_seconds: int = 0
    booked_seconds: int = 0

    @property
    def occupancy(self) -> Decimal | None:
        return percent(self.booked_seconds, self.open_seconds)


@dataclass
class Heatmap:
    """Average occupancy per weekday and hour of the day (place's clock) over the period:
    the seat-seconds booked in that cell over the seat-seconds open in it."""

    cells: list[list[HeatCell]]  # [weekday][hour], 7 by 24
    hours: list[int] = field(default_factory=list)  # the hours worth showing

    def rows(self) -> list[tuple[int, list[HeatCell]]]:
        """One row per shown hour, with its seven cells (Monday first)."""
        return [(hour, [self.cells[day][hour] for day in range(7)]) for hour in self.hours]

    def open_cells(self) -> list[HeatCell]:
        return [cell for day in self.cells for cell in day if cell.open_seconds > 0]


@dataclass
class Occupancy:
    place: Place
    period: Period
    weeks: list[Week]
    resources: list[ResourceOccupancy]
    week_totals: list[Figures]
    total: Figures
    heatmap: Heatmap


# Interval arithmetic on sorted, merged lists of UTC intervals (linear, two pointers) -------


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    result = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(a: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = []
    j = 0
    for start, end in a:
        while j < len(holes) and holes[j][1] <= start:
            j += 1
        k, cursor = j, start
        while k < len(holes) and holes[k][0] < end:
            if holes[k][0] > cursor:
                result.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _clip(start: dt.datetime, end: dt.datetime, intervals: list[Interval]) -> list[Interval]:
    """[start, end) within sorted, disjoint intervals (found by bisection)."""
    i = max(0, bisect.bisect_right(intervals, (start, start)) - 1)
    pieces = []
    while i < len(intervals) and intervals[i][0] < end:
        a, b = max(start, intervals[i][0]), min(end, intervals[i][1])
        if a < b:
            pieces.append((a, b))
        i += 1
    return pieces


def _seconds(delta: dt.timedelta) -> int:
    """Whole seconds of a positive duration (bookings and hours have no smaller unit)."""
    return delta.days * 86400 + delta.seconds


class _Weeks:
    """Splits intervals on the weeks' boundaries."""

    def __init__(self, weeks: list[Week]) -> None:
        self.starts = [week.start for week in weeks]
        self.ends = [week.end for week in weeks]

    def index(self, moment: dt.datetime) -> int:
        return max(0, bisect.bisect_right(self.starts, moment) - 1)

    def spread(self, start: dt.datetime, end: dt.datetime) -> Iterable[tuple[int, int]]:
        """(week index, seconds) of [start, end) in each week."""
        i = self.index(start)
        if end <= self.ends[i]:  # most often: within one week
            yield i, _seconds(end - start)
            return
        while start < end and i < len(self.ends):
            piece_end = min(end, self.ends[i])
            yield i, _seconds(piece_end - start)
            start, i = piece_end, i + 1


def _spread_hours(
    acc: list[list[int]], start: dt.datetime, end: dt.datetime, tz: ZoneInfo, weight: int
) -> None:
    """Adds weight times the seconds of [start, end) to acc[weekday][hour] on the local clock.

    Within a local day without a clock change the offset is fixed, so hours are plain
    arithmetic; on a change day (or any doubt) each hour is converted on its own, which puts
    the skipped spring hour nowhere and the repeated autumn hour twice in its cell."""
    one_day = dt.timedelta(days=1)
    while start < end:
        local = start.astimezone(tz)
        into_day = dt.timedelta(
            hours=local.hour, minutes=local.minute, seconds=local.second,
            microseconds=local.microsecond,
        )  # fmt: skip
        day_end = min(end, start + one_day - into_day)
        last = (day_end - dt.timedelta(microseconds=1)).astimezone(tz)
        if last.utcoffset() == local.utcoffset() and last.date() == local.date():
            row = acc[local.weekday()]
            second, stop = _seconds(into_day), _seconds(into_day + (day_end - start))
            while second < stop:
                hour = second // 3600
                following = min(stop, (hour + 1) * 3600)
                row[hour] += (following - second) * weight
                second = following
            start = day_end
            continue
        to_next_hour = dt.timedelta(
            minutes=60 - local.minute, seconds=-local.second, microseconds=-local.microsecond
        )
        piece_end = min(end, start + to_next_hour)
        acc[local.weekday()][local.hour] += _seconds(piece_end - start) * weight
        start = piece_end


# The computation ----------------------------------------------------------------------------


@dataclass
class _Profile:
    """Where some intervals fall, for a weight of one: seconds per week and per heatmap cell."""

    intervals: list[Interval]
    weeks: list[int]
    heat: list[list[int]]

    @classmethod
    def of(cls, intervals: list[Interval], splitter: _Weeks, tz: ZoneInfo) -> _Profile:
        weeks = [0] * len(splitter.starts)
        heat = [[0] * 24 for _ in range(7)]
        for a, b in intervals:
            for i, seconds in splitter.spread(a, b):
                weeks[i] += seconds
            _spread_hours(heat, a, b, tz, 1)
        return cls(intervals, weeks, heat)


class _Row(NamedTuple):
    resource_id: int
    start: dt.datetime
    end: dt.datetime
    units: int
    status: str
    kind: str
    attendance: str


def place_resources(place: Place) -> list[Resource]:
    """The resources whose occupancy managers follow: the bookable ones (one query)."""
    return list(place.resources.filter(is_active=True).order_by("name", "pk"))


def occupancy(*, place: Place, period: Period, resources: Sequence[Resource]) -> Occupancy:
    """The occupancy of `resources` (of `place`) over `period`, in two queries."""
    start, end = period.start, period.end
    tz = period.tz
    weeks = weeks_of(period)
    splitter = _Weeks(weeks)
    ids = [resource.pk for resource in resources]

    place_closed: list[Interval] = []
    resource_closed: dict[int, list[Interval]] = {}
    closure_rows = Closure.objects.filter(place=place, start__lt=end, end__gt=start).values_list(
        "resource_id", "start", "end"
    )
    for resource_id, a, b in closure_rows:
        piece = (max(a, start), min(b, end))
        if resource_id is None:
            place_closed.append(piece)
        else:
            resource_closed.setdefault(resource_id, []).append(piece)

    booking_rows = (
        Booking.objects.overlapping(start, end)
        .filter(resource_id__in=ids)
        .filter(
            Q(
                kind=Booking.Kind.BOOKING,
                status__in=[Booking.Status.CONFIRMED, Booking.Status.CANCELLED],
            )
            | Q(kind__in=[Booking.Kind.BLOCK, Booking.Kind.EVENT], status__in=Booking.ACTIVE)
        )
        .values_list(*_Row._fields, named=True)
    )
    rows_by_resource: dict[int, list[_Row]] = {}
    for row in booking_rows:
        rows_by_resource.setdefault(row.resource_id, []).append(row)

    place_closed = merge(place_closed)
    opening_cache: dict[str, list[Interval] | None] = {}
    shared: dict[str, _Profile] = {}
    open_acc = [[0] * 24 for _ in range(7)]
    booked_acc = [[0] * 24 for _ in range(7)]
    results = []
    for resource in resources:
        expression = resource.bookable_hours
        if expression not in opening_cache:
            # the same hours give the same intervals: parse and expand them once per place
            try:
                opening_cache[expression] = opening_intervals(resource, start, end)
            except ValueError:
                opening_cache[expression] = None
        opening = opening_cache[expression]
        own_closed = resource_closed.get(resource.pk, [])
        rows = rows_by_resource.get(resource.pk, [])
        blocks = merge(
            [(max(row.start, start), min(row.end, end)) for row in rows if row.kind != "booking"]
        )
        figures = [Figures() for _ in weeks]
        capacity = resource.capacity
        if own_closed or blocks:
            bookable = subtract(opening or [], merge(place_closed + own_closed))
            for a, b in intersect(bookable, blocks):
                for i, seconds in splitter.spread(a, b):
                    figures[i].blocked_seconds += seconds * capacity
            profile = _Profile.of(subtract(bookable, blocks), splitter, tz)
        else:
            # most resources follow the place's hours and closures: spread those once
            if expression not in shared:
                shared[expression] = _Profile.of(
                    subtract(opening or [], place_closed), splitter, tz
                )
            profile = shared[expression]
        open_time = profile.intervals
        for i, seconds in enumerate(profile.weeks):
            figures[i].open_seconds += seconds * capacity
        for day in range(7):
            open_row, profile_row = open_acc[day], profile.heat[day]
            for hour in range(24):
                open_row[hour] += profile_row[hour] * capacity
        for row in rows:
            if row.kind != Booking.Kind.BOOKING:
                continue
            a, b = max(row.start, start), min(row.end, end)
            week = figures[splitter.index(a)]
            if row.status == Booking.Status.CANCELLED:
                week.cancelled += 1
                continue
            week.bookings += 1
            if row.attendance == Booking.Attendance.NO_SHOW:
                week.no_shows += 1
            inside = 0
            for piece_start, piece_end in _clip(a, b, open_time):
                for i, seconds in splitter.spread(piece_start, piece_end):
                    figures[i].booked_seconds += seconds * row.units
                    inside += seconds
                _spread_hours(booked_acc, piece_start, piece_end, tz, row.units)
            if inside < _seconds(b - a):  # rare: part of it falls outside the open time
                for i, seconds in splitter.spread(a, b):
                    figures[i].booked_outside_seconds += seconds * row.units
                for piece_start, piece_end in _clip(a, b, open_time):
                    for i, seconds in splitter.spread(piece_start, piece_end):
                        figures[i].booked_outside_seconds -= seconds * row.units
        total = Figures()
        for week_figures in figures:
            total.add(week_figures)
        results.append(ResourceOccupancy(resource, figures, total, opening is None))

    week_totals = [Figures() for _ in weeks]
    grand_total = Figures()
    for result in results:
        for i, week_figures in enumerate(result.weeks):
            week_totals[i].add(week_figures)
        grand_total.add(result.total)

    cells = [
        [HeatCell(day, hour, open_acc[day][hour], booked_acc[day][hour]) for hour in range(24)]
        for day in range(7)
    ]
    used = [h for h in range(24) if any(open_acc[d][h] for d in range(7))]
    shown = list(range(min(used), max(used) + 1)) if used else []
    return Occupancy(
        place=place,
        period=period,
        weeks=weeks,
        resources=results,
        week_totals=week_totals,
        total=grand_total,
        heatmap=Heatmap(cells, shown),
    )
