"""Events: creating, changing and cancelling them (with the room they hold), their series
and their programme.

A room is held through the bookings app (`event_hold`), under the resource's lock, so an
event never takes a room already booked, and a booking never takes a room an event holds.
E-mails go out on commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tiers.accounts.models import User
from tiers.bookings import services as booking_services
from tiers.bookings.availability import aware
from tiers.bookings.errors import BookingError
from tiers.bookings.models import Booking
from tiers.events import festivals, notifications, registrations
from tiers.events.errors import EventError
from tiers.events.models import (
    MAX_EVENT_SPAN,
    Event,
    EventSeries,
    Session,
    Tag,
)
from tiers.events.permissions import can_edit_event, can_organise_at
from tiers.places.permissions import can_edit_network

# an e-mail-only registration not confirmed within this time is dropped
UNCONFIRMED_LIFETIME = dt.timedelta(hours=48)
MAX_OCCURRENCES = 52


def _error(code: str, message: str | Promise) -> EventError:
    return EventError(message, code=code)


# Events -----------------------------------------------------------------------------------------


def _check_times(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _error("invalid_range", _("Give the start and end with their time zone."))
    try:
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    except OverflowError as exc:
        raise _error("invalid_range", _("These dates are out of range.")) from exc
    if end <= start:
        raise _error("invalid_range", _("The end must be after the start."))
    if end - start > MAX_EVENT_SPAN:
        raise _error(
            "invalid_range",
            _("An event lasts at most %(days)s days.") % {"days": MAX_EVENT_SPAN.days},
        )
    return start, end


def _check_event(event: Event) -> None:
    """The rules that hold for any event, before it is saved."""
    event.title = event.title.strip()
    if not event.title:
        raise _error("invalid", _("Give the event a title."))
    event.start, event.end = _check_times(event.start, event.end)
    if event.place_id is None and event.network_id is None:
        raise _error("invalid", _("An event belongs to a place or to a network."))
    if event.place is not None:
        event.time_zone = event.place.time_zone
    if event.capacity is not None and event.capacity < 1:
        raise _error("invalid_capacity", _("The number of seats must be at least 1."))
    opens, closes = event.registration_opens_at, event.registration_closes_at
    if opens and closes and closes <= opens:
        raise _error("invalid_range", _("Registration must close after it opens."))
    if closes and closes > event.end:
        raise _error("invalid_range", _("Registration must close before the event ends."))
    if event.price_mode in (Event.PriceMode.SUGGESTED, Event.PriceMode.FIXED):
        if event.price_amount is None:
            raise _error("invalid", _("Give the price."))
    else:
        event.price_amount = None
    if event.room_id is not None:
        room = event.room
        if room is None or event.place_id is None or room.place_id != event.place_id:
            raise _error("invalid_room", _("Choose a room of the event's place."))
    _check_questions(event.questions)
    if event.status != Event.Status.CANCELLED:
        event.cancel_reason = ""


def _check_questions(questions: Any) -> None:
    if not isinstance(questions, list) or len(questions) > 10:
        raise _error("invalid", _("Ask at most 10 questions."))
    for question in questions:
        if (
            not isinstance(question, dict)
            or not isinstance(question.get("label"), str)
            or not question["label"].strip()
            or len(question["label"]) > 200
            or not isinstance(question.get("required", False), bool)
        ):
            raise _error("invalid", _("Each question needs a text of at most 200 characters."))


def _slug_for(event: Event) -> str:
    base = slugify(f"{event.title[:60]} {event.local_start:%Y-%m-%d}").strip("-") or "evenement"
    slug, n = base, 2
    while Event.objects.filter(slug=slug).exclude(pk=event.pk).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _may_organise(by: User, event: Event) -> bool:
    if by.is_superuser:
        return True
    if event.network_id is not None:
        return can_edit_network(by, event.network)  # type: ignore[arg-type]
    return event.place is not None and can_organise_at(by, event.place)


def _hold_room(event: Event, by: User, previous: Booking | None) -> Booking | None:
    """Take (or move, or release) the booking that holds the event's room."""
    if event.room_id is None or event.status == Event.Status.CANCELLED:
        if previous is not None:
            booking_services.hold_release(hold=previous, by=by)
        return None
    assert event.room is not None
    try:
        if previous is not None and previous.is_active and previous.resource_id == event.room_id:
            if previous.start == event.start and previous.end == event.end:
                return previous
            return booking_services.hold_move(
                hold=previous, by=by, start=event.start, end=event.end, note=event.title
            )
        if previous is not None:
            booking_services.hold_release(hold=previous, by=by)
        return booking_services.event_hold(
            resource=event.room, by=by, start=event.start, end=event.end, title=event.title
        )
    except BookingError as exc:
        raise EventError(
            _("%(room)s is not free at that time: %(reason)s")
            % {"room": event.room.name, "reason": exc.message},
            code="room_taken",
        ) from exc


