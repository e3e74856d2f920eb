"""What links here, and wanted pages (links to pages nobody wrote yet)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.commons.conftest import edit
from tiers.commons import services
from tiers.commons.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def wanted_rows(client) -> list[tuple[str, int]]:
    response = client.get(reverse("commons:wanted"))
    assert response.status_code == 200
    return [(row["title"], row["count"]) for row in response.context["rows"]]


def test_wanted_pages_are_counted_and_ordered(client_for, make_page):
    make_page("Accueil", "Voir [[Four à pain]] et [[Compost]].")
    make_page("Jardin", "Voir [[Compost]], [[compost|le compost]].")
    make_page("Cuisine", "Le [[Compost]] et le [[Four à pain]] et [[Cuisine]].")
    assert wanted_rows(client_for(None)) == [("Compost", 3), ("Four à pain", 2)]
    html = client_for(None).get(reverse("commons:wanted")).content.decode()
    assert reverse("commons:create") + "?titre=Compost" in html
    assert "linked from 3 pages" in html


def test_creating_a_wanted_page_makes_its_links_plain(client_for, make_page, member_a):
    linking = make_page("Accueil", "Voir [[Four à pain]].")
    client = client_for(None)
    page_html = client.get(linking.get_absolute_url()).content.decode()
    assert "wikilink--new" in page_html
    assert wanted_rows(client) == [("Four à pain", 1)]
    four = services.create_page(member_a, services.PageData(title="Four à pain", body="Chaud"))
    assert wanted_rows(client) == []
    linking.refresh_from_db()
    assert linking.html == ""  # its cached HTML was dropped
    page_html = client.get(linking.get_absolute_url()).content.decode()
    assert "wikilink--new" not in page_html
    assert f'href="{four.get_absolute_url()}"' in page_html
    backlinks = client.get(reverse("commons:backlinks", args=[four.slug]))
    assert [source.title for source in backlinks.context["sources"]] == ["Accueil"]


def test_what_links_here_counts_links_to_old_titles(client_for, make_page, member_a):
    target = make_page("Four à pain", "Chaud", author=member_a)
    make_page("Accueil", "Voir [[Four à pain]].")
    edit(member_a, target, title="Four à bois")
    make_page("Cuisine", "Le [[Four à pain|four]] encore.")  # the old title, now an alias
    make_page("Jardin", "Le [[Four à bois]].")
    make_page("Sans lien", "Rien.")
    target.refresh_from_db()
    response = client_for(None).get(reverse("commons:backlinks", args=[target.slug]))
    assert [source.title for source in response.context["sources"]] == [
        "Accueil", "Cuisine", "Jardin",
    ]  # fmt: skip
    assert wanted_rows(client_for(None)) == []
    # the old address leads to the page's list
    old = client_for(None).get(reverse("commons:backlinks", args=["four-a-pain"]))
    assert old.status_code == 302


def test_what_links_here_for_an_orphan_and_an_unknown_page(client_for, make_page):
    page = make_page("Orpheline", "x")
    response = client_for(None).get(reverse("commons:backlinks", args=[page.slug]))
    assert "No page links here yet." in response.content.decode()
    assert client_for(None).get(reverse("commons:backlinks", args=["rien"])).status_code == 404


def test_a_deleted_page_is_wanted_again(client_for, make_page, make_user, coordinator):
    vandal = make_user("Vandal")
    make_page("Accueil", "Voir [[Tarifs]].")
    tarifs = services.create_page(vandal, services.PageData(title="Tarifs", body="SPAM"))
    assert wanted_rows(client_for(None)) == []
    services.rollback(coordinator, tarifs, author_id=vandal.pk)
    assert not Page.objects.filter(pk=tarifs.pk).exists()
    assert wanted_rows(client_for(None)) == [("Tarifs", 1)]


def test_hostile_wanted_titles_are_escaped(client_for, make_page):
    make_page("Accueil", "Voir [[<script>alert(1)</script>]].")
    html = client_for(None).get(reverse("commons:wanted")).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert urlencode({"titre": "<script>alert(1)</script>"}) in html


def test_wanted_pages_are_paginated_with_few_queries(
    client_for, make_page, django_assert_max_num_queries
):
    body = " ".join(f"[[Manque {i:03d}]]" for i in range(60))
    make_page("Beaucoup de liens", body)
    client = client_for(None)
    with django_assert_max_num_queries(6):
        first = client.get(reverse("commons:wanted"))
    assert len(first.context["rows"]) == 50
    second = client.get(reverse("commons:wanted") + "?page=2")
    assert len(second.context["rows"]) == 10
    assert client.get(reverse("commons:wanted") + "?page=abc").status_code == 200


def test_the_wanted_list_is_cached_until_the_wanted_links_change(
    client_for, make_page, member_a, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from tiers.commons import wanted

    accueil = make_page("Accueil", "Voir [[Four à pain]].")
    client = client_for(None)
    assert wanted_rows(client) == [("Four à pain", 1)]
    with django_assert_num_queries(0):  # anonymous, no session: nothing but the cached list
        assert wanted_rows(client) == [("Four à pain", 1)]
    version = wanted.cache.get(wanted.VERSION_KEY)
    # an edit that leaves the wanted links as they were keeps the list
    edit(member_a, accueil, body="Voir [[Four à pain]], vite.")
    assert wanted.cache.get(wanted.VERSION_KEY) == version
    # one that adds a wanted link renews it, now and again after the commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        edit(member_a, accueil, body="Voir [[Four à pain]] et [[Compost]].")
    assert [c.__qualname__ for c in callbacks].count("changed.<locals>.renew") == 1
    assert wanted.cache.get(wanted.VERSION_KEY) != version
    assert wanted_rows(client) == [("Compost", 1), ("Four à pain", 1)]
