"""Booking's main path, clicked as a person would, with axe-core on every page visited: a
member opens the place's bookings, picks the open space, books tomorrow afternoon with the
preset, finds it in "My bookings" and cancels it; the manager's day list and occupancy pages
are checked too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import tr, visit
from tiers.accounts.models import User
from tiers.bookings.models import Booking, Resource
from tiers.places.models import Place

pytestmark = pytest.mark.e2e

AxeCheck = Callable[[Page], None]


@pytest.fixture
def open_space(place_a: Place) -> Resource:
    # every day, so that "tomorrow afternoon" always exists whatever day the test runs
    place_a.opening_hours = "Mo-Su 08:00-19:00"
    place_a.save(update_fields=["opening_hours"])
    return Resource.objects.create(
        place=place_a, name="Open space", slug="open-space", kind="desk_pool", capacity=5,
        visibility="public", description="Cinq postes **au calme**.",
    )  # fmt: skip


def test_a_member_books_an_afternoon_sees_it_and_cancels_it(
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    axe_check: AxeCheck,
    open_space: Resource,
    member_a: User,
) -> None:
    context = new_context()
    log_in(context, member_a)
    page = context.new_page()
    tomorrow = timezone.localdate(timezone=open_space.place.tz) + dt.timedelta(days=1)

    # The place's bookings: its resources and which are free.
    visit(page, f"/lieux/{open_space.place.slug}/")
    page.get_by_role("link", name=tr(page, "See what is free and book")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(open_space.place.name)
    axe_check(page)
    page.get_by_role("link", name=re.compile("Open space")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open space")

    # Tomorrow's day view, then its "afternoon" preset.
    visit(page, f"/lieux/{open_space.place.slug}/reservations/open-space/?jour={tomorrow:%Y-%m-%d}")
    axe_check(page)
    page.get_by_role("radio", name=re.compile(tr(page, "Afternoon") + ", 13:00")).check()
    page.get_by_role("button", name=tr(page, "Book"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reservations/\d+/$"))
    axe_check(page)
    booking = Booking.objects.get(user=member_a)
    local = booking.start.astimezone(open_space.tz)
    assert (local.date(), local.hour) == (tomorrow, 13)
    assert booking.status == Booking.Status.CONFIRMED

    # My bookings: it is there, and can be cancelled.
    page.get_by_role("link", name=tr(page, "My bookings")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(page, "My bookings"))
    axe_check(page)
    upcoming = page.locator("table").first
    expect(upcoming).to_contain_text("Open space")
    upcoming.get_by_role("button", name=re.compile("^" + tr(page, "Cancel"))).click()
    expect(page.locator(".message").first).to_be_visible()
    axe_check(page)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    expect(page.get_by_text(tr(page, "You have no upcoming booking."))).to_be_visible()


def test_the_manager_pages_are_accessible(
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    axe_check: AxeCheck,
    open_space: Resource,
    manager_a: User,
) -> None:
    context = new_context()
    log_in(context, manager_a)
    page = context.new_page()
    slug = open_space.place.slug
    for path in (
        f"/lieux/{slug}/gestion/reservations/",
        f"/lieux/{slug}/gestion/ressources/",
        f"/lieux/{slug}/gestion/occupation/",
        f"/lieux/{slug}/gestion/credits/",
        "/reservations/calendrier/",
    ):
        visit(page, path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