def set_tags(event: Event, names: Iterable[str]) -> None:
    tags = []
    for name in names:
        name = " ".join(str(name).split())[:60]
        slug = slugify(name)[:60]
        if slug:
            tags.append(Tag(slug=slug, name=name))
    Tag.objects.bulk_create(tags, ignore_conflicts=True)
    event.tags.set(Tag.objects.filter(slug__in=[tag.slug for tag in tags][:20]))


def event_create(*, event: Event, by: User, tags: Iterable[str] = ()) -> Event:
    """Save a new event (built by a form or the API, not saved yet), holding its room."""
    if not _may_organise(by, event):
        raise _error("not_allowed", _("You cannot organise events here."))
    _check_event(event)
    with transaction.atomic():
        event.created_by = by
        event.slug = _slug_for(event)
        event.room_hold = _hold_room(event, by, None)
        event.save()
        set_tags(event, tags)
        if event.festival_id is not None:
            festivals.join(event, event.festival)  # type: ignore[arg-type]
    return event


def event_update(
    *, event: Event, by: User, tags: Iterable[str] | None = None, previous: Event | None = None
) -> Event:
    """Save the changes made to `event` (an instance already changed by a form or the API).
    `previous` is the event as stored, to tell what changed; it is read when not given."""
    if not can_edit_event(by, event):
        raise _error("not_allowed", _("You cannot change this event."))
    previous = previous or Event.objects.get(pk=event.pk)
    if previous.status == Event.Status.CANCELLED and event.status != Event.Status.CANCELLED:
        raise _error("cancelled", _("This event is cancelled; create a new one."))
    _check_event(event)
    with transaction.atomic():
        hold = (
            Booking.objects.filter(pk=previous.room_hold_id).first()
            if previous.room_hold_id
            else None
        )
        event.room_hold = _hold_room(event, by, hold)
        moved = previous.start != event.start or previous.end != event.end
        if moved:
            _check_sessions_inside(event)
            event.reminder_sent_at = None
        event.save()
        if tags is not None:
            set_tags(event, tags)
        if event.festival_id != previous.festival_id:
            if event.festival_id is None:
                event.festival_state = Event.FestivalState.NONE
                Event.objects.filter(pk=event.pk).update(
                    festival_state="", updated_at=timezone.now()
                )
            else:
                festivals.join(event, event.festival)  # type: ignore[arg-type]
        if event.capacity != previous.capacity:
            registrations.offer_free_seats(Event.objects.select_for_update().get(pk=event.pk))
        if moved and event.status == Event.Status.PUBLISHED:
            transaction.on_commit(lambda: notifications.event_changed(event.pk))
    return event


def _check_sessions_inside(event: Event) -> None:
    outside = event.sessions.filter(Q(start__lt=event.start) | Q(end__gt=event.end)).count()
    if outside:
        raise _error(
            "session_outside",
            ngettext(
                "%(count)s session of the programme would fall outside the event; move it first.",
                "%(count)s sessions of the programme would fall outside the event; "
                "move them first.",
                outside,
            )
            % {"count": outside},
        )


def event_publish(*, event: Event, by: User) -> Event:
    if not can_edit_event(by, event):
        raise _error("not_allowed", _("You cannot change this event."))
    if event.status != Event.Status.DRAFT:
        raise _error("not_draft", _("Only a draft can be published."))
    Event.objects.filter(pk=event.pk).update(
        status=Event.Status.PUBLISHED, updated_at=timezone.now()
    )
    event.status = Event.Status.PUBLISHED
    return event


def event_cancel(*, event: Event, by: User, reason: str) -> Event:
    """Cancel the event: its rooms are given back, every registrant is told the reason.
    The event stays visible, marked as cancelled."""
    if not can_edit_event(by, event):
        raise _error("not_allowed", _("You cannot change this event."))
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise _error("invalid", _("Say why the event is cancelled: registrants are told."))
    with transaction.atomic():
        changed = Event.objects.filter(pk=event.pk).exclude(status=Event.Status.CANCELLED)
        # `updated_at` moves too: feeds and calendars tell their readers the event changed
        if not changed.update(
            status=Event.Status.CANCELLED, cancel_reason=reason, updated_at=timezone.now()
        ):
            raise _error("cancelled", _("This event is already cancelled."))
        holds = Booking.objects.filter(
            Q(event__pk=event.pk) | Q(session__event_id=event.pk), status__in=Booking.ACTIVE
        )
        for hold in holds:
            booking_services.hold_release(hold=hold, by=by)
        was_published = event.status == Event.Status.PUBLISHED
        event.status, event.cancel_reason = Event.Status.CANCELLED, reason
        if was_published:
            transaction.on_commit(lambda: notifications.event_cancelled(event.pk))
    return event


