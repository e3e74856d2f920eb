"""The site administration of bookings: every model answers (with data in it), histories are
read-only, the calendar token stays secret, and only administrators get in."""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin

from tests.bookings.conftest import at
from tiers.bookings import credits
from tiers.bookings.models import (
    Booking,
    BookingLog,
    BookingSeries,
    CalendarFeed,
    Closure,
    CreditEntry,
    CreditPlan,
    Qualification,
    QualificationGrant,
    Resource,
)
from tiers.bookings.services import booking_cancel, booking_create, calendar_feed_reset

BOOKING_MODELS = [
    Booking, BookingLog, BookingSeries, CalendarFeed, Closure, CreditEntry, CreditPlan,
    Qualification, QualificationGrant, Resource,
]  # fmt: skip


def admin_url(model, suffix: str = "") -> str:
    return f"/admin/bookings/{model._meta.model_name}/{suffix}"


@pytest.fixture
def filled(place_a, desk, member_a, manager_a):
    """One row of each bookings model, made the way the site makes them."""
    qualification = Qualification.objects.create(place=place_a, name="Découpe laser")
    QualificationGrant.objects.create(qualification=qualification, user=member_a)
    Closure.objects.create(
        place=place_a, resource=desk, start=at(6, 0, month=4), end=at(7, 0, month=4)
    )
    plan = CreditPlan.objects.create(place=place_a, name="Bureaux", monthly_hours={"user": 10})
    desk.credit_plan = plan
    desk.save(update_fields=["credit_plan"])
    credits.credit_grant(plan=plan, user=member_a, minutes=60, by=manager_a, note="Bienvenue")
    booking = booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 12))
    booking_cancel(booking=booking, by=manager_a)
    BookingSeries.objects.create(
        resource=desk, user=member_a, first_start=at(24, 10), first_end=at(24, 11), count=3
    )
    feed = calendar_feed_reset(user=member_a)
    return {"booking": booking, "plan": plan, "feed": feed}


def test_every_bookings_model_is_registered():
    assert set(BOOKING_MODELS) <= set(django_admin.site._registry)


@pytest.mark.parametrize("model", BOOKING_MODELS, ids=lambda m: m.__name__)
def test_lists_and_change_pages_answer(client_for, admin, filled, model):
    client = client_for(admin)
    assert client.get(admin_url(model)).status_code == 200
    assert client.get(admin_url(model, "?q=quai")).status_code == 200
    obj = model.objects.first()
    assert obj is not None
    assert client.get(admin_url(model, f"{obj.pk}/change/")).status_code == 200


def test_a_booking_shows_its_history_and_credits_read_only(client_for, admin, filled):
    booking = filled["booking"]
    response = client_for(admin).get(admin_url(Booking, f"{booking.pk}/change/"))
    inline_formsets = response.context["inline_admin_formsets"]
    shown = {formset.opts.model: len(formset.formset.forms) for formset in inline_formsets}
    assert shown == {
        BookingLog: 2,  # booked, cancelled
        CreditEntry: 2,  # debited, refunded
    }
    assert booking.log.count() == 2 and booking.credit_entries.count() == 2
    for formset in inline_formsets:  # shown...
        assert not formset.has_add_permission  # ...never added to,
        assert not formset.has_change_permission  # changed,
        assert not formset.has_delete_permission  # nor deleted
    # and the booking itself is not deleted from here
    assert client_for(admin).get(admin_url(Booking, f"{booking.pk}/delete/")).status_code == 403


@pytest.mark.parametrize("model", [BookingLog, CreditEntry], ids=lambda m: m.__name__)
def test_histories_cannot_be_written(client_for, admin, filled, model):
    client = client_for(admin)
    entry = model.objects.first()
    before = list(model.objects.values())
    assert client.get(admin_url(model, "add/")).status_code == 403
    assert client.post(admin_url(model, f"{entry.pk}/delete/"), {"post": "yes"}).status_code == 403
    client.post(admin_url(model, f"{entry.pk}/change/"), {"note": "changed", "detail": "changed"})
    assert list(model.objects.values()) == before


def test_a_plan_links_to_its_ledger(client_for, admin, filled):
    plan = filled["plan"]
    client = client_for(admin)
    html = client.get(admin_url(CreditPlan, f"{plan.pk}/change/")).content.decode()
    link = f"{admin_url(CreditEntry)}?plan__id__exact={plan.pk}"
    assert link in html
    response = client.get(link)
    assert response.status_code == 200
    assert response.context["cl"].result_count == CreditEntry.objects.filter(plan=plan).count()


def test_the_calendar_token_is_not_shown(client_for, admin, filled):
    feed = filled["feed"]
    client = client_for(admin)
    for url in [admin_url(CalendarFeed), admin_url(CalendarFeed, f"{feed.pk}/change/")]:
        assert feed.token not in client.get(url).content.decode()


@pytest.mark.parametrize("persona", ["manager_a", "member_a", "coordinator"])
def test_the_admin_is_closed_to_non_staff(request, client_for, filled, persona):
    client = client_for(request.getfixturevalue(persona))
    for model in BOOKING_MODELS:
        response = client.get(admin_url(model))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
