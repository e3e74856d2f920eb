"""E-mails sent once the booking's transaction has committed (never for a refused one), with
the booking as an .ics attachment; reminders sent once by the periodic job."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from icalendar import Calendar

from tests.bookings.conftest import at
from tiers.bookings import services
from tiers.bookings.models import Booking
from tiers.bookings.notifications import send_due_reminders
from tiers.bookings.services import (
    BookingError,
    booking_approve,
    booking_cancel,
    booking_create,
    series_create,
)


def ics_of(message) -> Calendar:
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("reservation.ics", "text/calendar")
    return Calendar.from_ical(content)


def test_a_confirmation_with_the_booking_in_a_calendar_file(
    desk, member_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 18))
    [message] = mail.outbox
    assert message.to == [member_a.email]
    assert "Desk 1" in message.subject
    assert "14:00" in message.body and "18:00" in message.body  # on the place's clock
    assert f"/reservations/{booking.pk}/" in message.body
    [event] = ics_of(message).walk("VEVENT")
    assert event.decoded("DTSTART") == booking.start
    assert event.decoded("DTEND") == booking.end


def test_nothing_is_sent_for_a_refused_booking(desk, member_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BookingError):
        booking_create(resource=desk, user=member_a, start=at(24, 20), end=at(24, 21))
    assert mail.outbox == []


def test_approval_asked_to_the_managers_then_the_person_told(
    make_resource, place_a, member_a, manager_a, django_capture_on_commit_callbacks
):
    room = make_resource(place_a, "Salle", requires_approval=True)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([member_a.email, manager_a.email])
    to_manager = next(m for m in mail.outbox if m.to == [manager_a.email])
    assert "Member A" in to_manager.body and "/gestion/reservations/" in to_manager.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=booking, by=manager_a)
    [message] = mail.outbox
    assert message.to == [member_a.email] and message.attachments


def test_a_cancellation_tells_the_person_and_cancels_the_calendar_event(
    desk, member_a, manager_a, django_capture_on_commit_callbacks
):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 18))
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=manager_a)
    [message] = mail.outbox
    [event] = ics_of(message).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_series_sends_one_e_mail_listing_its_occurrences(
    desk, member_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        series_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), count=3)
    [message] = mail.outbox
    assert message.body.count("09:00") == 3


def test_the_e_mail_speaks_the_person_language(desk, member_a, django_capture_on_commit_callbacks):
    member_a.language = "fr"
    member_a.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 18))
    [message] = mail.outbox
    assert "Réservation confirmée" in message.subject
    assert "mardi 24 mars 2026" in message.body


def test_reminders_are_sent_once_the_day_before(
    desk, member_a, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.BOOKING_REMINDER_HOURS = 24
    member_a.language = "en"
    member_a.save(update_fields=["language"])
    ahead = booking_create(resource=desk, user=member_a, start=at(25, 10), end=at(25, 12))
    monkeypatch.setattr(services, "now", lambda: at(24, 9))
    assert send_due_reminders() == 0  # 25 hours before
    monkeypatch.setattr(services, "now", lambda: at(24, 10, 30))
    # made within the last day: no reminder for this one
    last_minute = booking_create(resource=desk, user=member_a, start=at(24, 16), end=at(24, 17))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_periodic", verbosity=0)
    assert [m.to for m in mail.outbox] == [[member_a.email]]
    assert "Reminder" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 0
    assert len(mail.outbox) == 1
    assert Booking.objects.get(pk=ahead.pk).reminder_sent_at is not None
    assert Booking.objects.get(pk=last_minute.pk).reminder_sent_at is None
