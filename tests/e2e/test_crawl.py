"""Every page a visitor (and a manager) can reach by following links: no error, axe-clean.

The crawl starts at the home page of the demo network and follows the site's own links, as a
search engine or an accessibility auditor would.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page

from tests.e2e.helpers import run_axe
from tiers.accounts.models import User
from tiers.bookings import demo as bookings_demo
from tiers.commons import demo as commons_demo
from tiers.commons.models import Page as DocPage
from tiers.events import demo as events_demo
from tiers.events.models import Event
from tiers.places import demo

pytestmark = pytest.mark.e2e

# Uploads, static files, the admin site (its own pages) and the test tile server.
SKIPPED_PREFIXES = ("/media/", "/static/", "/admin/", "/e2e-tiles/")
MAX_PAGES = 100
# the events' pages: their own crawls stay there, or the site's other pages fill them up
EVENT_PAGES = (
    "/evenements/",
    "/inscription",
    "/covoiturage/",
    "/festivals/",
    "/lieux/",
    "/reseaux/",
)
# the documentation commons' pages (and a place's documentation tree)
COMMONS_PAGES = ("/communs/", "/lieux/quai-des-possibles/documentation/")


def crawl(page: Page, origin: str, start: str = "/", only: tuple[str, ...] = ()) -> list[str]:
    """Visit pages breadth first from `start`; return the paths visited (each checked).
    With `only`, follow only the links whose path starts with one of these prefixes."""
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
            if only and not parts.path.startswith(only):
                continue
            # the commons have crawls of their own, or their many pages fill the others up
            if not only and (parts.path.startswith("/communs/") or "/documentation/" in parts.path):
                continue
            if target not in seen:
                queue.append(target)
    return visited


@pytest.fixture
def demo_network(transactional_db) -> None:
    demo.create()
    bookings_demo.create()
    events_demo.create()
    commons_demo.create()


@pytest.fixture
def crawl_as(
    demo_network,
    new_context: Callable[..., BrowserContext],
    log_in: Callable[[BrowserContext, User], None],
    live_server,
) -> Callable[..., list[str]]:
    """Crawl the demo network as one of its people (or a visitor, `None`) from `start`."""

    def run(person: str | None, start: str = "/", only: tuple[str, ...] = ()) -> list[str]:
        context = new_context(locale="fr-FR")
        if person is not None:
            log_in(context, User.objects.get(email=demo.email_of(person)))
        return crawl(context.new_page(), live_server.url, start, only)

    return run


def test_a_visitor_can_reach_every_public_page_and_each_is_accessible(crawl_as) -> None:
    visited = crawl_as(None)
    # the directory, every place, the networks and the account pages at least
    assert len([p for p in visited if p.startswith("/lieux/")]) >= len(demo.PLACES)
    assert any(p.startswith("/reseaux/") and p != "/reseaux/" for p in visited)
    assert "/compte/inscription/" in visited


def test_a_manager_can_reach_every_page_of_theirs_and_each_is_accessible(crawl_as) -> None:
    visited = crawl_as("samir", "/lieux/quai-des-possibles/")
    for path in ["/lieux/quai-des-possibles/modifier/", "/lieux/quai-des-possibles/membres/",
                 "/lieux/quai-des-possibles/photos/", "/compte/profil/",
                 "/lieux/quai-des-possibles/gestion/reservations/",
                 "/lieux/quai-des-possibles/gestion/ressources/",
                 "/lieux/quai-des-possibles/gestion/credits/",
                 "/lieux/quai-des-possibles/gestion/occupation/"]:  # fmt: skip
        assert path in visited, path


def test_a_member_can_reach_every_page_of_their_bookings_and_each_is_accessible(crawl_as) -> None:
    visited = crawl_as("jeanne", "/reservations/")
    assert "/reservations/calendrier/" in visited
    assert any(p.startswith("/lieux/quai-des-possibles/reservations/") for p in visited)
    assert len([p for p in visited if p.startswith("/reservations/") and p[14:-1].isdigit()]) >= 3


def test_a_visitor_can_reach_every_page_of_the_events_and_each_is_accessible(crawl_as) -> None:
    visited = crawl_as(None, "/evenements/", only=EVENT_PAGES)
    forum = Event.objects.get(title__startswith="Forum régional")
    for path in ["/festivals/", forum.get_absolute_url(), f"/evenements/{forum.slug}/programme/",
                 f"/evenements/{forum.slug}/covoiturage/",
                 f"/evenements/{forum.slug}/inscription/"]:  # fmt: skip
        assert path in visited, path
    assert any(p.startswith("/festivals/") and p != "/festivals/" for p in visited)
    assert any(p.startswith("/covoiturage/") for p in visited)


def test_an_organiser_can_reach_every_page_of_their_events_and_each_is_accessible(
    crawl_as,
) -> None:
    forum = Event.objects.get(title__startswith="Forum régional")
    visited = crawl_as("samir", forum.get_absolute_url(), only=EVENT_PAGES)
    for name in ["edit", "attendees", "attendees_print", "attendee_add", "message",
                 "session_create", "cancel", "festival_submit"]:  # fmt: skip
        path = reverse(f"events:{name}", args=[forum.slug])
        assert path in visited, path


def test_a_registrant_can_reach_every_page_of_their_registrations_and_each_is_accessible(
    crawl_as,
) -> None:
    visited = crawl_as("marc", "/inscriptions/", only=EVENT_PAGES)
    assert any(p.startswith("/inscription/") for p in visited)
    assert any(p.startswith("/covoiturage/") for p in visited)


def test_a_visitor_can_reach_every_page_of_the_commons_and_each_is_accessible(crawl_as) -> None:
    visited = crawl_as(None, "/communs/", only=COMMONS_PAGES)
    conciergerie = DocPage.objects.get(title="Conciergerie de tiers-lieu")
    assert reverse("commons:page", args=[conciergerie.slug]) in visited
    for part in ["/historique", "/discussion", "/liens"]:
        assert any(part in p for p in visited), part
    for path in ["/communs/modifications-recentes", "/communs/pages-demandees"]:
        assert path in visited, path
    assert any("/diff" in p for p in visited)
    assert any(p.startswith("/communs/recherche") for p in visited)


def test_a_moderator_can_reach_every_page_of_the_commons_and_each_is_accessible(
    crawl_as,
) -> None:
    charter = DocPage.objects.get(title="Charte du réseau Ouest")
    visited = crawl_as("camille", charter.get_absolute_url(), only=COMMONS_PAGES)
    for name in ["edit", "history", "remix", "attachments"]:
        path = reverse(f"commons:{name}", args=[charter.slug])
        assert path in visited, path
    assert "/communs/suivi" in visited
