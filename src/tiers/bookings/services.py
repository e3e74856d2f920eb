"""Booking a resource and cancelling: the rules, and "never booked twice".

A time range is taken inside one transaction that validates the request, locks the resource
row, re-checks capacity and the per-person limits against the real rows, then writes
(DESIGN.md §4). On PostgreSQL an exclusion constraint backs exclusive resources up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tiers.accounts.models import User
from tiers.bookings import availability, credits, notifications
from tiers.bookings.errors import BookingError
from tiers.bookings.models import (
    MAX_BOOKING_SPAN,
    PUBLIC,
    Booking,
    BookingLog,
    BookingSeries,
    CalendarFeed,
    QualificationGrant,
    Resource,
)
from tiers.places.models import Membership
from tiers.places.permissions import is_manager


def _error(code: str, message: str | Promise) -> BookingError:
    return BookingError(message, code=code)


def now() -> dt.datetime:
    """The current time (a function so that tests can set the clock)."""
    return timezone.now()


def _may_manage(user: User | None, resource: Resource) -> bool:
    return user is not None and (bool(user.is_superuser) or is_manager(user, resource.place))


def _check_range(
    resource: Resource, start: dt.datetime, end: dt.datetime, units: int
) -> tuple[dt.datetime, dt.datetime]:
    """The range in UTC: between two datetimes of one ZoneInfo, Python compares and subtracts
    wall-clock times, which is wrong by an hour across a daylight-saving change."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _error("invalid_range", _("Give the start and end with their time zone."))
    try:
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    except OverflowError as exc:
        raise _error("invalid_range", _("These dates are out of range.")) from exc
    if end <= start:
        raise _error("invalid_range", _("The end must be after the start."))
    if end - start > MAX_BOOKING_SPAN:
        raise _error(
            "invalid_range",
            _("A booking or a block lasts at most %(days)s days; close the resource instead.")
            % {"days": MAX_BOOKING_SPAN.days},
        )
    if not 1 <= units <= resource.capacity:
        raise _error(
            "invalid_range",
            _("You can book between 1 and %(capacity)s units of this resource.")
            % {"capacity": resource.capacity},
        )
    return start, end


def _check_time_rules(
    resource: Resource, start: dt.datetime, end: dt.datetime, moment: dt.datetime
) -> None:
    if start < moment + dt.timedelta(minutes=resource.min_notice_minutes):
        raise _error("too_soon", _("This booking starts too soon (or is in the past)."))
    # "7 days ahead" means up to the whole of the 7th day, on the place's clock
    last_day = moment.astimezone(resource.tz).date() + dt.timedelta(days=resource.max_days_ahead)
    if start.astimezone(resource.tz).date() > last_day:
        raise _error(
            "too_far",
            _("This resource can be booked at most %(days)s days ahead.")
            % {"days": resource.max_days_ahead},
        )
    step = resource.granularity_minutes
    for moment_ in (start, end):
        local = moment_.astimezone(resource.tz)
        if local.second or local.microsecond or local.minute % step:
            raise _error(
                "misaligned",
                _("Bookings start and end on steps of %(minutes)s minutes.") % {"minutes": step},
            )
    minutes = (end - start) / dt.timedelta(minutes=1)
    if minutes < resource.min_duration_minutes:
        raise _error(
            "too_short",
            _("A booking lasts at least %(minutes)s minutes.")
            % {"minutes": resource.min_duration_minutes},
        )
    if minutes > resource.max_duration_minutes:
        raise _error(
            "too_long",
            _("A booking lasts at most %(minutes)s minutes.")
            % {"minutes": resource.max_duration_minutes},
        )
    try:
        opened = availability.opening_intervals(resource, start, end)
    except ValueError as exc:
        raise _error("outside_hours", _("The bookable hours cannot be computed.")) from exc
    if not any(a <= start and end <= b for a, b in opened):
        raise _error("outside_hours", _("This time is outside the bookable hours."))
    if availability.closures(resource, start, end):
        raise _error("closed", _("The resource is closed during this time."))


