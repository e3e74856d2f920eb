"""A person's bookings, time credits and qualifications in their data export; erasing the
account frees their upcoming bookings, keeps the past ones (anonymous) and revokes their
private calendar address."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from tests.bookings.conftest import at
from tiers.accounts.services import account_erase, personal_data_export
from tiers.bookings.credits import credit_grant
from tiers.bookings.models import Booking, CalendarFeed, CreditPlan
from tiers.bookings.services import booking_create, calendar_feed_reset


def test_the_export_holds_bookings_credits_and_qualifications(desk, member_a, manager_a, place_a):
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12), note="Appel")
    plan = CreditPlan.objects.create(place=place_a, name="Salles")
    credit_grant(plan=plan, user=member_a, minutes=90, by=manager_a, note="Merci")
    data = json.loads(json.dumps(personal_data_export(member_a), cls=DjangoJSONEncoder))
    [booking] = data["bookings"]
    assert (booking["resource"], booking["note"], booking["status"]) == (
        "Desk 1",
        "Appel",
        "confirmed",
    )
    [entry] = data["time_credits"]
    assert (entry["plan"], entry["minutes"], entry["note"]) == ("Salles", 90, "Merci")
    assert data["qualifications"] == []


def test_erasing_frees_upcoming_bookings_and_revokes_the_calendar(desk, member_a):
    upcoming = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 12))
    past = Booking.objects.create(
        resource=desk, user=member_a, start=at(20, 9), end=at(20, 12), note="Perso"
    )
    calendar_feed_reset(user=member_a)
    account_erase(user=member_a)
    upcoming.refresh_from_db()
    past.refresh_from_db()
    assert upcoming.status == "cancelled"
    assert upcoming.log.filter(action="cancelled").exists()
    assert (past.status, past.note) == ("confirmed", "")
    assert not CalendarFeed.objects.exists()
