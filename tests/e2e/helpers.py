"""Helpers for the browser tests: axe-core, the texts a person reads, page visits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import translation
from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

_RUN_AXE = """async ([rules, tags]) => {
    const only = rules ? {type: "rule", values: rules} : {type: "tag", values: tags};
    const result = await window.axe.run(document, {runOnly: only, resultTypes: ["violations"]});
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")),
        summary: v.nodes.length ? v.nodes[0].failureSummary : "",
    }));
}"""

_SET_MAPS_VISIBILITY = """(visibility) => {
    const maps = document.querySelectorAll(".leaflet-container");
    maps.forEach((map) => { map.style.visibility = visibility; });
    return maps.length;
}"""


def run_axe(page: Page) -> None:
    """Run axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is; fail on any violation.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    (no inline scripts) does not block, so pages are tested with the policy they are served with.

    A Leaflet map lays its tiles out past its own edges (clipped by `overflow: hidden`); axe
    takes them for elements covering the text around the map and cannot tell that text's
    contrast ("incomplete", not a violation). So when the page has a map, contrast is checked a
    second time with the maps hidden: the map's own markup is checked by the first pass.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, [None, AXE_TAGS])
    if page.evaluate(_SET_MAPS_VISIBILITY, "hidden"):
        try:
            violations += page.evaluate(_RUN_AXE, [["color-contrast"], None])
        finally:
            page.evaluate(_SET_MAPS_VISIBILITY, "")
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    on: {', '.join(v['targets'])}"
        f"\n    {v['summary']}"
        for v in violations
    )
    assert not violations, f"axe found accessibility violations on {page.url}:\n{report}"


def tr(page: Page, message: str, **params: Any) -> str:
    """`message` as the page shows it: translated into the page's language (its `<html lang>`).

    The walk finds buttons and texts by what a person reads, in whatever language the page is
    in (a person's profile may choose it), without tying the tests to the current translations.
    """
    language = page.locator("html").get_attribute("lang") or "fr"
    with translation.override(language):
        text = translation.gettext(message)
        values = {key: str(value) for key, value in params.items()}
    return text % values if values else text


def visit(page: Page, path: str) -> None:
    """Open `path` on the test server, as a typed address; it must answer 200."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == 200, f"{path} answered {response.status}"
