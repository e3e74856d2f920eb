"""View-models of the member pages: the week/day grid of one resource and the place's
"which desk is free" board. Pure computation over `FreeBusy` windows; the only queries are
the ones that read those windows (bounded by the window, never by the whole history).

Every cell carries its state as a word (`status`) so that templates can show it as text as
well as colour.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tiers.bookings import availability, presets
from tiers.bookings.availability import FreeBusy, Interval
from tiers.bookings.models import Booking, Closure, Resource
from tiers.bookings.presets import clip, day_bounds, local_moment, used_units

# Cell states
FREE = "free"  # every unit free (or, for a pool, some units free the whole time)
PARTLY = "partly"  # taken for part of the time only
BUSY = "busy"  # taken the whole (open) time
CLOSED = "closed"  # not bookable at all
PAST = "past"  # over
NONE = "none"  # a wall-clock time that does not exist (the hour skipped in spring)

DEFAULT_VIEW_HOURS = (8, 20)  # the rows shown for a resource that has no hours at all


@dataclass
class Cell:
    start: dt.datetime  # UTC
    end: dt.datetime
    status: str
    capacity: int = 1
    free_units: int = 0
    mine: bool = False
    # the open part, aligned to the granularity: what a "book" link proposes
    book_start: dt.datetime | None = None
    book_end: dt.datetime | None = None

    @property
    def is_pool(self) -> bool:
        return self.capacity > 1

    @property
    def bookable(self) -> bool:
        return self.book_start is not None and self.status in (FREE, PARTLY)


@dataclass
class Row:
    label: dt.time  # wall-clock start of the row
    cells: list[Cell]


@dataclass
class Grid:
    days: list[dt.date]
    rows: list[Row]
    step_minutes: int
    capacity: int

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _align(moment: dt.datetime, tz: ZoneInfo, step: int, *, up: bool) -> dt.datetime:
    return presets._align(moment, tz, step, up=up)


def cell_for(
    resource: Resource,
    free_busy: FreeBusy,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime,
    mine: Sequence[Interval] = (),
) -> Cell:
    capacity = free_busy.capacity
    if start >= end:
        return Cell(start, end, NONE, capacity)
    is_mine = any(a < end and b > start for a, b in mine)
    if end <= now:
        return Cell(start, end, PAST, capacity, mine=is_mine)
    opened = clip(free_busy.open, max(start, now), end)
    if not opened:
        return Cell(start, end, CLOSED, capacity, mine=is_mine)
    buffer = dt.timedelta(minutes=resource.buffer_minutes)
    most_everywhere = 0
    least_somewhere = capacity
    for a, b in opened:
        least, most = used_units(free_busy, a, b, buffer)
        most_everywhere = max(most_everywhere, most)
        least_somewhere = min(least_somewhere, least)
    free = max(0, capacity - most_everywhere)
    if free > 0:
        status = FREE
    elif least_somewhere < capacity:
        status = PARTLY
    else:
        status = BUSY
    step = resource.granularity_minutes
    book_start = book_end = None
    for a, b in opened:  # the first open piece long enough to hold a step
        a, b = _align(a, resource.tz, step, up=True), _align(b, resource.tz, step, up=False)
        if a < b:
            book_start, book_end = a, b
            break
    return Cell(start, end, status, capacity, free, is_mine, book_start, book_end)


def _view_minutes(
    resource: Resource, days: list[dt.date], free_busy: FreeBusy, step: int
) -> tuple[int, int]:
    """The wall-clock span (minutes from midnight) the grid shows: from the earliest opening
    to the latest closing of the days (and around any booking outside them)."""
    tz = resource.tz
    pieces = [(b.start, b.end) for b in free_busy.busy]
    if resource.bookable_hours.strip():
        first, last = 24 * 60, 0
        pieces += free_busy.open
    else:  # open around the clock: a usual day, widened around the bookings
        first, last = DEFAULT_VIEW_HOURS[0] * 60, DEFAULT_VIEW_HOURS[1] * 60
    for day in days:
        day_start, day_end = day_bounds(day, tz)
        for a, b in clip(pieces, day_start, day_end):
            local_a = a.astimezone(tz)
            first = min(first, local_a.hour * 60 + local_a.minute)
            if b >= day_end:
                last = 24 * 60
            else:
                local_b = b.astimezone(tz)
                last = max(last, local_b.hour * 60 + local_b.minute)
    if first >= last:
        return 0, 0
    first -= first % step
    last += -last % step
    return first, min(last, 24 * 60)


def grid(
    resource: Resource,
    days: list[dt.date],
    free_busy: FreeBusy,
    *,
    step_minutes: int,
    now: dt.datetime,
    mine: Sequence[Interval] = (),
) -> Grid:
    """Rows of `step_minutes` (wall-clock times) by `days`; `free_busy` covers the days."""
    tz = resource.tz
    first, last = _view_minutes(resource, days, free_busy, step_minutes)
    rows = []
    midnight = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # only to add minutes to a time
    for minute in range(first, last, step_minutes):
        label = (midnight + dt.timedelta(minutes=minute)).time()
        following = minute + step_minutes
        cells = []
        for day in days:
            start = local_moment(day, label, tz)
            if following >= 24 * 60:
                end = day_bounds(day, tz)[1]
            else:
                end = local_moment(day, (midnight + dt.timedelta(minutes=following)).time(), tz)
            if start.astimezone(tz).replace(tzinfo=None) != dt.datetime.combine(day, label):
                end = start  # this wall-clock time does not exist on that day
            cells.append(cell_for(resource, free_busy, start, end, now=now, mine=mine))
        rows.append(Row(label, cells))
    return Grid(days, rows, step_minutes, free_busy.capacity)


def week_days(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=offset) for offset in range(7)]


def my_intervals(
    resource: Resource, user_id: int | None, start: dt.datetime, end: dt.datetime
) -> list[Interval]:
    """The person's own active bookings of the resource in the window (one query)."""
    if user_id is None:
        return []
    return list(
        Booking.objects.overlapping(start, end)
        .filter(resource=resource, user_id=user_id, status__in=Booking.ACTIVE)
        .values_list("start", "end")
    )


