"""Registrations: with an account, added by an organiser, or with only an e-mail confirmed
through a link; the waiting list and its offers; check-in, messages and reminders.

Seats are taken inside one transaction that locks the event row, re-counts the seats held
from the real registrations, then writes (DESIGN.md §4): 50 people registering at the same
instant for 10 seats get exactly 10 seats, the others queue in arrival order. E-mails go
out on commit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.events import clock, notifications, rides
from tiers.events.errors import EventError
from tiers.events.models import (
    Event,
    Registration,
    Session,
    SessionSignup,
)
from tiers.events.permissions import can_edit_event

# an e-mail-only registration not confirmed within this time is dropped
UNCONFIRMED_LIFETIME = dt.timedelta(hours=48)
MAX_OCCURRENCES = 52


def _error(code: str, message: str | Promise) -> EventError:
    return EventError(message, code=code)


# Registrations ----------------------------------------------------------------------------------


def seats_taken(event: Event) -> int:
    """Seats held by confirmed registrations and by seats offered from the waiting list."""
    total = Registration.objects.filter(event=event, status__in=Registration.HOLDS_SEATS).aggregate(
        seats=Sum("seats")
    )["seats"]
    return int(total or 0)


def seats_left(event: Event) -> int | None:
    if event.capacity is None:
        return None
    return max(0, event.capacity - seats_taken(event))


def refusal(event: Event, moment: dt.datetime | None = None) -> str | None:
    """Why a visitor cannot register now (closed, not open yet, full without a waiting
    list...), or None when they can. Reads only: the registration itself checks again under
    the event's lock."""
    moment = moment or clock.now()
    try:
        _check_open(event, moment, organiser=False)
    except EventError as exc:
        return str(exc.message)
    left = seats_left(event)
    if left is not None and left <= 0 and not event.waitlist_enabled:
        return str(_("This event is full."))
    return None


def waitlist_position(registration: Registration) -> int | None:
    """1 for the head of the waiting list; None when not waiting."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = (
        Registration.objects.filter(
            event_id=registration.event_id, status=Registration.Status.WAITLISTED
        )
        .filter(
            Q(queued_at__lt=registration.queued_at)
            | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


def session_seats_taken(session: Session) -> int:
    return int(
        SessionSignup.objects.filter(
            session=session, registration__status=Registration.Status.CONFIRMED
        ).aggregate(seats=Sum("registration__seats"))["seats"]
        or 0
    )


def _clean_answers(
    event: Event, answers: dict[str, str] | None, *, required: bool = True
) -> dict[str, str]:
    """Answers keyed by the question's text; required questions must be answered (except
    when an organiser adds someone)."""
    answers = answers or {}
    cleaned: dict[str, str] = {}
    for question in event.questions or []:
        label = question["label"]
        value = " ".join(str(answers.get(label, "")).split())[:500]
        if required and question.get("required") and not value:
            raise _error("invalid_answers", _("Please answer: %(question)s") % {"question": label})
        if value:
            cleaned[label] = value
    return cleaned


def _check_open(event: Event, moment: dt.datetime, *, organiser: bool) -> None:
    if event.status == Event.Status.CANCELLED:
        raise _error("cancelled", _("This event is cancelled."))
    if event.status != Event.Status.PUBLISHED:
        raise _error("not_published", _("This event is not published."))
    if not event.registration_open:
        raise _error("no_registration", _("No registration is needed: just come."))
    if organiser:
        if moment >= event.end:
            raise _error("closed", _("This event is over."))
        return
    if event.registration_opens_at and moment < event.registration_opens_at:
        raise _error(
            "not_open_yet",
            _("Registration opens on %(date)s.")
            % {"date": f"{event.registration_opens_at.astimezone(event.tz):%d/%m/%Y %H:%M}"},
        )
    if moment >= event.closes_at:
        raise _error("closed", _("Registration is closed."))


def _place_or_queue(event: Event, seats: int, *, organiser: bool = False) -> str:
    """Inside the event's lock: CONFIRMED if the seats are free, else WAITLISTED (or full)."""
    if event.capacity is None:
        return Registration.Status.CONFIRMED
    if seats_taken(event) + seats <= event.capacity:
        return Registration.Status.CONFIRMED
    if event.waitlist_enabled and not organiser:
        return Registration.Status.WAITLISTED
    raise _error(
        "full",
        _("This event is full.")
        if not organiser
        else _("This event is full: add seats to the event first."),
    )


