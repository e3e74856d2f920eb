"""Full-text search of the commons (filled in below)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiers.commons.models import Page


def index(page: Page) -> None:
    """Write the page's entry in the search index."""


def unindex(page_id: int) -> None:
    """Remove a page's entry from the search index."""
