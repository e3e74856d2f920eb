"""The interactive API console is reachable from every page's footer: it is checked too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import visit

pytestmark = pytest.mark.e2e


def test_the_api_console_lists_the_operations_and_is_accessible(
    page: Page, axe_check: Callable[[Page], None]
) -> None:
    visit(page, "/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock-tag-section").first).to_be_visible()
    expect(page.locator("#operations-heading")).to_have_count(1)
    assert page.locator("html").get_attribute("lang") in ("en", "fr")
    axe_check(page)