def _check_person(
    resource: Resource,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    *,
    acting_manager: bool = False,
) -> None:
    """May `user` book it? A manager booking for someone sets aside who may book, never the
    qualification a machine requires."""
    if not user.is_active:
        raise _error("not_allowed", _("This account cannot book."))
    membership = Membership.objects.filter(
        place_id=resource.place_id, user=user, state=Membership.State.ACTIVE
    ).first()
    allowed = set(resource.allowed_statuses or [])
    if acting_manager:
        pass
    elif membership is None:
        visible = resource.visibility == Resource.Visibility.PUBLIC
        if not (visible and PUBLIC in allowed) and not user.is_superuser:
            raise _error("not_allowed", _("Only some members of the place can book this."))
    elif membership.status not in allowed and PUBLIC not in allowed and not membership.is_manager:
        raise _error(
            "not_allowed",
            _("Members with the status “%(status)s” cannot book this resource.")
            % {"status": membership.get_status_display()},
        )
    if resource.required_qualification_id is not None:
        last_day = end.astimezone(resource.tz).date()
        grants = QualificationGrant.objects.filter(
            qualification_id=resource.required_qualification_id, user=user
        )
        if not any(g.expires_on is None or g.expires_on >= last_day for g in grants):
            raise _error(
                "not_qualified",
                _("Booking this needs the qualification “%(name)s”; ask a manager for it.")
                % {"name": resource.required_qualification},
            )


def _check_limits(
    resource: Resource, user: User, start: dt.datetime, end: dt.datetime, moment: dt.datetime
) -> None:
    mine = Booking.objects.filter(resource=resource, user=user, status__in=Booking.ACTIVE)
    if (
        resource.max_simultaneous is not None
        and mine.filter(end__gt=moment).count() >= resource.max_simultaneous
    ):
        raise _error(
            "limit_reached",
            _("You already have %(count)s upcoming bookings of this resource.")
            % {"count": resource.max_simultaneous},
        )
    if resource.weekly_hours_limit is not None:
        # the week (Monday to Monday, on the place's clock) of the booking's start
        local = start.astimezone(resource.tz)
        monday = dt.datetime.combine(
            local.date() - dt.timedelta(days=local.weekday()), dt.time(), tzinfo=resource.tz
        )
        week_start, week_end = monday, monday + dt.timedelta(days=7)
        booked = 0.0
        for s, e in mine.overlapping(week_start, week_end).values_list("start", "end"):
            booked += (min(e, week_end) - max(s, week_start)) / dt.timedelta(hours=1)
        booked += (min(end, week_end) - start) / dt.timedelta(hours=1)
        if booked > resource.weekly_hours_limit:
            raise _error(
                "limit_reached",
                _("This goes over your %(hours)s hours per week on this resource.")
                % {"hours": resource.weekly_hours_limit},
            )


def _check_capacity(resource: Resource, start: dt.datetime, end: dt.datetime, units: int) -> None:
    """From the real rows: the units already taken at any instant of [start, end), each
    booking being followed by the resource's buffer, plus ours, fit the capacity."""
    buffer = dt.timedelta(minutes=resource.buffer_minutes)
    overlapping = list(
        Booking.objects.overlapping(start - buffer, end + buffer)
        .filter(resource=resource, status__in=Booking.ACTIVE)
        .values_list("start", "end", "units")
    )
    taken = _error("taken", _("This time is already booked."))
    if resource.is_exclusive:
        if overlapping:
            raise taken
        return
    # Each booking occupies [start, end + buffer); ours needs [start, end + buffer) too.
    pieces = [(s, e + buffer, u) for s, e, u in overlapping]
    window_end = end + buffer
    for busy in availability.units_profile(pieces):
        if busy.start < window_end and busy.end > start and busy.units + units > resource.capacity:
            raise taken


