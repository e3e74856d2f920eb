"""Events' main path, clicked as a visitor would, with axe-core on every page visited: from the
home page to the events, the network's festival, one of its events; registering with only an
e-mail address, confirming through the link of the e-mail, then offering a ride."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import tr, visit
from tiers.accounts.models import User
from tiers.events import festivals, services
from tiers.events.models import Event, Festival, Registration, Ride
from tiers.places.models import Network, Place

pytestmark = pytest.mark.e2e

AxeCheck = Callable[[Page], None]


@pytest.fixture
def festival_event(place_a: Place, manager_a: User, coordinator: User, network: Network) -> Event:
    today = timezone.localdate()
    festival = festivals.festival_save(
        festival=Festival(
            network=network, name="Quinzaine des communs", theme="Réparer ensemble",
            start_date=today, end_date=today + dt.timedelta(days=14),
        ),
        by=coordinator,
    )  # fmt: skip
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    return services.event_create(
        event=Event(
            place=place_a, title="Atelier vélo", kind=Event.Kind.REPAIR_CAFE,
            description="On répare **ensemble**.", start=start, end=start + dt.timedelta(hours=3),
            status=Event.Status.PUBLISHED, registration_open=True, capacity=12,
            festival=festival,
        ),
        by=manager_a,
    )  # fmt: skip


def test_a_visitor_registers_to_a_festival_event_with_an_email_and_offers_a_ride(
    new_context: Callable[..., BrowserContext], axe_check: AxeCheck, festival_event: Event
) -> None:
    page = new_context().new_page()

    # From the home page to the festival, then to one of its events.
    visit(page, "/")
    page.get_by_role("navigation", name=re.compile(".")).first.get_by_role(
        "link", name=tr(page, "Events"), exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(page, "Upcoming events"))
    axe_check(page)
    page.get_by_role("link", name="Quinzaine des communs").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quinzaine des communs")
    axe_check(page)
    page.get_by_role("link", name="Atelier vélo").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Atelier vélo")
    axe_check(page)

    # Register with only an e-mail address.
    page.get_by_role("link", name=tr(page, "Register"), exact=True).click()
    axe_check(page)
    page.get_by_label(tr(page, "Your name")).fill("Louise Petit")
    page.get_by_label(tr(page, "Your e-mail address")).fill("louise@example.org")
    page.get_by_role("button", name=tr(page, "Register"), exact=True).click()
    axe_check(page)
    registration = Registration.objects.get(email="louise@example.org")
    assert registration.status == Registration.Status.UNCONFIRMED

    # The link of the e-mail, then the confirmation (a button: opening a link changes nothing).
    link = re.search(r"https?://\S+/inscription/\S+/", mail.outbox[-1].body)
    assert link is not None
    visit(page, "/" + link.group(0).split("/", 3)[3])
    axe_check(page)
    page.get_by_role("button", name=tr(page, "Confirm my registration")).click()
    expect(page.get_by_text(tr(page, "You are registered. See you there!"))).to_be_visible()
    axe_check(page)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED

    # Offer a ride, recognised as this registrant.
    page.get_by_role("link", name=tr(page, "Share a ride: offer one or find one")).click()
    axe_check(page)
    page.get_by_role("link", name=tr(page, "Offer a ride"), exact=True).click()
    axe_check(page)
    departure = festival_event.start.astimezone(festival_event.tz) - dt.timedelta(hours=1)
    page.get_by_label(tr(page, "Town you leave from")).fill("Villeurbanne")
    page.get_by_label(tr(page, "Departure (day and time)")).fill(f"{departure:%Y-%m-%dT%H:%M}")
    page.get_by_label(tr(page, "Free seats")).fill("3")
    page.get_by_role("button", name=tr(page, "Offer this ride")).click()
    axe_check(page)
    ride = Ride.objects.get(event=festival_event)
    assert (ride.kind, ride.registration_id, ride.seats) == ("offer", registration.pk, 3)
    assert ride.from_town == "Villeurbanne"