def register(
    *,
    event: Event,
    name: str,
    email: str,
    seats: int = 1,
    answers: dict[str, str] | None = None,
    user: User | None = None,
    language: str = "fr",
    added_by: User | None = None,
) -> Registration:
    """Register someone: with an account (`user`), added by an organiser (`added_by`), or
    with only an e-mail, which must then be confirmed through the link sent to it before
    it takes a seat or a place in the queue."""
    organiser = added_by is not None and can_edit_event(added_by, event)
    if added_by is not None and not organiser:
        raise _error("not_allowed", _("Only the organisers can add someone."))
    name = " ".join(name.split())[:150]
    email = email.strip().lower()
    if user is not None and not organiser:
        email = user.email.lower()
        name = name or user.display_name
    if not name:
        raise _error("invalid", _("Give a name."))
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _error("invalid_email", _("Give a valid e-mail address.")) from exc
    if not 1 <= seats <= event.max_seats_per_registration:
        raise _error(
            "invalid_seats",
            _("A registration has between 1 and %(max)s places.")
            % {"max": event.max_seats_per_registration},
        )
    cleaned = _clean_answers(event, answers, required=not organiser)
    try:
        with transaction.atomic():
            locked = Event.objects.select_for_update().get(pk=event.pk)
            # the time is read under the lock: queue order is the order of arrival
            moment = clock.now()
            _check_open(locked, moment, organiser=organiser)
            if Registration.objects.filter(
                event=locked, email=email, status__in=Registration.ACTIVE
            ).exists():
                raise _duplicate()
            status: str
            if user is None and not organiser:
                if not locked.waitlist_enabled:
                    # no waiting list: refuse now rather than after the e-mail's link
                    _place_or_queue(locked, seats)
                status = Registration.Status.UNCONFIRMED
            else:
                status = _place_or_queue(locked, seats, organiser=organiser)
            registration = Registration.objects.create(
                event=locked, user=user, name=name, email=email, seats=seats, answers=cleaned,
                status=status, language=language[:10], queued_at=moment, created_at=moment,
                confirmed_at=moment if status == Registration.Status.CONFIRMED else None,
                added_by=added_by if organiser else None,
            )  # fmt: skip
            _notify(registration, _first_email(status))
    except IntegrityError as exc:
        if "registration_one_per_email" in str(exc) or "UNIQUE" in str(exc).upper():
            raise _duplicate() from exc
        raise
    return registration


def _duplicate() -> EventError:
    return _error(
        "duplicate",
        _("This e-mail address is already registered for this event; see the e-mail we sent."),
    )


def _first_email(status: str) -> str:
    emails: dict[str, str] = {
        Registration.Status.UNCONFIRMED: "confirm_email",
        Registration.Status.CONFIRMED: "confirmed",
        Registration.Status.WAITLISTED: "waitlisted",
    }
    return emails[status]


def _notify(registration: Registration, what: str) -> None:
    transaction.on_commit(lambda: notifications.registration_event(registration.pk, what))


def confirm_email(*, registration: Registration) -> Registration:
    """The link of an e-mail-only registration was followed: it now takes a seat, or a
    place in the queue, in the order of confirmation."""
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=registration.event_id)
        moment = clock.now()
        current = Registration.objects.get(pk=registration.pk)
        if current.status != Registration.Status.UNCONFIRMED:
            return current
        if moment >= current.created_at + UNCONFIRMED_LIFETIME:
            raise _error("expired", _("This link has expired; please register again."))
        _check_open(locked, moment, organiser=False)
        status = _place_or_queue(locked, current.seats)
        current.status, current.queued_at = status, moment
        if status == Registration.Status.CONFIRMED:
            current.confirmed_at = moment
        current.save(update_fields=["status", "queued_at", "confirmed_at"])
        _notify(current, _first_email(status))
    return current


