"""E-mails about events and registrations, sent as background jobs once the transaction
has committed. Each is written in its recipient's language, on the event's clock.

- `registration_event(registration_id, what)`: what is "confirm_email" (the link that
  confirms an e-mail-only registration), "confirmed" (with the event as .ics), "waitlisted",
  "offered" (a seat is free: accept it before the offer expires), "expired", "cancelled",
  "link" (the registration's link again, asked for by registering twice);
- `event_cancelled(event_id)`: every active registrant is told the reason;
- `event_changed(event_id)`: the registrants are told the new times;
- `reminders(event_id)`: the day before, to the registered people;
- `message(event_id, registration_ids, subject, body, sender_id)`: an organiser's message;
- `festival_decided(event_id)`: the event's organisers learn the coordinators' decision.

Every e-mail to a registrant carries the registration's own page (`/inscription/<token>/`,
absolute on SITE_URL): it is how people who registered with only an e-mail address see,
confirm or cancel their registration. The entry points only enqueue a task (django-tasks):
the task reads the rows again, so that an e-mail always tells the current state.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from tiers.core.mail import Attachment, send_templated
from tiers.events.models import Event, Registration

logger = logging.getLogger(__name__)

# what → does the e-mail carry the event as an .ics file?
REGISTRATION_EMAILS = {
    "confirm_email": False,
    "confirmed": True,
    "waitlisted": False,
    "offered": False,
    "expired": False,
    "cancelled": False,
    "link": False,
}
ICS_NAME = "evenement.ics"


# Entry points (called from transaction.on_commit) ---------------------------------------------


def registration_event(registration_id: int, what: str) -> None:
    send_registration_email.enqueue(registration_id, what)


def event_cancelled(event_id: int) -> None:
    send_event_cancelled.enqueue(event_id)


def event_changed(event_id: int) -> None:
    send_event_changed.enqueue(event_id)


def reminders(event_id: int) -> None:
    send_reminders.enqueue(event_id)


def message(
    event_id: int, registration_ids: list[int], subject: str, body: str, sender_id: int
) -> None:
    send_message.enqueue(event_id, list(registration_ids), subject, body, sender_id)


def festival_decided(event_id: int) -> None:
    send_festival_decided.enqueue(event_id)


# Helpers --------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def reachable(registration: Registration) -> bool:
    """Erased people (`erased-<pk>@invalid`) get nothing."""
    return bool(registration.email) and not registration.email.endswith("@invalid")


def _events() -> Any:
    return Event.objects.select_related("place", "network", "room", "festival")


def _context(registration: Registration) -> dict[str, Any]:
    event = registration.event
    return {
        "registration": registration,
        "event": event,
        "where": where(event),
        "manage_url": absolute(registration.get_manage_url()),
        "event_url": absolute(event.get_absolute_url()),
        "rides_url": absolute(reverse("events:rides", args=[event.slug]))
        if event.rides_enabled
        else "",
    }


def where(event: Event) -> str:
    from tiers.events.ical import location

    return location(event)


def _ics(event: Event, language: str) -> list[Attachment]:
    from tiers.events.ical import event_ics

    return [(ICS_NAME, event_ics(event, language=language), "text/calendar")]


def _send(
    registration: Registration,
    template: str,
    context: dict[str, Any],
    *,
    ics: bool = False,
) -> bool:
    if not reachable(registration):
        return False
    event = registration.event
    language = registration.language or settings.LANGUAGE_CODE
    with timezone.override(event.tz):
        return send_templated(
            to=registration.email, template=f"events/email/{template}", context=context,
            language=language, attachments=_ics(event, language) if ics else None,
        )  # fmt: skip


def _registrations(event: Event, statuses: Iterable[str]) -> Iterable[Registration]:
    return (
        Registration.objects.filter(event=event, status__in=list(statuses))
        .select_related("event")
        .order_by("pk")
        .iterator()
    )


# Tasks ----------------------------------------------------------------------------------------


@task()
def send_registration_email(registration_id: int, what: str) -> None:
    registration = (
        Registration.objects.select_related(
            "event__place", "event__network", "event__room", "event__festival"
        )
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or what not in REGISTRATION_EMAILS:
        return
    _send(registration, what, _context(registration), ics=REGISTRATION_EMAILS[what])


@task()
def send_event_cancelled(event_id: int) -> None:
    """Every active registrant (the waiting list too), with the reason and an .ics saying
    STATUS:CANCELLED, which removes the event from the calendars that have it."""
    event = _events().filter(pk=event_id).first()
    if event is None:
        return
    for registration in _registrations(event, Registration.ACTIVE):
        registration.event = event
        _send(registration, "event_cancelled", _context(registration), ics=True)


@task()
def send_event_changed(event_id: int) -> None:
    """The registrants (and the waiting list) learn the new times; the registered get the
    updated .ics (same UID, higher SEQUENCE)."""
    event = _events().filter(pk=event_id).first()
    if event is None or event.status != Event.Status.PUBLISHED:
        return
    statuses = (
        Registration.Status.CONFIRMED,
        Registration.Status.OFFERED,
        Registration.Status.WAITLISTED,
    )
    for registration in _registrations(event, statuses):
        registration.event = event
        ics = registration.status == Registration.Status.CONFIRMED
        _send(registration, "event_changed", _context(registration), ics=ics)


@task()
def send_reminders(event_id: int) -> None:
    event = _events().filter(pk=event_id).first()
    if event is None or event.status != Event.Status.PUBLISHED:
        return
    for registration in _registrations(event, [Registration.Status.CONFIRMED]):
        registration.event = event
        _send(registration, "reminder", _context(registration), ics=True)


@task()
def send_message(
    event_id: int, registration_ids: list[int], subject: str, body: str, sender_id: int
) -> None:
    """An organiser's message: their text as plain text, framed with the event and the
    registration's link; replies go to the organiser."""
    from tiers.accounts.models import User

    event = _events().filter(pk=event_id).first()
    if event is None:
        return
    sender = User.objects.filter(pk=sender_id).first()
    reply_to = (
        [sender.email] if sender is not None and sender.email and not sender.erased_at else []
    )
    for registration in (
        Registration.objects.filter(event=event, pk__in=registration_ids).order_by("pk").iterator()
    ):
        registration.event = event
        if not reachable(registration):
            continue
        context = {
            **_context(registration),
            "subject": subject,
            "body": body,
            "sender_name": sender.display_name if sender is not None else "",
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
        }
        with (
            timezone.override(event.tz),
            translation.override(registration.language or settings.LANGUAGE_CODE),
        ):
            rendered_subject = " ".join(
                render_to_string("events/email/message_subject.txt", context).split()
            )
            rendered_body = render_to_string("events/email/message_body.txt", context)
        email = EmailMessage(
            rendered_subject, rendered_body, None, [registration.email], reply_to=reply_to
        )
        try:
            email.send()
        except (smtplib.SMTPException, OSError):
            logger.exception("an organiser's message could not be sent")


@task()
def send_festival_decided(event_id: int) -> None:
    """The event's creator learns whether the festival's coordinators took it."""
    event = _events().select_related("created_by").filter(pk=event_id).first()
    if event is None or event.festival is None or event.created_by is None:
        return
    creator = event.created_by
    if not creator.email or creator.erased_at or not creator.is_active:
        return
    context = {
        "event": event,
        "festival": event.festival,
        "accepted": event.festival_state == Event.FestivalState.ACCEPTED,
        "refused": event.festival_state == Event.FestivalState.REFUSED,
        "event_url": absolute(event.get_absolute_url()),
        "festival_url": absolute(event.festival.get_absolute_url()),
    }
    with timezone.override(event.tz):
        send_templated(
            to=creator.email, template="events/email/festival_decided", context=context,
            language=creator.language or settings.LANGUAGE_CODE,
        )  # fmt: skip
