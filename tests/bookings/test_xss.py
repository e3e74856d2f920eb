"""Text that people type into bookings (resource names and descriptions, notes, reasons,
credit plans, qualifications) never comes back as live HTML on any page that shows it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.bookings.conftest import at
from tiers.bookings.models import Closure, CreditPlan, Qualification
from tiers.bookings.services import block_create, booking_create

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
# what would run if the text came back unescaped (the escaped text itself may show)
DANGEROUS = ("<script>alert", "<img src=x", 'href="javascript:')


@pytest.fixture
def hostile(make_resource, place_a, member_a, manager_a):
    plan = CreditPlan.objects.create(place=place_a, name=SCRIPT, monthly_hours={"user": 10})
    training = Qualification.objects.create(place=place_a, name=IMG)
    room = make_resource(
        place_a, SCRIPT, slug="salle", visibility="public", credit_plan=plan,
        description=f"{IMG}\n\n[lien](javascript:alert(1))\n\n{SCRIPT}", location=IMG,
    )  # fmt: skip
    Closure.objects.create(
        place=place_a, resource=room, start=at(26, 9), end=at(26, 18), reason=SCRIPT
    )
    booking = booking_create(
        resource=room, user=member_a, start=at(24, 10), end=at(24, 11), note=SCRIPT + IMG
    )
    block_create(resource=room, by=manager_a, start=at(25, 9), end=at(25, 12), reason=IMG)
    return {"room": room, "booking": booking, "plan": plan, "training": training}


def assert_inert(html: str) -> None:
    for needle in DANGEROUS:
        assert needle not in html, needle


def test_member_pages_escape_what_people_typed(client_for, hostile, member_a, place_a):
    client = client_for(member_a)
    for url in [
        reverse("places:detail", args=[place_a.slug]),
        reverse("bookings:place", args=[place_a.slug]),
        reverse("bookings:resource", args=[place_a.slug, "salle"]) + "?semaine=2026-03-23",
        reverse("bookings:mine"),
        reverse("bookings:detail", args=[hostile["booking"].pk]),
        reverse("bookings:cancel", args=[hostile["booking"].pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode())


def test_manager_pages_escape_what_people_typed(client_for, hostile, manager_a, place_a):
    client = client_for(manager_a)
    slug = place_a.slug
    for url in [
        reverse("bookings:manage_day", args=[slug]) + "?jour=2026-03-24",
        reverse("bookings:manage_resources", args=[slug]),
        reverse("bookings:manage_resource_edit", args=[slug, hostile["room"].pk]),
        reverse("bookings:manage_closures", args=[slug]),
        reverse("bookings:manage_qualifications", args=[slug]),
        reverse("bookings:manage_credit_plans", args=[slug]),
        reverse("bookings:manage_credit_plan", args=[slug, hostile["plan"].pk]),
        reverse("bookings:occupancy", args=[slug]) + "?debut=2026-03-23&fin=2026-03-29",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode())


def test_the_api_and_feeds_return_text_not_html(client_for, hostile, member_a, place_a):
    client = client_for(member_a)
    response = client.get(f"/api/v1/places/{place_a.slug}/resources")
    [resource] = response.json()["results"]
    assert resource["name"] == SCRIPT  # JSON carries the text as typed, as text
    assert response["Content-Type"].startswith("application/json")
    feed = client.get(reverse("bookings:resource_ics", args=[place_a.slug, "salle"]))
    assert feed["Content-Type"].startswith("text/calendar")


def test_e_mails_are_plain_text(hostile, member_a, django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        booking_create(
            resource=hostile["room"], user=member_a, start=at(24, 14), end=at(24, 15),
            note="x",
        )  # fmt: skip
    [message] = mail.outbox
    assert SCRIPT in message.subject + message.body  # the name as typed, in plain text
    assert message.content_subtype == "plain"