def registration_cancel(
    *, registration: Registration, by: User | None = None, notify: bool = True
) -> Registration:
    """Cancel a registration (its registrant, through their account or the e-mail's link,
    which the caller checked; or an organiser): the freed seats go to the waiting list."""
    if (
        by is not None
        and registration.user_id != by.pk
        and not can_edit_event(by, registration.event)
    ):
        raise _error("not_allowed", _("You can only cancel your own registration."))
    moment = clock.now()
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=registration.event_id)
        if locked.end <= moment:
            raise _error("closed", _("This event is over."))
        rows = Registration.objects.filter(pk=registration.pk, status__in=Registration.ACTIVE)
        if not rows.update(status=Registration.Status.CANCELLED, cancelled_at=moment):
            raise _error("not_active", _("This registration is already cancelled."))
        SessionSignup.objects.filter(registration_id=registration.pk).delete()
        registration.status, registration.cancelled_at = Registration.Status.CANCELLED, moment
        rides.registration_cancelled(registration)
        if notify:
            _notify(registration, "cancelled")
        offer_free_seats(locked)
    return registration


def offer_free_seats(event: Event) -> list[Registration]:
    """Inside the event's lock: offer the free seats to the waiting list, in queue order;
    someone who needs more seats than are free keeps their place and the next who fits is
    offered. An offer holds the seats until it is accepted or expires."""
    if event.capacity is None and not event.waitlist_enabled:
        return []
    moment = clock.now()
    if event.status != Event.Status.PUBLISHED or event.end <= moment:
        return []
    free = None if event.capacity is None else event.capacity - seats_taken(event)
    offered = []
    expires = min(moment + dt.timedelta(hours=event.offer_hours), event.start)
    if expires <= moment:
        expires = event.end
    for waiting in Registration.objects.filter(
        event=event, status=Registration.Status.WAITLISTED
    ).order_by("queued_at", "pk"):
        if free is not None and waiting.seats > free:
            if free <= 0:
                break
            continue
        Registration.objects.filter(pk=waiting.pk).update(
            status=Registration.Status.OFFERED, offered_at=moment, offer_expires_at=expires
        )
        waiting.status = Registration.Status.OFFERED
        waiting.offered_at, waiting.offer_expires_at = moment, expires
        _notify(waiting, "offered")
        offered.append(waiting)
        if free is not None:
            free -= waiting.seats
    return offered


def offer_accept(*, registration: Registration) -> Registration:
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=registration.event_id)
        moment = clock.now()
        current = Registration.objects.get(pk=registration.pk)
        if current.status == Registration.Status.CONFIRMED:
            return current
        if locked.status == Event.Status.CANCELLED:
            raise _error("cancelled", _("This event is cancelled."))
        if current.status != Registration.Status.OFFERED:
            raise _error("not_offered", _("No seat is offered to you at the moment."))
        if current.offer_expires_at and current.offer_expires_at <= moment:
            raise _error(
                "offer_expired", _("This offer has expired; the seat went to the next person.")
            )
        current.status, current.confirmed_at = Registration.Status.CONFIRMED, moment
        current.save(update_fields=["status", "confirmed_at"])
        _notify(current, "confirmed")
    return current


def expire_offers() -> int:
    """Periodic: offers not accepted in time pass to the next person in the queue; e-mail
    registrations never confirmed are dropped. Returns how many registrations changed."""
    moment = clock.now()
    done = 0
    due = (
        Registration.objects.filter(
            status=Registration.Status.OFFERED, offer_expires_at__lte=moment
        )
        .values_list("event_id", flat=True)
        .distinct()
    )
    for event_id in list(due):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            expired = list(
                Registration.objects.filter(
                    event=event, status=Registration.Status.OFFERED, offer_expires_at__lte=moment
                )
            )
            Registration.objects.filter(pk__in=[r.pk for r in expired]).update(
                status=Registration.Status.EXPIRED
            )
            for registration in expired:
                _notify(registration, "expired")
            done += len(expired)
            offer_free_seats(event)
    done += Registration.objects.filter(
        status=Registration.Status.UNCONFIRMED, created_at__lte=moment - UNCONFIRMED_LIFETIME
    ).update(status=Registration.Status.CANCELLED, cancelled_at=moment)
    return done


