"""A page's history, one old revision, the diff of two revisions, recent changes and
contributions: what everyone sees, what the forms do, bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.commons.conftest import edit
from tiers.commons import services
from tiers.commons.models import Revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    """Pages in English (the messages the tests look for)."""

    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def page(make_page, member_a, make_user):
    """A page of the whole commons with three revisions by two people."""
    page = make_page("Café réparation", "Première version du texte.", author=member_a)
    edit(member_a, page, body="Deuxième version du texte.", comment="mieux dit")
    other = make_user("Bea")
    edit(other, page, body="Troisième version du texte, plus longue.", comment="plus long")
    page.refresh_from_db()
    return page


def url(name: str, page, *args) -> str:
    return reverse(f"commons:{name}", args=[page.slug, *args])


def test_history_lists_every_revision_with_author_size_and_actions(client_for, page, member_a):
    response = client_for(None).get(url("history", page))
    assert response.status_code == 200
    html = response.content.decode()
    for number in (1, 2, 3):
        assert url("revision", page, number) in html
    assert "Bea" in html and "Member A" in html
    assert reverse("commons:contributions", args=[member_a.pk]) in html
    assert "mieux dit" in html and "plus long" in html
    # size change with a sign, not only a colour
    assert "size-up" in html and "+14 bytes" in html
    assert 'name="de"' in html and 'name="a"' in html
    # anonymous people see no write action
    assert url("revert", page, 1) not in html
    assert reverse("commons:rollback", args=[page.slug]) not in html


def test_history_shows_restore_to_editors_and_moderation_to_moderators(
    client_for, page, member_a, coordinator
):
    html = client_for(member_a).get(url("history", page)).content.decode()
    assert url("revert", page, 1) in html
    assert url("revert", page, 3) not in html  # the current one
    assert url("hide", page, 1) not in html
    html = client_for(coordinator).get(url("history", page)).content.decode()
    assert url("hide", page, 1) in html and url("hide", page, 3) not in html
    assert reverse("commons:rollback", args=[page.slug]) in html
    assert "Undo the last edit by Bea" in html


def test_history_of_an_unknown_page_is_404_and_an_old_title_redirects(client_for, page, member_a):
    assert client_for(None).get("/communs/pages/nulle-part/historique").status_code == 404
    edit(member_a, page, title="Repair café")
    response = client_for(None).get("/communs/pages/cafe-reparation/historique")
    assert response.status_code == 302
    assert response["Location"] == "/communs/pages/repair-cafe/historique"


def test_history_reads_few_queries(client_for, page, make_user, django_assert_max_num_queries):
    for i in range(30):
        edit(make_user(f"P{i}"), page, body=f"Version {i}")
    client = client_for(None)
    with django_assert_max_num_queries(12):
        response = client.get(url("history", page))
    assert response.status_code == 200


def test_old_revision_is_rendered_with_a_banner_and_links(client_for, page):
    response = client_for(None).get(url("revision", page, 2))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deuxième version du texte." in html
    assert "You are looking at an old revision (2) of this page" in html
    assert url("revision", page, 1) in html and url("revision", page, 3) in html
    assert f"{url('diff', page)}?de=1&amp;a=2" in html
    assert f"{url('diff', page)}?de=2&amp;a=3" in html
    assert client_for(None).get(url("revision", page, 9)).status_code == 404


def test_an_old_revision_is_rendered_by_the_sanitising_renderer(client_for, make_page, member_a):
    page = make_page("Piège", "<script>alert(1)</script>[x](javascript:alert(2)) [[Ailleurs]]")
    edit(member_a, page, body="propre")
    html = client_for(None).get(url("revision", page, 1)).content.decode()
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "wikilink--new" in html


def test_diff_of_two_revisions_shows_words_and_metadata(client_for, page, member_a):
    edit(member_a, page, title="Café de réparation", summary="Réparer ensemble")
    response = client_for(None).get(url("diff", page) + "?de=1&a=3")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<del><span class="visually-hidden">[removed: </span>Première' in html
    assert "Troisième" in html
    response = client_for(None).get(url("diff", page) + "?de=3&a=4")
    html = response.content.decode()
    assert "Café réparation" in html and "Café de réparation" in html  # title change
    assert "Réparer ensemble" in html
    assert "The text is the same." in html


def test_diff_defaults_to_the_last_change_and_orders_the_revisions(client_for, page):
    html = client_for(None).get(url("diff", page)).content.decode()
    assert "Revision 2" in html and "Revision 3" in html
    swapped = client_for(None).get(url("diff", page) + "?de=3&a=1")
    assert swapped.status_code == 200
    assert swapped.context["old"].number == 1 and swapped.context["new"].number == 3
    only_from = client_for(None).get(url("diff", page) + "?de=1")
    assert only_from.context["new"].number == 3


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?de=abc&a=2", 400),
        ("?de=1&a=2.5", 400),
        ("?de=-1&a=2", 400),
        ("?de=0&a=2", 400),
        ("?de=1&a=99", 404),
        ("?de=99999999999999999999&a=1", 400),
        ("?de=1&a=%00", 400),
    ],
)
def test_diff_with_bad_numbers_is_a_clear_answer(client_for, page, query, status):
    response = client_for(None).get(url("diff", page) + query)
    assert response.status_code == status
    if status == 400:
        assert "Choose two revision numbers of this page." in response.content.decode()


def test_diff_of_a_revision_with_itself(client_for, page):
    response = client_for(None).get(url("diff", page) + "?de=2&a=2")
    assert response.status_code == 200
    assert "This is the same revision" in response.content.decode()


def test_revert_by_an_editor_makes_a_new_revision(client_for, page, member_a):
    response = client_for(member_a).post(url("revert", page, 1))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.revision_number == 4
    assert page.body == "Première version du texte."
    latest = page.revisions.get(number=4)
    assert latest.action == Revision.Action.REVERT and latest.reverted_to == 1
    assert latest.author == member_a


def test_revert_needs_a_signed_in_editor_and_a_post(client_for, page, make_place, make_user,
                                                    make_page, manager_b, member_a):  # fmt: skip
    response = client_for(None).post(url("revert", page, 1))
    assert (response.status_code == 302 and "/connexion" in response["Location"]) or (
        "login" in response["Location"]
    )
    assert client_for(member_a).get(url("revert", page, 1)).status_code == 405
    # a page of place A: a manager of B may not edit it
    place_page = make_page("Règles du Quai", "Un", place=member_a.memberships.first().place)
    edit(member_a, place_page, body="Deux")
    assert client_for(manager_b).post(url("revert", place_page, 1)).status_code == 403
    unverified = make_user("Unverified", verified=False)
    assert client_for(unverified).post(url("revert", page, 1)).status_code == 403
    page.refresh_from_db()
    assert page.revision_number == 3
    assert client_for(member_a).post(url("revert", page, 42)).status_code == 404


def test_revert_without_csrf_is_refused(page, member_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member_a)
    assert client.post(url("revert", page, 1)).status_code == 403
    page.refresh_from_db()
    assert page.revision_number == 3


def test_revert_is_rate_limited_with_a_429(client_for, page, make_user, settings):
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 1
    newcomer = make_user("New")
    edit(newcomer, page, body="Un changement")
    response = client_for(newcomer).post(url("revert", page, 1))
    assert response.status_code == 429
    assert response["Retry-After"]


def test_recent_changes_list_every_page_with_filters(
    client_for, make_page, member_a, place_a, network
):
    commons = make_page("Page commune", "Un", author=member_a)
    local = make_page("Page du Quai", "Un", author=member_a, place=place_a)
    recette = make_page("Recette de soupe", "Un", author=member_a, kind="recette")
    edit(member_a, commons, body="Deux", comment="ajout utile")
    html = client_for(None).get(reverse("commons:recent")).content.decode()
    for item in (commons, local, recette):
        assert item.title in html
    assert "ajout utile" in html
    assert f"{url('diff', commons)}?de=1&amp;a=2" in html
    response = client_for(None).get(reverse("commons:recent") + "?lieu=le-quai")
    assert [c.page_id for day in response.context["days"] for c in day[1]] == [local.pk]
    response = client_for(None).get(reverse("commons:recent") + "?reseau=reseau-ouest")
    assert {c.page_id for day in response.context["days"] for c in day[1]} == {local.pk}
    response = client_for(None).get(reverse("commons:recent") + "?kind=recette")
    assert {c.page_id for day in response.context["days"] for c in day[1]} == {recette.pk}
    response = client_for(None).get(reverse("commons:recent") + "?kind=nope&lieu=nowhere&page=x")
    assert response.status_code == 200
    assert "Some filters are not understood" in response.content.decode()


def test_recent_changes_can_hide_imports(client_for, make_page, member_a):
    imported = services.create_page(
        None, services.PageData(title="Importée", body="x"), action="import",
        author_name="WikiUser", check=False,
    )  # fmt: skip
    make_page("Écrite ici", "x", author=member_a)
    response = client_for(None).get(reverse("commons:recent") + "?sans_imports=on")
    pages = {c.page_id for day in response.context["days"] for c in day[1]}
    assert imported.pk not in pages and len(pages) == 1


def test_recent_changes_are_paginated_without_counting(
    client_for, make_page, member_a, django_assert_max_num_queries, settings
):
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = settings.COMMONS_EDITS_PER_HOUR = 1000
    page = make_page("Beaucoup", "0", author=member_a)
    for i in range(1, 60):
        edit(member_a, page, body=str(i))
    client = client_for(None)
    with django_assert_max_num_queries(8):
        first = client.get(reverse("commons:recent"))
    assert first.context["listing"].has_next
    second = client.get(reverse("commons:recent") + "?page=2")
    assert len([c for day in second.context["days"] for c in day[1]]) == 10
    assert client.get(reverse("commons:recent") + "?page=5000").status_code == 404


def test_contributions_list_a_persons_revisions(client_for, page, member_a, make_user):
    response = client_for(None).get(reverse("commons:contributions", args=[member_a.pk]))
    assert response.status_code == 200
    changes = [c for day in response.context["days"] for c in day[1]]
    assert [c.number for c in changes] == [2, 1]
    assert "Undo all their last edits" not in response.content.decode()
    assert client_for(None).get(reverse("commons:contributions", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/communs/pages/%00/historique",
        "/communs/pages/%00/diff?de=1",
        "/communs/pages/%00/liens",
        "/communs/pages/%00/historique.atom",
        "/communs/pages/cafe-reparation/versions/99999999999999999999/",
        "/communs/contributions/99999999999999999999/",
        "/communs/suivi/%00.atom",
        "/communs/modifications-recentes?lieu=%00&reseau=%00&kind=%00",
        "/communs/modifications-recentes.rss?lieu=%00",
        "/communs/pages-demandees?page=%00",
    ],
)
def test_hostile_addresses_are_never_a_500(client_for, page, path):
    response = client_for(None).get(path)
    assert response.status_code in (200, 404)


def test_hostile_posts_are_never_a_500(client_for, page, member_a, coordinator):
    for user, path, data in [
        (member_a, "/communs/pages/cafe-reparation/versions/99999999999999999999/restaurer", {}),
        (coordinator, "/communs/pages/cafe-reparation/versions/99999999999999999999/masquer", {}),
        (coordinator, "/communs/pages/cafe-reparation/versions/1/masquer",
         {"hidden": "1", "reason": "a\x00b"}),
        (member_a, "/communs/pages/cafe-reparation/versions/1/restaurer", {"comment": "x\x00"}),
        (coordinator, "/communs/pages/cafe-reparation/annuler", {"version": "9" * 50}),
        (member_a, "/communs/suivi", {"action": "email", "page": "9" * 30}),
        (member_a, "/communs/suivi", {"action": "unwatch", "page": "\x00"}),
    ]:  # fmt: skip
        response = client_for(user).post(path, data)
        assert response.status_code in (302, 404), path
    page.refresh_from_db()
    assert page.revision_number == 3
    assert not page.revisions.filter(hidden=True).exists()
