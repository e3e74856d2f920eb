"""Every page a visitor (and a manager) can reach by following links: no error, axe-clean.

The crawl starts at the home page of the demo network and follows the site's own links, as a
search engine or an accessibility auditor would.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.helpers import run_axe
from tiers.accounts.models import User
from tiers.bookings import demo as bookings_demo
from tiers.places import demo

pytestmark = pytest.mark.e2e

# Uploads, static files, the admin site (its own pages) and the test tile server.
SKIPPED_PREFIXES = ("/media/", "/static/", "/admin/", "/e2e-tiles/")
MAX_PAGES = 100


def crawl(page: Page, origin: str, start: str = "/") -> list[str]:
    """Visit pages breadth first from `start`; return the paths visited (each checked)."""
    seen: set[str] = set()
    queue = [start]
    visited: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        # a download (the personal data file, an export) is fetched, not displayed
        fetched = page.request.get(path)
        assert fetched.status == 200, f"{path} answered {fetched.status}"
        if not fetched.headers.get("content-type", "").startswith("text/html"):
            continue
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        visited.append(path)
        run_axe(page)
        hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            url, _ = urldefrag(href)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != origin:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            # one page of each list is enough: the others have the same template
            if "page=" in parts.query or parts.path.startswith(SKIPPED_PREFIXES):
                continue
            if target not in seen:
                queue.append(target)
    return visited


@pytest.fixture
def demo_network(transactional_db) -> None:
    demo.create()
    bookings_demo.create()


def test_a_visitor_can_reach_every_public_page_and_each_is_accessible(
    demo_network, new_context: Callable[..., BrowserContext], live_server
) -> None:
    page = new_context(locale="fr-FR").new_page()
    visited = crawl(page, live_server.url)
    # the directory, every place, the networks and the account pages at least
    assert len([p for p in visited if p.startswith("/lieux/")]) >= len(demo.PLACES)
    assert any(p.startswith("/reseaux/") and p != "/reseaux/" for p in visited)
    assert "/compte/inscription/" in visited


def test_a_manager_can_reach_every_page_of_theirs_and_each_is_accessible(
    demo_network,
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    live_server,
) -> None:
    context = new_context()
    log_in(context, User.objects.get(email=demo.email_of("samir")))
    page = context.new_page()
    visited = crawl(page, live_server.url, "/lieux/quai-des-possibles/")
    for path in ["/lieux/quai-des-possibles/modifier/", "/lieux/quai-des-possibles/membres/",
                 "/lieux/quai-des-possibles/photos/", "/compte/profil/",
                 "/lieux/quai-des-possibles/gestion/reservations/",
                 "/lieux/quai-des-possibles/gestion/ressources/",
                 "/lieux/quai-des-possibles/gestion/credits/",
                 "/lieux/quai-des-possibles/gestion/occupation/"]:  # fmt: skip
        assert path in visited, path


def test_a_member_can_reach_every_page_of_their_bookings_and_each_is_accessible(
    demo_network,
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    live_server,
) -> None:
    context = new_context(locale="fr-FR")
    log_in(context, User.objects.get(email=demo.email_of("jeanne")))
    page = context.new_page()
    visited = crawl(page, live_server.url, "/reservations/")
    assert "/reservations/calendrier/" in visited
    assert any(p.startswith("/lieux/quai-des-possibles/reservations/") for p in visited)
    assert len([p for p in visited if p.startswith("/reservations/") and p[14:-1].isdigit()]) >= 3
