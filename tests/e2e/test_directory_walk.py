"""The directory's main path, clicked as a person would, with axe-core on every page visited.

Someone finds a place in the directory, reads its page, creates an account, asks to join;
the place's manager logs in and accepts; the newcomer comes back and is a member. The
directory also works without JavaScript and on a phone's screen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import tr, visit
from tiers.accounts.models import User
from tiers.places.models import Membership, Place
from tiers.places.services import place_set_kinds

pytestmark = pytest.mark.e2e

AxeCheck = Callable[[Page], None]
NEWCOMER = "Camille Newcomer"
NEWCOMER_EMAIL = "camille@example.org"
NEWCOMER_PASSWORD = "Un-jardin-partage-2025"


@pytest.fixture
def places(place_a: Place, place_b: Place) -> dict[str, Place]:
    """A (Le Quai, a coworking space in Redon) with the facts a page shows; B, a fablab."""
    place_a.address = "2 quai Duguay-Trouin"
    place_a.short_description = "Coworking au bord du canal."
    place_a.website = "https://lequai.example.org/"
    place_a.email = "bonjour@lequai.example.org"
    place_a.wheelchair = Place.Access.FULL
    place_a.save()
    place_set_kinds(place=place_b, kinds=["fablab", "workshop"])
    return {"a": place_a, "b": place_b}


def listed_names(page: Page) -> list[str]:
    return page.locator(".place-list .place-card h3").all_inner_texts()


def wait_for_map_markers(page: Page, map_id: str, count: int) -> None:
    """Leaflet has drawn the map and its markers (they come from the GeoJSON API)."""
    expect(page.locator(f"#{map_id}.leaflet-container")).to_be_visible()
    expect(page.locator(f"#{map_id} .leaflet-marker-icon")).to_have_count(count)


def log_in_through_form(page: Page, email: str, password: str) -> None:
    page.get_by_role("link", name=tr(page, "Log in"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/compte/connexion/"))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form").get_by_role("button", name=tr(page, "Log in")).click()
    expect(page.get_by_role("button", name=tr(page, "Log out"))).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name=tr(page, "Log out")).click()
    expect(page.get_by_role("link", name=tr(page, "Log in"), exact=True)).to_be_visible()


def test_find_a_place_sign_up_join_and_get_accepted(
    page: Page, axe_check: AxeCheck, places: dict[str, Place], manager_a: User
) -> None:
    quai = places["a"]

    # 1. The directory: both places in the list and on the map.
    visit(page, "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(page, "Tiers-lieux directory"))
    assert sorted(listed_names(page)) == ["La Fabrique", "Le Quai"]
    wait_for_map_markers(page, "map", 2)
    axe_check(page)

    # 2. Search and a kind filter, submitted with the form's button.
    filters = page.get_by_role("search")
    filters.get_by_label(tr(page, "Search")).fill("quai")
    filters.get_by_role("checkbox", name=tr(page, "Coworking")).check()
    filters.get_by_role("button", name=tr(page, "Show the places")).click()
    expect(page).to_have_url(re.compile(r"[?&]q=quai\b"))
    assert "kind=coworking" in page.url
    expect(page.locator(".place-list .place-card")).to_have_count(1)
    assert listed_names(page) == ["Le Quai"]
    expect(page.get_by_label(tr(page, "Search"))).to_have_value("quai")
    expect(page.get_by_role("checkbox", name=tr(page, "Coworking"))).to_be_checked()
    wait_for_map_markers(page, "map", 1)
    expect(page.locator("#map img.leaflet-marker-icon")).to_have_attribute("alt", "Le Quai")
    axe_check(page)

    # 3. The place's page: facts, opening hours for the coming week, its map.
    page.get_by_role("link", name="Le Quai").click()
    expect(page).to_have_url(re.compile(f"/lieux/{quai.slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Le Quai")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("2 quai Duguay-Trouin")
    expect(facts).to_contain_text("35600 Redon")
    expect(facts.get_by_role("link", name="https://lequai.example.org/")).to_be_visible()
    expect(facts.get_by_role("link", name="bonjour@lequai.example.org")).to_be_visible()
    hours = page.get_by_role("table", name=tr(page, "Opening hours for the next seven days"))
    rows = hours.locator("tbody tr")
    expect(rows).to_have_count(7)
    row_texts = rows.all_inner_texts()
    today = timezone.localdate()
    for offset, text in enumerate(row_texts):
        day = today + dt.timedelta(days=offset)
        if day.weekday() < 5:
            assert "09:00\u201318:00" in text, text  # an en dash between the times
        else:
            assert tr(page, "Closed") in text, text
    wait_for_map_markers(page, "place-map", 1)
    expect(page.locator("#place-map img.leaflet-marker-icon")).to_have_attribute("alt", "Le Quai")
    expect(page.get_by_role("link", name=tr(page, "Log in to join this place"))).to_be_visible()
    axe_check(page)

    # 4. Sign up: a first try with passwords that differ is refused with a message, then it works.
    page.get_by_role("link", name=tr(page, "Sign up"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/compte/inscription/"))
    axe_check(page)
    page.locator("#id_display_name").fill(NEWCOMER)
    page.locator("#id_email").fill(NEWCOMER_EMAIL)
    page.locator("#id_password1").fill(NEWCOMER_PASSWORD)
    page.locator("#id_password2").fill(NEWCOMER_PASSWORD + "?")
    create = page.locator("main form").get_by_role("button", name=tr(page, "Create my account"))
    create.click()
    expect(page.locator("main .errorlist")).to_be_visible()
    assert not User.objects.filter(email=NEWCOMER_EMAIL).exists()
    axe_check(page)  # the form with its error messages
    page.locator("#id_password1").fill(NEWCOMER_PASSWORD)
    page.locator("#id_password2").fill(NEWCOMER_PASSWORD)
    create.click()
    expect(page.get_by_role("button", name=tr(page, "Log out"))).to_be_visible()
    newcomer = User.objects.get(email=NEWCOMER_EMAIL)
    assert newcomer.display_name == NEWCOMER

    # 5. Back to the place, ask to join it as a resident.
    visit(page, quai.get_absolute_url())
    join = page.locator("form").filter(has=page.get_by_role("button", name=tr(page, "Ask to join")))
    expect(join).to_be_visible()
    axe_check(page)
    join.get_by_label(tr(page, "Resident")).check()
    join.get_by_label(tr(page, "A word for the managers (optional)")).fill(
        "Bonjour, je cherche un bureau deux jours par semaine."
    )
    join.get_by_label(tr(page, "Show my name on the place's page")).check()
    join.get_by_role("button", name=tr(page, "Ask to join")).click()
    expect(
        page.get_by_text(tr(page, "Your request to join is waiting for a manager."))
    ).to_be_visible()
    expect(page.get_by_role("button", name=tr(page, "Withdraw my request"))).to_be_visible()
    request = Membership.objects.get(place=quai, user=newcomer)
    assert request.state == Membership.State.PENDING
    assert request.status == Membership.Status.RESIDENT
    axe_check(page)

    # 6. The manager logs in through the form, opens the members page and accepts.
    log_out(page)
    log_in_through_form(page, manager_a.email, PASSWORD)
    visit(page, quai.get_absolute_url())
    page.get_by_role("link", name=re.compile(re.escape(tr(page, "Members")))).click()
    expect(page).to_have_url(re.compile(f"/lieux/{quai.slug}/membres/$"))
    pending = page.locator(".place-card").filter(has_text=NEWCOMER)
    expect(pending).to_contain_text("Bonjour, je cherche un bureau")
    axe_check(page)
    pending.get_by_role("button", name=f"{tr(page, 'Accept')} {NEWCOMER}").click()
    members = page.get_by_role("table", name=tr(page, "Current members"))
    expect(members.get_by_role("rowheader", name=re.compile(NEWCOMER))).to_be_visible()
    expect(page.get_by_text(tr(page, "No request waiting."))).to_be_visible()
    request.refresh_from_db()
    assert request.state == Membership.State.ACTIVE
    axe_check(page)

    # 7. The newcomer logs back in: a member, named on the place's page.
    log_out(page)
    log_in_through_form(page, NEWCOMER_EMAIL, NEWCOMER_PASSWORD)
    visit(page, quai.get_absolute_url())
    resident = Membership.Status.RESIDENT.label  # lazy: translated in the page's language
    member_text = tr(page, "You are a member of this place (%(status)s).", status=resident)
    expect(page.get_by_text(member_text)).to_be_visible()
    expect(page.locator("ul.people")).to_contain_text(NEWCOMER)
    expect(page.get_by_role("button", name=tr(page, "Leave this place"))).to_be_visible()
    axe_check(page)


def test_directory_filters_work_without_javascript(
    new_context: Callable[..., BrowserContext], axe_check: AxeCheck, places: dict[str, Place]
) -> None:
    # French, the site's first language; no script at all: the form is a plain GET form.
    page = new_context(java_script_enabled=False, locale="fr-FR").new_page()
    visit(page, "/")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))
    expect(page.locator("#map")).to_be_hidden()  # nothing to show without its script
    expect(page.locator("#near-me")).to_be_hidden()
    assert sorted(listed_names(page)) == ["La Fabrique", "Le Quai"]

    filters = page.get_by_role("search")
    filters.get_by_role("checkbox", name=tr(page, "Fablab / makerspace")).check()
    filters.get_by_role("button", name=tr(page, "Show the places")).click()
    expect(page).to_have_url(re.compile(r"[?&]kind=fablab\b"))
    assert listed_names(page) == ["La Fabrique"]
    expect(filters.get_by_role("checkbox", name=tr(page, "Fablab / makerspace"))).to_be_checked()
    expect(page.locator("#results-title")).to_have_text(re.compile(r"^\s*1\b"))

    filters.get_by_role("checkbox", name=tr(page, "Fablab / makerspace")).uncheck()
    filters.get_by_label(tr(page, "Search")).fill("Redon")
    filters.get_by_role("button", name=tr(page, "Show the places")).click()
    expect(page).to_have_url(re.compile(r"[?&]q=Redon\b"))
    assert "kind=" not in page.url
    assert listed_names(page) == ["Le Quai"]

    # axe needs script to run (it is asynchronous), so the page as a browser without
    # JavaScript shows it is checked in a browser whose page scripts are blocked instead.
    blocked = new_context(locale="fr-FR")
    blocked.route(re.compile(r"\.js(\?|$)"), lambda route: route.abort())
    page = blocked.new_page()
    visit(page, "/?kind=fablab")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))
    axe_check(page)


@pytest.mark.parametrize("path", ["/", "/lieux/le-quai/", "/compte/inscription/"])
def test_pages_fit_a_phone_screen(
    new_context: Callable[..., BrowserContext],
    axe_check: AxeCheck,
    places: dict[str, Place],
    path: str,
) -> None:
    context = new_context(
        viewport={"width": 375, "height": 700},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    visit(page, path)
    if page.locator(".map").count():
        expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path} is {widths[0]}px wide on a {widths[1]}px screen"
    axe_check(page)


def test_members_page_fits_a_phone_screen(
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    axe_check: AxeCheck,
    places: dict[str, Place],
    manager_a: User,
    member_a: User,
) -> None:
    context = new_context(viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    log_in(context, manager_a)
    page = context.new_page()
    visit(page, "/lieux/le-quai/membres/")
    expect(page.get_by_role("table")).to_contain_text(member_a.display_name)
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the members page is {widths[0]}px wide on {widths[1]}px"
    axe_check(page)
