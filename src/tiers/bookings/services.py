"""Booking a resource and cancelling: the rules, and "never booked twice".

A time range is taken inside one transaction that validates the request, locks the resource
row, re-checks capacity and the per-person limits against the real rows, then writes
(DESIGN.md §4). On PostgreSQL an exclusion constraint backs exclusive resources up.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.bookings import availability
from tiers.bookings.models import (
    PUBLIC,
    Booking,
    BookingLog,
    QualificationGrant,
    Resource,
)
from tiers.core.errors import DomainError
from tiers.places.models import Membership
from tiers.places.permissions import is_manager


class BookingError(DomainError):
    code = "booking"


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


def _check_person(resource: Resource, user: User, start: dt.datetime, end: dt.datetime) -> None:
    if not user.is_active:
        raise _error("not_allowed", _("This account cannot book."))
    membership = Membership.objects.filter(
        place_id=resource.place_id, user=user, state=Membership.State.ACTIVE
    ).first()
    allowed = set(resource.allowed_statuses or [])
    if membership is None:
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
        for s, e in mine.filter(start__lt=week_end, end__gt=week_start).values_list("start", "end"):
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
        Booking.objects.filter(
            resource=resource,
            status__in=Booking.ACTIVE,
            start__lt=end + buffer,
            end__gt=start - buffer,
        ).values_list("start", "end", "units")
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


def booking_create(
    *,
    resource: Resource,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    units: int = 1,
    by: User | None = None,
) -> Booking:
    """Book `units` of `resource` for [start, end) for `user` (`by` is who acts: the person
    or a manager). Raises BookingError with a stable code when a rule refuses it."""
    actor = by or user
    start, end = _check_range(resource, start, end, units)
    moment = now()
    try:
        with transaction.atomic():
            _check_time_rules(resource, start, end, moment)
            _check_person(resource, user, start, end)
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
                Booking.Status.PENDING if locked.requires_approval else Booking.Status.CONFIRMED
            )
            booking = Booking.objects.create(
                resource=locked, user=user, start=start, end=end, units=units,
                status=status, exclusive=locked.is_exclusive, created_at=moment,
            )  # fmt: skip
            # Side effects (confirmation e-mails...) will be registered here with
            # transaction.on_commit, never run inside a transaction that may roll back.
            BookingLog.objects.create(
                booking=booking,
                actor=actor,
                action=BookingLog.Action.REQUESTED
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


def booking_cancel(*, booking: Booking, by: User) -> Booking:
    """Cancel a booking: its person until the resource's deadline, a manager at any time.
    A conditional UPDATE, so two cancellations at once (or a cancellation racing the
    deadline) change the row once."""
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
        BookingLog.objects.create(
            booking=booking, actor=by, action=BookingLog.Action.CANCELLED, at=moment
        )
    booking.status = Booking.Status.CANCELLED
    return booking