# The place's board ----------------------------------------------------------------------


@dataclass
class Slot:
    """One resource in one part of the day (now, the morning, the afternoon)."""

    status: str
    capacity: int = 1
    free_units: int = 0
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    @property
    def is_pool(self) -> bool:
        return self.capacity > 1


@dataclass
class BoardRow:
    resource: Resource
    now: Slot | None  # None when the board is not for today
    morning: Slot
    afternoon: Slot


def free_busy_many(
    resources: Iterable[availability.Bookable], start: dt.datetime, end: dt.datetime
) -> dict[int, FreeBusy]:
    """`availability.free_busy` for several resources of one place at once: one query for
    the bookings, one for the closures, whatever the number of resources."""
    resources = list(resources)
    if not resources:
        return {}
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    # By plain ids (a list of model instances costs more to turn into SQL than to run): both
    # databases then read each resource's window from the (resource, start, end) index.
    wanted = {r.pk for r in resources}
    place_ids = {r.place_id for r in resources}
    rows: dict[int, list[tuple[dt.datetime, dt.datetime, int]]] = defaultdict(list)
    for resource_id, s, e, units in (
        Booking.objects.overlapping(start, end)
        .filter(resource_id__in=sorted(wanted), status__in=Booking.ACTIVE)
        .order_by()
        .values_list("resource_id", "start", "end", "units")
    ):
        rows[resource_id].append((max(s, start), min(e, end), units))
    closed: dict[int | None, list[Interval]] = defaultdict(list)
    for resource_id, s, e in Closure.objects.filter(
        place_id__in=place_ids, start__lt=end, end__gt=start
    ).values_list("resource_id", "start", "end"):
        if resource_id is None or resource_id in wanted:
            closed[resource_id].append((s, e))
    result = {}
    # resources mostly share their place's hours: evaluate each expression once
    hours: dict[tuple[str, str], list[Interval]] = {}
    for resource in resources:
        key = (resource.bookable_hours, str(resource.tz))
        if key not in hours:
            try:
                hours[key] = availability.opening_intervals(resource, start, end)
            except ValueError:
                hours[key] = []
        # shared (read-only) between the resources with the same hours and no closure
        opened = hours[key]
        holes = closed[None] + closed.get(resource.pk, [])
        if holes:
            opened = availability.subtract(opened, availability.merge(holes))
        taken = rows.get(resource.pk)
        result[resource.pk] = FreeBusy(
            capacity=resource.capacity,
            busy=availability.units_profile(taken) if taken else [],
            open=opened,
        )
    return result


def _slot(
    resource: Resource, free_busy: FreeBusy, interval: Interval | None, now: dt.datetime
) -> Slot:
    if interval is None:
        return Slot(CLOSED, free_busy.capacity)
    start, end = interval
    cell = cell_for(resource, free_busy, start, end, now=now)
    return Slot(cell.status, cell.capacity, cell.free_units, start, end)


def board(
    resources: Iterable[Resource], day: dt.date, *, now: dt.datetime, tz: ZoneInfo
) -> list[BoardRow]:
    """For each resource: free now (when `day` is today), this morning, this afternoon."""
    resources = list(resources)
    day_start, day_end = day_bounds(day, tz)
    windows = free_busy_many(resources, day_start, day_end)
    is_today = now.astimezone(tz).date() == day
    result = []
    for resource in resources:
        free_busy = windows[resource.pk]
        ranges = presets.day_ranges(resource, day, free_busy)
        now_slot = None
        if is_today:
            if any(a <= now < b for a, b in free_busy.open):
                step = dt.timedelta(minutes=resource.granularity_minutes)
                now_slot = _slot(resource, free_busy, (now, now + step), now)
            else:
                now_slot = Slot(CLOSED, free_busy.capacity)
        result.append(
            BoardRow(
                resource=resource,
                now=now_slot,
                morning=_slot(resource, free_busy, ranges.get(presets.MORNING), now),
                afternoon=_slot(resource, free_busy, ranges.get(presets.AFTERNOON), now),
            )
        )
    return result