def _take(
    *,
    resource: Resource,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    units: int,
    actor: User,
    note: str,
    series: BookingSeries | None = None,
) -> Booking:
    """Check every rule and take the range, inside the caller's transaction (or its own)."""
    start, end = _check_range(resource, start, end, units)
    moment = now()
    acting_manager = actor.pk != user.pk and _may_manage(actor, resource)
    try:
        with transaction.atomic():
            if not resource.is_active:
                raise _error("not_active", _("This resource cannot be booked at the moment."))
            _check_time_rules(resource, start, end, moment)
            _check_person(resource, user, start, end, acting_manager=acting_manager)
            # Late, once: the resource row is the lock for its time ranges (on SQLite, the
            # IMMEDIATE transaction already serialises writers). Only that row: locking the
            # place too would serialise the bookings of all its resources.
            locked = (
                Resource.objects.select_for_update(of=("self",))
                .select_related("place")
                .get(pk=resource.pk)
            )
            _check_limits(locked, user, start, end, moment)
            _check_capacity(locked, start, end, units)
            status = (
                Booking.Status.PENDING
                if locked.requires_approval and not acting_manager
                else Booking.Status.CONFIRMED
            )
            booking = Booking.objects.create(
                resource=locked, user=user, start=start, end=end, units=units, status=status,
                exclusive=locked.is_exclusive, created_at=moment, note=note[:500],
                booked_by=actor, series=series,
            )  # fmt: skip
            if locked.credit_plan_id is not None:
                # after the resource lock: always resource, then credit plan
                credits.debit(booking=booking, actor=actor, overdraw=acting_manager)
            _log(
                booking,
                actor,
                BookingLog.Action.REQUESTED
                if status == Booking.Status.PENDING
                else BookingLog.Action.CREATED,
                at=moment,
            )
    except IntegrityError as exc:
        if "booking_exclusive_no_overlap" in str(exc):
            raise _error("taken", _("This time is already booked.")) from exc
        raise
    except OverflowError as exc:
        raise _error("invalid_range", _("These dates are out of range.")) from exc
    return booking


def _log(booking: Booking, actor: User | None, action: str, *, at: dt.datetime, detail: str = ""):
    BookingLog.objects.create(booking=booking, actor=actor, action=action, at=at, detail=detail)


def _notify(booking: Booking, event: str) -> None:
    transaction.on_commit(lambda: notifications.booking_event(booking.pk, event))


def booking_create(
    *,
    resource: Resource,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    units: int = 1,
    by: User | None = None,
    note: str = "",
) -> Booking:
    """Book `units` of `resource` for [start, end) for `user` (`by` is who acts: the person
    or a manager). Raises BookingError with a stable code when a rule refuses it."""
    with transaction.atomic():
        booking = _take(
            resource=resource, user=user, start=start, end=end, units=units,
            actor=by or user, note=note,
        )  # fmt: skip
        _notify(booking, "requested" if booking.status == Booking.Status.PENDING else "confirmed")
    return booking


@dataclass
class SeriesResult:
    series: BookingSeries | None
    booked: list[Booking] = field(default_factory=list)
    skipped: list[tuple[dt.datetime, dt.datetime, BookingError]] = field(default_factory=list)


class SeriesConflict(BookingError):
    def __init__(
        self, message: str | Promise, conflicts: list[tuple[dt.datetime, dt.datetime, BookingError]]
    ) -> None:
        super().__init__(message, code="series_conflict")
        self.conflicts = conflicts


