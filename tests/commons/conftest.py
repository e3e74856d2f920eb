from __future__ import annotations

from collections.abc import Callable

import pytest

from tiers.accounts.models import User
from tiers.commons import services
from tiers.commons.models import Page
from tiers.commons.services import PageData


@pytest.fixture
def make_page(db) -> Callable[..., Page]:
    """A page created as the site itself (no permission check); `author` signs its revision."""

    def make(title: str = "Recette du café", body: str = "Du texte.", *, author: User | None = None,
             place=None, network=None, parent=None, **fields) -> Page:  # fmt: skip
        return services.create_page(
            author, PageData(title=title, body=body, **fields), place=place, network=network,
            parent=parent, check=False,
        )  # fmt: skip

    return make


def edit(user: User, page: Page, **changes) -> services.Revision | None:
    """Edit `page` as `user` from its current revision, changing only `changes`."""
    page.refresh_from_db()
    data = PageData.of_page(page)
    for name, value in changes.items():
        setattr(data, name, value)
    return services.edit_page(user, page, data, base=page.revision_number)