def waitlist_move_first(*, registration: Registration, by: User) -> Registration:
    """An organiser puts someone at the head of the waiting list (the only reordering)."""
    if not can_edit_event(by, registration.event):
        raise _error("not_allowed", _("Only the organisers can reorder the waiting list."))
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=registration.event_id)
        registration.refresh_from_db()
        if registration.status != Registration.Status.WAITLISTED:
            raise _error("not_waitlisted", _("This person is not on the waiting list."))
        head = (
            Registration.objects.filter(event=locked, status=Registration.Status.WAITLISTED)
            .order_by("queued_at", "pk")
            .first()
        )
        if head is not None and head.pk != registration.pk:
            registration.queued_at = head.queued_at - dt.timedelta(microseconds=1)
            registration.save(update_fields=["queued_at"])
        offer_free_seats(locked)
    return registration


def check_in(*, registration: Registration, by: User, present: bool = True) -> Registration:
    if not can_edit_event(by, registration.event):
        raise _error("not_allowed", _("Only the organisers can check people in."))
    if registration.status != Registration.Status.CONFIRMED:
        raise _error("not_registered", _("Only registered people can be checked in."))
    registration.checked_in_at = clock.now() if present else None
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=registration.checked_in_at)
    return registration


def message_registrants(
    *, event: Event, by: User, subject: str, body: str, audience: str = "registered"
) -> int:
    """E-mail the registrants ("registered", "waitlisted" or "all"); returns how many."""
    if not can_edit_event(by, event):
        raise _error("not_allowed", _("Only the organisers can write to the registrants."))
    subject, body = " ".join(subject.split())[:150], body.strip()[:5000]
    if not subject or not body:
        raise _error("invalid", _("Write a subject and a message."))
    statuses = {
        "registered": [Registration.Status.CONFIRMED],
        "waitlisted": [Registration.Status.WAITLISTED, Registration.Status.OFFERED],
        "all": [
            Registration.Status.CONFIRMED,
            Registration.Status.WAITLISTED,
            Registration.Status.OFFERED,
        ],
    }.get(audience)
    if statuses is None:
        raise _error("invalid", _("Choose who receives the message."))
    ids = list(
        Registration.objects.filter(event=event, status__in=statuses).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: notifications.message(event.pk, ids, subject, body, by.pk))
    return len(ids)


def send_due_reminders() -> int:
    """Periodic: the day before, remind the registrants (each event claimed once)."""
    moment = clock.now()
    done = 0
    due = Event.objects.filter(
        status=Event.Status.PUBLISHED,
        reminder_sent_at__isnull=True,
        registration_open=True,
        start__gt=moment,
        start__lte=moment + dt.timedelta(hours=24),
    ).values_list("pk", flat=True)
    for event_id in list(due):
        claimed = Event.objects.filter(pk=event_id, reminder_sent_at__isnull=True).update(
            reminder_sent_at=moment
        )
        if claimed:
            notifications.reminders(event_id)
            done += 1
    return done


def session_signup(*, registration: Registration, session: Session) -> SessionSignup:
    """Take a seat in a session with its own capacity (registered people only)."""
    if session.event_id != registration.event_id:
        raise _error("invalid", _("This session is not part of your event."))
    if registration.status != Registration.Status.CONFIRMED:
        raise _error("not_registered", _("Register to the event first."))
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if SessionSignup.objects.filter(session=locked, registration=registration).exists():
            raise _error("duplicate", _("You already have a seat in this session."))
        if locked.capacity is not None:
            taken = (
                SessionSignup.objects.filter(
                    session=locked, registration__status=Registration.Status.CONFIRMED
                ).aggregate(seats=Sum("registration__seats"))["seats"]
                or 0
            )
            if taken + registration.seats > locked.capacity:
                raise _error("full", _("This session is full."))
        return SessionSignup.objects.create(session=locked, registration=registration)


def session_signoff(*, registration: Registration, session: Session) -> None:
    SessionSignup.objects.filter(session=session, registration=registration).delete()