def occurrences(
    resource: Resource, start: dt.datetime, end: dt.datetime, count: int, interval_weeks: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The same wall-clock time every `interval_weeks` weeks, on the place's clock (so that
    a weekly 9:00 booking stays at 9:00 across a daylight-saving change)."""
    tz = resource.tz
    local_start = start.astimezone(tz).replace(tzinfo=None)
    local_end = end.astimezone(tz).replace(tzinfo=None)
    result = []
    for index in range(count):
        shift = dt.timedelta(weeks=index * interval_weeks)
        result.append(
            (
                availability.aware(local_start + shift, tz),
                availability.aware(local_end + shift, tz),
            )
        )
    return result


def series_create(
    *,
    resource: Resource,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    count: int,
    interval_weeks: int = 1,
    units: int = 1,
    by: User | None = None,
    note: str = "",
    skip_conflicts: bool = True,
) -> SeriesResult:
    """Book the same time every `interval_weeks` weeks, `count` times, in one transaction.

    Each occurrence is taken under the same rules and lock as a single booking. The refused
    ones are skipped (and listed), or, with `skip_conflicts=False`, refuse the whole series."""
    actor = by or user
    if not 1 <= count <= 52:
        raise _error("invalid_range", _("A series has between 1 and 52 occurrences."))
    if not 1 <= interval_weeks <= 4:
        raise _error("invalid_range", _("A series repeats every 1 to 4 weeks."))
    start, end = _check_range(resource, start, end, units)
    try:
        times = occurrences(resource, start, end, count, interval_weeks)
    except OverflowError as exc:
        raise _error("invalid_range", _("These dates are out of range.")) from exc
    result = SeriesResult(series=None)
    with transaction.atomic():
        series = BookingSeries.objects.create(
            resource=resource, user=user, created_by=actor, first_start=start, first_end=end,
            interval_weeks=interval_weeks, count=count, created_at=now(),
        )  # fmt: skip
        for occurrence_start, occurrence_end in times:
            try:
                booking = _take(
                    resource=resource, user=user, start=occurrence_start, end=occurrence_end,
                    units=units, actor=actor, note=note, series=series,
                )  # fmt: skip
            except BookingError as exc:
                result.skipped.append((occurrence_start, occurrence_end, exc))
            else:
                result.booked.append(booking)
        if result.skipped and not skip_conflicts:
            raise SeriesConflict(
                ngettext(
                    "%(count)s occurrence cannot be booked; nothing was booked.",
                    "%(count)s occurrences cannot be booked; nothing was booked.",
                    len(result.skipped),
                )
                % {"count": len(result.skipped)},
                result.skipped,
            )
        if not result.booked:
            transaction.set_rollback(True)
            return SeriesResult(series=None, skipped=result.skipped)
        result.series = series
        first = result.booked[0]
        transaction.on_commit(lambda: notifications.series_event(series.pk, first.pk, "confirmed"))
    return result


def booking_cancel(*, booking: Booking, by: User) -> Booking:
    """Cancel a booking: its person until the resource's deadline, a manager at any time.
    A conditional UPDATE, so two cancellations at once (or a cancellation racing the
    deadline) change the row once."""
    with transaction.atomic():
        booking = _cancel(booking=booking, by=by)
        _notify(booking, "cancelled")
    return booking


def _cancel(*, booking: Booking, by: User) -> Booking:
    if booking.kind == Booking.Kind.EVENT:
        raise _error(
            "event_hold", _("An event holds this room: change or cancel the event instead.")
        )
    resource = Resource.objects.select_related("place").get(pk=booking.resource_id)
    manager = _may_manage(by, resource)
    if booking.user_id != by.pk and not manager:
        raise _error("not_allowed", _("You can only cancel your own bookings."))
    moment = now()
    with transaction.atomic():
        rows = Booking.objects.filter(pk=booking.pk, status__in=Booking.ACTIVE)
        if not manager:
            deadline = dt.timedelta(hours=resource.cancellation_deadline_hours)
            rows = rows.filter(start__gte=moment + deadline)
        if rows.update(status=Booking.Status.CANCELLED) == 0:
            current = Booking.objects.get(pk=booking.pk)
            if not current.is_active:
                raise _error("not_active", _("This booking is no longer active."))
            raise _error(
                "too_late",
                _("Bookings can be cancelled up to %(hours)s hours before they start.")
                % {"hours": resource.cancellation_deadline_hours},
            )
        credits.refund(booking=booking, actor=by)
        _log(booking, by, BookingLog.Action.CANCELLED, at=moment)
    booking.status = Booking.Status.CANCELLED
    return booking


def series_cancel(*, booking: Booking, by: User, following: bool) -> list[Booking]:
    """Cancel one occurrence of a series or, with `following`, it and every later active one.
    Occurrences past their cancellation deadline stay; an error only when none could go."""
    if booking.series_id is None or not following:
        return [booking_cancel(booking=booking, by=by)]
    targets = list(
        Booking.objects.filter(
            series_id=booking.series_id, start__gte=booking.start, status__in=Booking.ACTIVE
        ).order_by("start")
    )
    if booking.user_id != by.pk and not _may_manage(by, booking.resource):
        raise _error("not_allowed", _("You can only cancel your own bookings."))
    cancelled: list[Booking] = []
    first_error: BookingError | None = None
    with transaction.atomic():
        for target in targets:
            try:
                cancelled.append(_cancel(booking=target, by=by))
            except BookingError as exc:
                first_error = first_error or exc
        if not cancelled:
            raise first_error or _error("not_active", _("This booking is no longer active."))
        series_id, first_pk = booking.series_id, cancelled[0].pk
        transaction.on_commit(lambda: notifications.series_event(series_id, first_pk, "cancelled"))
    return cancelled


# Managers' actions ------------------------------------------------------------------------------


def _require_manager(by: User, resource: Resource) -> None:
    if not _may_manage(by, resource):
        raise _error("not_allowed", _("Only the place's managers can do this."))


def booking_approve(*, booking: Booking, by: User) -> Booking:
    _require_manager(by, booking.resource)
    moment = now()
    with transaction.atomic():
        rows = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING)
        if rows.update(status=Booking.Status.CONFIRMED) == 0:
            raise _error("not_active", _("This booking is not waiting for approval."))
        _log(booking, by, BookingLog.Action.APPROVED, at=moment)
        booking.status = Booking.Status.CONFIRMED
        _notify(booking, "approved")
    return booking


def booking_decline(*, booking: Booking, by: User, reason: str = "") -> Booking:
    _require_manager(by, booking.resource)
    moment = now()
    reason = reason.strip()[:500]
    with transaction.atomic():
        rows = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING)
        if rows.update(status=Booking.Status.DECLINED, decision_reason=reason) == 0:
            raise _error("not_active", _("This booking is not waiting for approval."))
        credits.refund(booking=booking, actor=by)
        _log(booking, by, BookingLog.Action.DECLINED, at=moment, detail=reason)
        booking.status, booking.decision_reason = Booking.Status.DECLINED, reason
        _notify(booking, "declined")
    return booking


ATTENDANCE_ACTIONS = {
    Booking.Attendance.PRESENT: BookingLog.Action.PRESENT,
    Booking.Attendance.NO_SHOW: BookingLog.Action.NO_SHOW,
    Booking.Attendance.UNKNOWN: BookingLog.Action.ATTENDANCE_CLEARED,
}


def booking_set_attendance(*, booking: Booking, by: User, attendance: str) -> Booking:
    """Mark that the person came (check-in) or did not (no-show); managers and concierges,
    from the start of the booking."""
    from tiers.bookings.permissions import can_see_day_list

    if not can_see_day_list(by, booking.resource.place):
        raise _error("not_allowed", _("Only the place's managers and concierges can do this."))
    if attendance not in ATTENDANCE_ACTIONS:
        raise _error("invalid", _("Unknown attendance."))
    moment = now()
    if booking.status != Booking.Status.CONFIRMED or booking.kind != Booking.Kind.BOOKING:
        raise _error("not_active", _("Only confirmed bookings can be marked."))
    if moment < booking.start:
        raise _error("too_soon", _("Attendance can be marked once the booking has started."))
    checked_in_at = moment if attendance == Booking.Attendance.PRESENT else None
    with transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(
            attendance=attendance, checked_in_at=checked_in_at
        )
        _log(booking, by, ATTENDANCE_ACTIONS[Booking.Attendance(attendance)], at=moment)
    booking.attendance, booking.checked_in_at = attendance, checked_in_at
    return booking


def block_create(
    *, resource: Resource, by: User, start: dt.datetime, end: dt.datetime, reason: str
) -> Booking:
    """Block a time range of a resource (maintenance, a private event): a booking of the
    whole capacity, taken under the same lock, refused while bookings overlap it."""
    return _hold(
        resource=resource, by=by, start=start, end=end, note=reason, kind=Booking.Kind.BLOCK
    )


def event_hold(
    *, resource: Resource, by: User, start: dt.datetime, end: dt.datetime, title: str
) -> Booking:
    """Hold a room for an event (or a session of its programme): like a block, so the room
    is never given twice, and shown as the event on the place's grids."""
    return _hold(
        resource=resource, by=by, start=start, end=end, note=title, kind=Booking.Kind.EVENT
    )