# Series -----------------------------------------------------------------------------------------


@dataclass
class SeriesResult:
    series: EventSeries | None
    created: list[Event] = field(default_factory=list)
    skipped: list[tuple[dt.datetime, EventError]] = field(default_factory=list)


def occurrence_times(
    event: Event, frequency: str, count: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The same wall-clock time every week, or on the same weekday of the month (the 2nd
    Tuesday...; a 5th weekday that a month lacks is skipped), on the event's clock."""
    tz = event.tz
    local_start = event.start.astimezone(tz).replace(tzinfo=None)
    duration = event.end - event.start
    result: list[tuple[dt.datetime, dt.datetime]] = []
    if frequency == EventSeries.Frequency.WEEKLY:
        for index in range(count):
            start = aware(local_start + dt.timedelta(weeks=index), tz)
            result.append((start, start + duration))
        return result
    nth = (local_start.day - 1) // 7
    year, month = local_start.year, local_start.month
    while len(result) < count:
        first = dt.date(year, month, 1)
        offset = (local_start.weekday() - first.weekday()) % 7
        day = 1 + offset + 7 * nth
        try:
            date = dt.date(year, month, day)
        except ValueError:
            date = None
        if date is not None:
            start = aware(dt.datetime.combine(date, local_start.time()), tz)
            result.append((start, start + duration))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return result


def series_create(
    *,
    event: Event,
    by: User,
    frequency: str,
    count: int,
    tags: Iterable[str] = (),
    skip_conflicts: bool = False,
) -> SeriesResult:
    """Create `count` occurrences of `event` (not saved yet), each holding its room. An
    occurrence whose room is taken is skipped and listed, or refuses the whole series."""
    if frequency not in EventSeries.Frequency.values:
        raise _error("invalid", _("Choose how often the event repeats."))
    if not 2 <= count <= MAX_OCCURRENCES:
        raise _error(
            "invalid",
            _("A series has between 2 and %(max)s occurrences.") % {"max": MAX_OCCURRENCES},
        )
    if not _may_organise(by, event):
        raise _error("not_allowed", _("You cannot organise events here."))
    _check_event(event)
    tags = list(tags)
    try:
        times = occurrence_times(event, frequency, count)
    except OverflowError as exc:
        raise _error("invalid_range", _("These dates are out of range.")) from exc
    result = SeriesResult(series=None)
    with transaction.atomic():
        series = EventSeries.objects.create(frequency=frequency, created_by=by)
        for start, end in times:
            occurrence = _copy(event)
            occurrence.start, occurrence.end, occurrence.series = start, end, series
            _shift_registration_dates(occurrence, event)
            try:
                with transaction.atomic():
                    result.created.append(event_create(event=occurrence, by=by, tags=tags))
            except EventError as exc:
                result.skipped.append((start, exc))
        if result.skipped and not skip_conflicts:
            raise SeriesError(
                ngettext(
                    "%(count)s date cannot be used; nothing was created.",
                    "%(count)s dates cannot be used; nothing was created.",
                    len(result.skipped),
                )
                % {"count": len(result.skipped)},
                result.skipped,
            )
        if not result.created:
            transaction.set_rollback(True)
            return SeriesResult(series=None, skipped=result.skipped)
        result.series = series
    return result


class SeriesError(EventError):
    def __init__(self, message: str | Promise, conflicts: list[tuple[dt.datetime, EventError]]):
        super().__init__(message, code="series_conflict")
        self.conflicts = conflicts


# the fields copied from one occurrence to the others ("edit all")
SHARED_FIELDS = [
    "title", "kind", "summary", "description", "image", "image_alt", "audience",
    "accessibility", "price_mode", "price_amount", "online_url", "location", "room",
    "registration_open", "capacity", "max_seats_per_registration", "waitlist_enabled",
    "offer_hours", "questions", "rides_enabled",
]  # fmt: skip


def _copy(event: Event) -> Event:
    copy = Event(
        place=event.place, network=event.network, status=event.status,
        time_zone=event.time_zone, festival=event.festival,
    )  # fmt: skip
    for name in SHARED_FIELDS:
        setattr(copy, name, getattr(event, name))
    copy.registration_opens_at = event.registration_opens_at
    copy.registration_closes_at = event.registration_closes_at
    return copy


def _shift_registration_dates(occurrence: Event, model: Event) -> None:
    shift = occurrence.start - model.start
    if model.registration_opens_at:
        occurrence.registration_opens_at = model.registration_opens_at + shift
    if model.registration_closes_at:
        occurrence.registration_closes_at = model.registration_closes_at + shift


def series_update(
    *, event: Event, by: User, tags: Iterable[str] | None = None, following: bool = True
) -> list[Event]:
    """Apply `event`'s shared fields (and the shift of its times of day) to it and to the
    following occurrences of its series (or all of them with `following=False`), in one
    transaction: if one room is taken, nothing changes."""
    if event.series_id is None:
        return [event_update(event=event, by=by, tags=tags)]
    previous = Event.objects.get(pk=event.pk)
    shift = event.start - previous.start
    duration = event.end - event.start
    others = Event.objects.filter(series_id=event.series_id).exclude(pk=event.pk)
    others = others.exclude(status=Event.Status.CANCELLED).select_related("room", "place")
    if following:
        others = others.filter(start__gt=previous.start)
    changed = []
    with transaction.atomic():
        changed.append(event_update(event=event, by=by, tags=tags, previous=previous))
        for other in others:
            before = Event.objects.get(pk=other.pk)
            for name in SHARED_FIELDS:
                setattr(other, name, getattr(event, name))
            if abs(shift) < dt.timedelta(days=1):
                # a change of time of day applies to every occurrence, not a change of date
                other.start = other.start + shift
            other.end = other.start + duration
            try:
                changed.append(event_update(event=other, by=by, tags=tags, previous=before))
            except EventError as exc:
                raise EventError(
                    _("%(date)s: %(reason)s")
                    % {"date": f"{other.local_start:%d/%m/%Y}", "reason": exc.message},
                    code=exc.code,
                ) from exc
    return changed


def series_cancel(*, event: Event, by: User, reason: str, following: bool = True) -> int:
    """Cancel this occurrence and the following ones (or all); returns how many."""
    events = [event]
    if event.series_id is not None:
        others = Event.objects.filter(series_id=event.series_id).exclude(pk=event.pk)
        others = others.exclude(status=Event.Status.CANCELLED)
        if following:
            others = others.filter(start__gt=event.start)
        events += list(others)
    with transaction.atomic():
        for each in events:
            event_cancel(event=each, by=by, reason=reason)
    return len(events)


# Programme --------------------------------------------------------------------------------------


def session_save(*, session: Session, by: User) -> Session:
    """Create or change a session of the programme: inside its event's times, in a room of
    the event's place, which it holds unless it is the event's own room."""
    event = session.event
    if not can_edit_event(by, event):
        raise _error("not_allowed", _("You cannot change this event."))
    session.title = session.title.strip()
    if not session.title:
        raise _error("invalid", _("Give the session a title."))
    session.start, session.end = _check_times(session.start, session.end)
    if session.start < event.start or session.end > event.end:
        raise _error(
            "session_outside",
            _("A session takes place within its event (%(start)s to %(end)s).")
            % {
                "start": f"{event.local_start:%d/%m/%Y %H:%M}",
                "end": f"{event.local_end:%d/%m/%Y %H:%M}",
            },
        )
    if session.capacity is not None and session.capacity < 1:
        raise _error("invalid_capacity", _("The number of seats must be at least 1."))
    if session.room_id is not None:
        room = session.room
        if room is None or room.place_id != event.place_id:
            raise _error("invalid_room", _("Choose a room of the event's place."))
    with transaction.atomic():
        previous = (
            Booking.objects.filter(pk=session.room_hold_id).first()
            if session.room_hold_id
            else None
        )
        needs_hold = (
            session.room_id is not None
            and session.room_id != event.room_id
            and event.status != Event.Status.CANCELLED
        )
        if not needs_hold:
            if previous is not None:
                booking_services.hold_release(hold=previous, by=by)
            session.room_hold = None
        else:
            assert session.room is not None
            try:
                if previous and previous.is_active and previous.resource_id == session.room_id:
                    if (previous.start, previous.end) != (session.start, session.end):
                        session.room_hold = booking_services.hold_move(
                            hold=previous, by=by, start=session.start, end=session.end,
                            note=f"{event.title} — {session.title}",
                        )  # fmt: skip
                else:
                    if previous is not None:
                        booking_services.hold_release(hold=previous, by=by)
                    session.room_hold = booking_services.event_hold(
                        resource=session.room, by=by, start=session.start, end=session.end,
                        title=f"{event.title} — {session.title}",
                    )  # fmt: skip
            except BookingError as exc:
                raise EventError(
                    _("%(room)s is not free at that time: %(reason)s")
                    % {"room": session.room.name, "reason": exc.message},
                    code="room_taken",
                ) from exc
        session.save()
    return session


def session_delete(*, session: Session, by: User) -> None:
    if not can_edit_event(by, session.event):
        raise _error("not_allowed", _("You cannot change this event."))
    with transaction.atomic():
        if session.room_hold_id:
            hold = Booking.objects.get(pk=session.room_hold_id)
            booking_services.hold_release(hold=hold, by=by)
        session.delete()
