"""Browser tests: Debian's Chromium driven by Playwright, axe-core run on every page visited.

One Chromium runs for all the browser tests; each test gets a fresh browser context (cookies,
storage) on pages served by pytest-django's `live_server`. Nothing leaves the machine: map
tiles are answered locally and any other outside request is aborted and makes the test fail.

Without Chromium these tests are skipped (with the reason shown) on a developer's machine,
but they fail under CI (`CI=true`): a browser suite that silently skips protects nothing.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    Route,
    WebError,
    expect,
    sync_playwright,
)

from tests.e2e.helpers import run_axe
from tiers.accounts.models import User

HERE = Path(__file__).resolve().parent

# Generous: a loaded CI machine may be slow, and every wait is on an element, never a sleep.
TIMEOUT_MS = 20_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The map's tiles are fetched from this path of the test server and answered with a blank tile.
TILES_PATH = "/e2e-tiles/"
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def chromium_executable() -> str | None:
    """Debian's Chromium: $CHROMIUM_PATH if set, else /usr/bin/chromium, else `chromium` on PATH."""
    override = os.environ.get("CHROMIUM_PATH", "")
    if override:
        return override if Path(override).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e/ is an `e2e` test, so `-m "not e2e"` always leaves it out."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all the browser tests, stopped once they are done.

    Playwright's sync API keeps an asyncio loop running in this thread while it runs, and
    Django refuses database calls while a loop runs: the check is lifted (the calls are still
    synchronous) for exactly that time. Package scope, not session: the loop and the variable
    must be gone before the rest of the suite runs (the variable would reach its subprocesses).
    """
    executable = chromium_executable()
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium): browser tests not run"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _local_map_tiles(settings) -> None:
    settings.MAP_TILES_URL = TILES_PATH + "{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = "Tiles: test"


class Watch:
    """What went wrong in a browser context, checked when the test ends.

    Requests leaving the test server are aborted (no test touches the network), map tiles are
    answered with a blank image, and server errors (5xx) and uncaught JavaScript errors are
    recorded: a page may look right while its script or one of its requests failed.
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.problems.append(f"request outside the test server: {url}")
            route.abort()
        elif parts.path.startswith(TILES_PATH):
            route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)
        else:
            route.continue_()

    def response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} on {response.url}")

    def web_error(self, error: WebError) -> None:
        self.problems.append(f"JavaScript error: {error.error}")


@pytest.fixture
def new_context(browser: Browser, live_server) -> Iterator[Callable[..., BrowserContext]]:
    """Open browser contexts (fresh cookies) on the test server; closed after the test.

    English by default: the source language, whose texts do not move when translations do.
    """
    opened: list[tuple[BrowserContext, Watch]] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "Europe/Paris")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        watch = Watch(live_server.url)
        context.route("**/*", watch.route)
        context.on("response", watch.response)
        context.on("weberror", watch.web_error)
        opened.append((context, watch))
        return context

    expect.set_options(timeout=TIMEOUT_MS)
    yield make
    problems = [problem for _, watch in opened for problem in watch.problems]
    for context, _ in opened:
        context.close()
    assert not problems, "in the browser:\n" + "\n".join(problems)


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh context, in English (the source language: stable texts to look for)."""
    return new_context().new_page()


@pytest.fixture
def log_in(live_server) -> Callable[[BrowserContext, User], None]:
    """Give a browser context the session of a user, for tests that are not about logging in."""

    def log_in(context: BrowserContext, user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])

    return log_in


@pytest.fixture
def axe_check() -> Callable[[Page], None]:
    """`axe_check(page)`: fail the test listing the WCAG violations axe finds on the page."""
    return run_axe