def hold_move(
    *, hold: Booking, by: User, start: dt.datetime, end: dt.datetime, note: str
) -> Booking:
    """Move a block or an event's hold to a new range of the same resource, in one
    transaction: the old range is released only if the new one can be taken."""
    with transaction.atomic():
        hold = Booking.objects.select_for_update().get(pk=hold.pk)
        if hold.kind == Booking.Kind.BOOKING or not hold.is_active:
            raise _error("not_active", _("This booking is no longer active."))
        resource = Resource.objects.select_related("place").get(pk=hold.resource_id)
        moved = _hold(
            resource=resource, by=by, start=start, end=end, note=note, kind=hold.kind,
            ignore=hold.pk,
        )  # fmt: skip
        _log(hold, by, BookingLog.Action.CANCELLED, at=now())
    return moved


def hold_release(*, hold: Booking, by: User) -> None:
    """Give a block's or an event's range back (the event is cancelled, moved elsewhere...)."""
    with transaction.atomic():
        if Booking.objects.filter(pk=hold.pk, status__in=Booking.ACTIVE).update(
            status=Booking.Status.CANCELLED
        ):
            _log(hold, by, BookingLog.Action.CANCELLED, at=now())


def _hold(
    *,
    resource: Resource,
    by: User,
    start: dt.datetime,
    end: dt.datetime,
    note: str,
    kind: str,
    ignore: int | None = None,
) -> Booking:
    _require_manager(by, resource)
    start, end = _check_range(resource, start, end, resource.capacity)
    moment = now()
    if end <= moment:
        raise _error("too_soon", _("This time range is already over."))
    try:
        with transaction.atomic():
            locked = Resource.objects.select_for_update(of=("self",)).get(pk=resource.pk)
            rows = Booking.objects.overlapping(start, end).filter(
                resource=locked, status__in=Booking.ACTIVE
            )
            overlapping = (rows.exclude(pk=ignore) if ignore is not None else rows).count()
            if overlapping:
                raise _error(
                    "taken",
                    ngettext(
                        "%(count)s booking overlaps this range; cancel it first.",
                        "%(count)s bookings overlap this range; cancel them first.",
                        overlapping,
                    )
                    % {"count": overlapping},
                )
            if ignore is not None:
                # release the old range first, so that PostgreSQL's exclusion constraint,
                # checked row by row, sees no overlap (the transaction keeps it all-or-nothing)
                Booking.objects.filter(pk=ignore).update(status=Booking.Status.CANCELLED)
            booking = Booking.objects.create(
                resource=locked, user=by, start=start, end=end, units=locked.capacity,
                kind=kind, exclusive=locked.is_exclusive, created_at=moment,
                note=note.strip()[:500], booked_by=by,
            )  # fmt: skip
            _log(booking, by, BookingLog.Action.BLOCKED, at=moment, detail=booking.note)
    except IntegrityError as exc:
        if "booking_exclusive_no_overlap" in str(exc):
            raise _error("taken", _("This time is already booked.")) from exc
        raise
    except OverflowError as exc:
        raise _error("invalid_range", _("These dates are out of range.")) from exc
    return booking


# Private calendar address -----------------------------------------------------------------------


def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """Create the person's private calendar address, or replace it (the old one stops)."""
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32), "created_at": now()}
    )
    return feed


def calendar_feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()
