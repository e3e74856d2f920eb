"""The directory's map: reachable with the keyboard, named, each marker leading to its place."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import tr, visit
from tiers.places.models import Place

pytestmark = pytest.mark.e2e


def test_markers_are_named_and_open_a_popup_from_the_keyboard(
    page: Page, axe_check: Callable[[Page], None], place_a: Place, place_b: Place
) -> None:
    visit(page, "/")
    region = page.get_by_role("region", name=tr(page, "Map of the places"))
    expect(region.locator(".leaflet-marker-icon")).to_have_count(2)
    marker = region.get_by_role("button", name="Le Quai")
    expect(region.get_by_role("button", name="La Fabrique")).to_be_visible()

    # The credits' links sit on map imagery: underlined, not told apart by colour alone (axe
    # only sees this when no tile happens to lie under them).
    credits = region.locator(".leaflet-control-attribution a").all()
    assert credits
    for link in credits:
        assert "underline" in link.evaluate("(a) => getComputedStyle(a).textDecorationLine")

    marker.focus()
    page.keyboard.press("Enter")
    popup = region.locator(".leaflet-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text(place_a.town)
    axe_check(page)  # with the popup open

    popup.get_by_role("link", name="Le Quai").click()
    expect(page).to_have_url(re.compile(f"{place_a.get_absolute_url()}$"))
    place_map = page.get_by_role("region", name=tr(page, "Map"))
    # The place's own marker does nothing when activated: an image, not a button.
    expect(place_map.get_by_role("img", name="Le Quai")).to_be_visible()
    expect(place_map.get_by_role("button", name="Le Quai")).to_have_count(0)
    axe_check(page)


def test_nearby_places_are_grouped_and_the_group_opens_on_activation(
    page: Page,
    axe_check: Callable[[Page], None],
    make_place: Callable[..., Place],
) -> None:
    # Three places a few hundred metres apart in Redon: one cluster at the country's scale.
    for n, (lat, lon) in enumerate([(47.6519, -2.084), (47.6531, -2.0861), (47.6502, -2.0822)]):
        make_place(f"Lieu {n + 1}", latitude=lat, longitude=lon)
    make_place("La Fabrique", town="Strasbourg", latitude=48.5762, longitude=7.7843)
    visit(page, "/")
    region = page.get_by_role("region", name=tr(page, "Map of the places"))
    cluster = region.locator(".marker-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_accessible_name(f"{tr(page, 'Places in this area:')} 3")
    axe_check(page)

    cluster.focus()
    page.keyboard.press("Enter")  # zooms in until the places are apart
    for n in (1, 2, 3):
        expect(region.get_by_role("button", name=f"Lieu {n}")).to_be_visible()
    axe_check(page)
