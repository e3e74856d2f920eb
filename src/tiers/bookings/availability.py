"""Free/busy of a resource, computed from the rows in the asked window only (never from a
counter, never from pre-generated slots)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from django.db.models import Q
from opening_hours import State

from tiers.bookings.models import Booking, Closure, Resource
from tiers.places import hours

Interval = tuple[dt.datetime, dt.datetime]


class Bookable(Protocol):
    """What availability needs of a resource (a `Resource`, or a lighter row of one)."""

    @property
    def pk(self) -> int: ...
    @property
    def place_id(self) -> int: ...
    @property
    def capacity(self) -> int: ...
    @property
    def bookable_hours(self) -> str: ...
    @property
    def tz(self) -> ZoneInfo: ...


@dataclass(frozen=True)
class Busy:
    start: dt.datetime
    end: dt.datetime
    units: int


@dataclass
class FreeBusy:
    capacity: int
    busy: list[Busy] = field(default_factory=list)
    open: list[Interval] = field(default_factory=list)


def aware(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    # A wall-clock time that does not exist (the hour skipped in spring) maps forward, one
    # that happens twice (autumn) means its first occurrence: fold=0 does both.
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for hole_start, hole_end in holes:
            next_pieces = []
            for a, b in pieces:
                if hole_end <= a or hole_start >= b:
                    next_pieces.append((a, b))
                    continue
                if a < hole_start:
                    next_pieces.append((a, hole_start))
                if hole_end < b:
                    next_pieces.append((hole_end, b))
            pieces = next_pieces
        result.extend(pieces)
    return result


def opening_intervals(resource: Bookable, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """The UTC intervals within [start, end) when the resource's (or its place's) opening
    hours say it is open. No hours at all means no restriction. Raises ValueError when the
    hours cannot be computed (invalid expression, dates out of range)."""
    expression = resource.bookable_hours
    if not expression.strip():
        return [(start, end)]
    parsed = hours.parse(expression)
    if parsed is None:
        raise ValueError("invalid opening hours")
    tz = resource.tz
    # Local wall-clock bounds, one day wider so that the DST shift never cuts an interval.
    local_start = start.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=1)
    local_end = end.astimezone(tz).replace(tzinfo=None) + dt.timedelta(days=1)
    try:
        raw = list(parsed.intervals(local_start, local_end))
    except OverflowError as exc:
        raise ValueError("dates out of range") from exc
    result = []
    for begin, finish, state, _comment in raw:
        if state != State.OPEN:
            continue
        a, b = max(aware(begin, tz), start), min(aware(finish, tz), end)
        if a < b:
            result.append((a, b))
    return merge(result)


def closures(resource: Resource, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    rows = Closure.objects.filter(
        Q(resource=resource) | Q(resource__isnull=True),
        place_id=resource.place_id, start__lt=end, end__gt=start,
    ).values_list("start", "end")  # fmt: skip
    return merge(list(rows))


def bookable_intervals(resource: Resource, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Open hours minus closures, within [start, end)."""
    return subtract(opening_intervals(resource, start, end), closures(resource, start, end))


def units_profile(bookings: list[tuple[dt.datetime, dt.datetime, int]]) -> list[Busy]:
    """Sweep over the bookings' boundaries: the units in use on each piece of time."""
    if len(bookings) == 1:  # the common case of a resource booked once in the window
        start, end, units = bookings[0]
        return [Busy(start, end, units)] if start < end and units > 0 else []
    deltas: dict[dt.datetime, int] = {}
    for start, end, units in bookings:
        deltas[start] = deltas.get(start, 0) + units
        deltas[end] = deltas.get(end, 0) - units
    profile: list[Busy] = []
    used = 0
    moments = sorted(deltas)
    for moment, following in itertools.pairwise(moments):
        used += deltas[moment]
        if used <= 0:
            continue
        if profile and profile[-1].end == moment and profile[-1].units == used:
            profile[-1] = Busy(profile[-1].start, following, used)
        else:
            profile.append(Busy(moment, following, used))
    return profile


def free_busy(resource: Resource, start: dt.datetime, end: dt.datetime) -> FreeBusy:
    """Busy pieces (with the units used) and bookable intervals within [start, end).

    One query bounded by the window (index on resource, start, end): the cost grows with
    the bookings in the window, not with the resource's whole history."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    rows = (
        Booking.objects.overlapping(start, end)
        .filter(resource=resource, status__in=Booking.ACTIVE)
        .values_list("start", "end", "units")
    )
    clipped = [(max(s, start), min(e, end), units) for s, e, units in rows]
    return FreeBusy(
        capacity=resource.capacity,
        busy=units_profile(clipped),
        open=bookable_intervals(resource, start, end),
    )
