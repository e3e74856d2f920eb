"""Edits from the same revision at the same instant, with real concurrent connections: one is
saved, every other one is told of the conflict; two people creating the same title at once
get one page. Runs on SQLite by default and on PostgreSQL with DATABASE_URL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from tests.concurrency import race
from tiers.commons import services
from tiers.commons.models import Page, Revision
from tiers.commons.services import PageData

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

EDITORS = 20


def test_simultaneous_edits_from_one_revision(make_user, make_page):
    page = make_page("Page disputée", "v1")
    editors = [make_user(f"Éditrice {n}") for n in range(EDITORS)]

    def job(user) -> Callable[[], str]:
        def save() -> str:
            data = PageData(title="Page disputée", body=f"texte de {user.display_name}")
            services.edit_page(user, Page.objects.get(pk=page.pk), data, base=1)
            return "saved"

        return save

    outcomes = race([job(user) for user in editors])
    assert outcomes == Counter({"saved": 1, "edit_conflict": EDITORS - 1})
    page.refresh_from_db()
    assert page.revision_number == 2 and Revision.objects.filter(page=page).count() == 2
    assert page.body == page.current_revision.body


def test_simultaneous_creations_of_one_title(make_user):
    people = [make_user(f"Personne {n}") for n in range(EDITORS)]

    def job(user, n) -> Callable[[], str]:
        def create() -> str:
            title = "Café réparation" if n % 2 else "cafe_reparation"
            services.create_page(user, PageData(title=title, body=user.display_name))
            return "created"

        return create

    outcomes = race([job(user, n) for n, user in enumerate(people)])
    assert outcomes == Counter({"created": 1, "title_taken": EDITORS - 1})
    assert Page.objects.count() == 1 and Revision.objects.count() == 1
