"""The documentation commons' main path, clicked as a member would, with axe-core on every
page: create a page with a wiki link to a page still to write, edit it twice, compare two
revisions, restore the first one, then adapt the page for another place."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import tr, visit
from tiers.accounts.models import User
from tiers.commons.models import Page as DocPage
from tiers.places.models import Membership, Place

pytestmark = pytest.mark.e2e

AxeCheck = Callable[[Page], None]


def field(page: Page, label: str) -> re.Pattern[str]:
    """A form label as shown: the translated text, maybe followed by a colon."""
    return re.compile(rf"^{re.escape(tr(page, label))}\s*:?$")


def save_text(page: Page, text: str, summary: str) -> None:
    page.get_by_label(field(page, "Text")).fill(text)
    page.get_by_label(field(page, "Edit summary")).fill(summary)
    page.get_by_role("button", name=tr(page, "Save"), exact=True).click()


def test_a_member_documents_edits_compares_restores_and_adapts(
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    axe_check: AxeCheck,
    member_a: User,
    place_a: Place,
    place_b: Place,
) -> None:
    Membership.objects.create(user=member_a, place=place_b, state="active")
    context = new_context()
    log_in(context, member_a)
    page = context.new_page()

    # From the menu to the commons, then a new page of the place with a wiki link.
    visit(page, "/")
    page.get_by_role("navigation", name=re.compile(".")).first.get_by_role(
        "link", name=tr(page, "Documentation"), exact=True
    ).click()
    axe_check(page)
    visit(page, f"/communs/nouvelle?lieu={place_a.slug}")
    axe_check(page)
    page.get_by_label(field(page, "Title")).fill("Accueillir au Quai")
    page.get_by_label(field(page, "Summary")).fill("Comment on accueille les nouvelles personnes.")
    page.get_by_label(field(page, "Text")).fill(
        "## Le premier jour\n\nOn fait visiter le lieu. Voir [[Conciergerie tournante]]."
    )
    page.get_by_role("button", name=tr(page, "Create the page")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accueillir au Quai")
    new_link = page.get_by_role("link", name=re.compile("Conciergerie tournante"))
    expect(new_link).to_have_class(re.compile("wikilink--new"))
    axe_check(page)
    doc = DocPage.objects.get(title="Accueillir au Quai")
    assert doc.place == place_a

    # Two edits.
    page.get_by_role("link", name=tr(page, "Edit"), exact=True).click()
    axe_check(page)
    save_text(page, "## Le premier jour\n\nOn fait visiter le lieu et on offre un café.\n\n"
              "Voir [[Conciergerie tournante]].", "Le café")  # fmt: skip
    expect(page.get_by_text("on offre un café")).to_be_visible()
    page.get_by_role("link", name=tr(page, "Edit"), exact=True).click()
    save_text(page, "## Le premier jour\n\nOn fait visiter le lieu, on offre un café et on "
              "présente les résidents.", "Les résidents")  # fmt: skip
    doc.refresh_from_db()
    assert doc.revision_number == 3

    # The history, then the word diff between the first and the last revision.
    page.get_by_role("link", name=tr(page, "History"), exact=True).first.click()
    axe_check(page)
    page.locator("#de-1").check()
    page.locator("#a-3").check()
    page.get_by_role("button", name=tr(page, "Compare the selected revisions")).first.click()
    axe_check(page)
    expect(page.locator("ins").filter(has_text="résidents").first).to_be_visible()

    # Restore the first revision.
    page.get_by_role("link", name=tr(page, "History"), exact=True).first.click()
    page.get_by_role(
        "button", name=re.compile(re.escape(tr(page, "Restore this revision")) + r".*\(1\)")
    ).click()
    axe_check(page)
    doc.refresh_from_db()
    assert doc.revision_number == 4 and "café" not in doc.body
    assert doc.current_revision.reverted_to == 1

    # Adapt it for the other place.
    visit(page, f"/communs/pages/{doc.slug}/")
    page.get_by_role("link", name=tr(page, "Adapt for my place")).click()
    axe_check(page)
    page.get_by_label(field(page, "Place to adapt it for")).select_option(place_b.slug)
    page.get_by_role("button", name=tr(page, "Adapt for my place")).click()
    axe_check(page)
    copy = DocPage.objects.get(remixed_from=doc)
    assert copy.place == place_b and copy.body == doc.body
    expect(page.get_by_role("heading", level=1)).to_have_text(copy.title)
    expect(page.get_by_role("link", name="Accueillir au Quai").first).to_be_visible()

    # The source now shows its adaptation.
    visit(page, f"/communs/pages/{doc.slug}/")
    expect(page.get_by_role("link", name=place_b.name).first).to_be_visible()
    axe_check(page)
