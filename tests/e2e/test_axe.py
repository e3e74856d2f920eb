"""The browser tests' own tools: axe_check must report what it is there to find."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.helpers import visit
from tiers.places.models import Place

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_axe_check_reports_violations_also_next_to_a_map(
    page: Page, axe_check: Callable[[Page], None], place_a: Place
) -> None:
    visit(page, "/")
    page.locator("#map .leaflet-marker-icon").first.wait_for()
    axe_check(page)  # the page as served is clean

    # Pale text just above the map: axe alone cannot tell its contrast (see run_axe).
    page.evaluate(
        """() => {
            document.querySelector(".lead").style.color = "#ddd";
            document.querySelector("main").append(Object.assign(
                document.createElement("img"), {src: "/static/css/none.png"}));
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        axe_check(page)
    report = str(failure.value)
    assert "color-contrast" in report
    assert ".lead" in report
    assert "image-alt" in report


def test_chromium_starts(browser: Browser) -> None:
    assert browser.is_connected()
    assert browser.version.split(".")[0].isdigit()


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("false", "1 skipped")])
def test_without_chromium_browser_tests_fail_under_ci_and_skip_elsewhere(
    ci: str, outcome: str
) -> None:
    env = {**os.environ, "CI": ci, "CHROMIUM_PATH": "/nonexistent/chromium"}
    env["DATABASE_URL"] = "sqlite:///:memory:"  # not the database this session is using
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    target = "tests/e2e/test_axe.py::test_chromium_starts"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome in run.stdout, run.stdout + run.stderr
    assert "Chromium is not installed" in run.stdout  # the reason is shown
    assert (run.returncode != 0) == (ci == "true"), run.stdout
