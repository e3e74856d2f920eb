"""Browser walk over the history pages of the commons, axe-core on each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.commons.conftest import edit
from tests.e2e.helpers import visit
from tiers.commons import services
from tiers.commons.models import FeedKey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_history_pages_are_accessible(new_context, log_in, axe_check: Callable[[Page], None],
                                      make_user, coordinator, member_a) -> None:  # fmt: skip
    page = services.create_page(
        member_a,
        services.PageData(
            title="Café réparation", body="# Titre\n\nUn deux trois\n\n[[Four à pain]]"
        ),
    )
    edit(
        member_a,
        page,
        body="# Titre\n\nUn deux 3 quatre\n\n[[Four à pain]]",
        comment="mieux",
        summary="Réparer",
        tags=["réparation"],
    )
    vandal = make_user("Vandal")
    edit(vandal, page, body="SPAM", comment="spam")
    services.hide_revision(coordinator, page.revisions.get(number=2), hidden=True, reason="test")
    FeedKey.objects.create(user=coordinator, key=FeedKey.new_key())
    services.watch(coordinator, page)
    context = new_context()
    log_in(context, coordinator)
    browser_page = context.new_page()
    slug = page.slug
    for path in [
        f"/communs/pages/{slug}/historique",
        f"/communs/pages/{slug}/versions/1/",
        f"/communs/pages/{slug}/versions/2/",
        f"/communs/pages/{slug}/diff?de=1&a=2",
        f"/communs/pages/{slug}/diff?de=1&a=3",
        f"/communs/pages/{slug}/liens",
        "/communs/modifications-recentes",
        "/communs/pages-demandees",
        "/communs/suivi",
        f"/communs/contributions/{vandal.pk}/",
    ]:
        visit(browser_page, path)
        axe_check(browser_page)
    # the confirmation of "undo all their last edits"
    browser_page.get_by_role("button", name="Undo all their last edits…").click()
    axe_check(browser_page)
    anonymous = new_context().new_page()
    for path in [f"/communs/pages/{slug}/historique", f"/communs/pages/{slug}/versions/2/"]:
        visit(anonymous, path)
        axe_check(anonymous)
    narrow = new_context(viewport={"width": 360, "height": 740}).new_page()
    visit(narrow, f"/communs/pages/{slug}/diff?de=1&a=3")
    axe_check(narrow)
    narrow.screenshot(path="/tmp/hist/diff-phone.png", full_page=True)
    phone = new_context(viewport={"width": 360, "height": 740})
    log_in(phone, coordinator)
    history = phone.new_page()
    visit(history, f"/communs/pages/{slug}/historique")
    history.screenshot(path="/tmp/hist/history-phone.png", full_page=True)
