"""The e-mails: sent on commit, in the registrant's language, on the event's clock, each with
the registration's own link; the event as .ics for the confirmed and the reminder, and as
STATUS:CANCELLED when the event is cancelled."""

from __future__ import annotations

import icalendar
import pytest
from django.core import mail

from tiers.events import festivals, registrations, services
from tiers.events.errors import EventError
from tiers.events.models import Event, Festival, Registration

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_event):
    return make_event("Repair café", registration_open=True, capacity=2)


def ics_of(message) -> icalendar.Event:
    (attachment,) = message.attachments
    name, content, mimetype = attachment
    assert name.endswith(".ics") and mimetype == "text/calendar"
    (vevent,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    return vevent


def test_confirmation_in_the_registrants_language_with_the_ics(
    event, member_a, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://tiers.example"
    with django_capture_on_commit_callbacks(execute=True):
        fr = registrations.register(event=event, name="Zoé", email="zoe@example.org",
                                    user=member_a, language="fr")  # fmt: skip
        en = registrations.register(event=event, name="Ann", email="ann@example.org",
                                    added_by=event.created_by, language="en")  # fmt: skip
    by_to = {m.to[0]: m for m in mail.outbox}
    french, english = by_to[fr.email], by_to["ann@example.org"]
    assert "mardi 24 mars 2026, 18:00" in french.body  # Paris time, French words
    assert "Tuesday 24 March 2026, 18:00" in english.body
    assert english.subject == "You are registered: Repair café, 24 March, 18:00"
    assert f"https://tiers.example{en.get_manage_url()}" in english.body
    assert f"https://tiers.example{fr.get_manage_url()}" in french.body
    vevent = ics_of(english)
    assert vevent.decoded("dtstart") == at(24, 18)
    assert str(vevent["status"]) == "CONFIRMED"
    assert str(vevent["uid"]) == f"event-{event.pk}@tiers.example"


def test_nothing_is_sent_when_the_registration_is_refused(
    make_event, django_capture_on_commit_callbacks
):
    event = make_event(registration_open=True, registration_closes_at=at(23, 7))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EventError):
        registrations.register(event=event, name="Z", email="z@example.org")
    assert not mail.outbox


@pytest.mark.parametrize(
    ("steps", "subject"),
    [
        ("confirm_email", "Confirm your registration: Repair café"),
        ("waitlisted", "On the waiting list: Repair café"),
        ("offered", "A place is free for you: Repair café"),
        ("cancelled", "Registration cancelled: Repair café"),
    ],
)
def test_each_email_carries_the_link(
    event, make_user, steps, subject, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://tiers.example"
    a, b = make_user("A"), make_user("B")
    first = registrations.register(event=event, name="A", email=a.email, seats=2, user=a)
    with django_capture_on_commit_callbacks(execute=True):
        if steps == "confirm_email":
            target = registrations.register(event=event, name="Z", email="z@example.org",
                                            language="en")  # fmt: skip
        else:
            target = registrations.register(event=event, name="B", email=b.email, user=b,
                                            language="en")  # fmt: skip
            if steps == "offered":
                registrations.registration_cancel(registration=first)
            if steps == "cancelled":
                registrations.registration_cancel(registration=target)
    message = [m for m in mail.outbox if m.to == [target.email]][-1]
    assert message.subject == subject
    assert f"https://tiers.example/inscription/{target.token}/" in message.body
    assert not message.attachments


def test_reminder_the_day_before_sent_once(
    event, make_user, clock_at, django_capture_on_commit_callbacks
):
    users = [make_user(f"P{i}") for i in range(3)]
    regs = [registrations.register(event=event, name=u.display_name, email=u.email, user=u,
                                   language="en") for u in users]  # fmt: skip
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted"]
    mail.outbox.clear()
    clock_at.set(at(23, 17, 59))  # more than 24 hours before
    assert registrations.send_due_reminders() == 0
    clock_at.set(at(23, 18))
    with django_capture_on_commit_callbacks(execute=True):
        assert registrations.send_due_reminders() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users[:2])
    message = mail.outbox[0]
    assert message.subject == "Reminder: Repair café, Tuesday 24 March, 18:00"
    assert str(ics_of(message)["status"]) == "CONFIRMED"
    clock_at.set(at(24, 9))
    assert registrations.send_due_reminders() == 0
    assert len(mail.outbox) == 2


def test_event_cancelled_tells_every_active_registrant(
    event, make_user, manager_a, django_capture_on_commit_callbacks
):
    users = [make_user(f"P{i}") for i in range(3)]
    for u in users:
        registrations.register(event=event, name=u.display_name, email=u.email, user=u,
                               language="en")  # fmt: skip
    pending = registrations.register(event=event, name="Z", email="z@example.org", language="en")
    gone = registrations.register(event=event, name="G", email="g@example.org", language="en")
    registrations.registration_cancel(registration=gone, notify=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event=event, by=manager_a, reason="The roof leaks")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [u.email for u in users] + [pending.email]
    )
    message = mail.outbox[0]
    assert "The roof leaks" in message.body
    vevent = ics_of(message)
    assert str(vevent["status"]) == "CANCELLED"


def test_event_changed_tells_the_new_time(
    event, member_a, manager_a, django_capture_on_commit_callbacks
):
    registration = registrations.register(event=event, name="M", email=member_a.email,
                                          user=member_a, language="en")  # fmt: skip
    mail.outbox.clear()
    event.start, event.end = at(25, 10), at(25, 12)
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(event=event, by=manager_a)
    (message,) = mail.outbox
    assert message.to == [registration.email]
    assert "Wednesday 25 March 2026, 10:00" in message.body
    assert ics_of(message).decoded("dtstart") == at(25, 10)


def test_erased_addresses_get_nothing(event, django_capture_on_commit_callbacks):
    registration = registrations.register(event=event, name="Z", email="z@example.org")
    Registration.objects.filter(pk=registration.pk).update(
        email=f"erased-{registration.pk}@invalid"
    )
    from tiers.events import notifications

    notifications.send_registration_email.call(registration.pk, "cancelled")
    assert not mail.outbox


def test_festival_decision_goes_to_the_events_creator(
    make_event, manager_a, coordinator, network, django_capture_on_commit_callbacks
):
    festival = Festival.objects.create(
        network=network, name="Quinzaine", slug="quinzaine", start_date=at(20, 0).date(),
        end_date=at(31, 0).date(), requires_approval=True,
    )  # fmt: skip
    event = make_event("Atelier vélo")
    festivals.festival_submit(event=event, festival=festival, by=manager_a)
    event = Event.objects.get(pk=event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        festivals.festival_decide(event=event, by=coordinator, accept=True)
    (message,) = mail.outbox
    assert message.to == [manager_a.email]
    assert "Quinzaine" in message.subject
