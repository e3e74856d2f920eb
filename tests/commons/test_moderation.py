"""Moderation: restore a revision, undo a vandal's edits on a page or everywhere, hide a
revision; who may; and hidden content never shown to others (history, revision, diff,
feeds, recent changes, API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.commons.conftest import edit
from tiers.commons import services
from tiers.commons.errors import CommonsError
from tiers.commons.models import Page, PageLink, Revision

pytestmark = pytest.mark.django_db

SECRET = "Adresse privée de Bea: 12 rue Secrète"


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def vandal(make_user):
    return make_user("Vandal")


@pytest.fixture
def page(make_page, member_a):
    return make_page("Jardin partagé", "Le jardin est ouvert le samedi.", author=member_a)


def url(name: str, page, *args) -> str:
    return reverse(f"commons:{name}", args=[page.slug, *args])


def history_of(page) -> list[tuple[int, str, str]]:
    return list(
        Revision.objects.filter(page=page)
        .order_by("number")
        .values_list("number", "action", "body")
    )


# Undo one person's last edits on a page ---------------------------------------------------------


def test_rollback_undoes_a_vandals_consecutive_edits_in_one_action(
    client_for, page, member_a, vandal, coordinator
):
    edit(member_a, page, body="Le jardin est ouvert le samedi et le dimanche.")
    for text in ("SPAM", "SPAM SPAM", "n'importe quoi"):
        edit(vandal, page, body=text)
    history = client_for(coordinator).get(url("history", page)).content.decode()
    assert "Undo the last 3 edits by Vandal" in history
    response = client_for(coordinator).post(url("rollback", page), {"version": 5})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.revision_number == 6
    assert page.body == "Le jardin est ouvert le samedi et le dimanche."
    latest = page.revisions.get(number=6)
    assert latest.action == Revision.Action.ROLLBACK
    assert latest.reverted_to == 2 and latest.author == coordinator
    assert "Vandal" in latest.comment


def test_rollback_refuses_when_the_page_moved_on(client_for, page, vandal, coordinator, member_a):
    edit(vandal, page, body="SPAM")
    edit(member_a, page, body="Corrigé par Member A")  # after the moderator loaded the history
    response = client_for(coordinator).post(url("rollback", page), {"version": 2}, follow=True)
    assert "The page changed meanwhile" in response.content.decode()
    page.refresh_from_db()
    assert page.revision_number == 3 and page.body == "Corrigé par Member A"
    bad = client_for(coordinator).post(url("rollback", page), {"version": "x"}, follow=True)
    assert bad.status_code == 200
    page.refresh_from_db()
    assert page.revision_number == 3


def test_a_page_the_vandal_created_alone_is_deleted_by_rollback(
    client_for, make_page, vandal, coordinator, member_a
):
    linking = make_page("Accueil", "Voir [[Pub gratuite]].", author=member_a)
    spam = services.create_page(vandal, services.PageData(title="Pub gratuite", body="SPAM"))
    edit(vandal, spam, body="SPAM SPAM")
    assert PageLink.objects.get(source=linking).target == spam
    response = client_for(coordinator).post(url("rollback", spam), {"version": 2})
    assert response.status_code == 302 and response["Location"] == reverse("commons:index")
    assert not Page.objects.filter(pk=spam.pk).exists()
    # the link to it is a wanted page again
    assert PageLink.objects.get(source=linking).target is None
    wanted = client_for(None).get(reverse("commons:wanted")).content.decode()
    assert "Pub gratuite" in wanted


def test_rollback_everywhere_undoes_the_vandals_last_edits_on_every_page(
    client_for, make_page, member_a, vandal, coordinator, make_user
):
    first = make_page("Page une", "Un", author=member_a)
    second = make_page("Page deux", "Deux", author=member_a)
    repaired = make_page("Page trois", "Trois", author=member_a)
    for item in (first, second, repaired):
        edit(vandal, item, body="SPAM")
    edit(make_user("Helper"), repaired, body="Trois, réparée")
    contributions = reverse("commons:contributions", args=[vandal.pk])
    assert (
        "Undo all their last edits" in client_for(coordinator).get(contributions).content.decode()
    )
    # the first POST asks for confirmation and changes nothing
    confirm = client_for(coordinator).post(contributions)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Page une" in html and "Page deux" in html and "Page trois" not in html
    first.refresh_from_db()
    assert first.body == "SPAM"
    response = client_for(coordinator).post(contributions, {"confirm": "1"}, follow=True)
    assert "undone on 2 pages" in response.content.decode()
    for item, body in ((first, "Un"), (second, "Deux"), (repaired, "Trois, réparée")):
        item.refresh_from_db()
        assert item.body == body


def test_rollback_everywhere_is_for_commons_moderators_only(
    client_for, page, vandal, member_a, manager_a
):
    edit(vandal, page, body="SPAM")
    contributions = reverse("commons:contributions", args=[vandal.pk])
    for user in (member_a, manager_a):
        assert (
            "Undo all their last edits" not in client_for(user).get(contributions).content.decode()
        )
        assert client_for(user).post(contributions, {"confirm": "1"}).status_code == 403
    anonymous = client_for(None).post(contributions, {"confirm": "1"})
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    page.refresh_from_db()
    assert page.body == "SPAM"


# Restore a revision ------------------------------------------------------------------------------


def test_restoring_the_current_revision_changes_nothing(client_for, page, member_a):
    response = client_for(member_a).post(url("revert", page, 1), follow=True)
    assert "already the current one" in response.content.decode()
    assert page.revisions.count() == 1


def test_a_hidden_revision_cannot_be_restored_by_an_editor(page, member_a, coordinator, make_user):
    edit(make_user("Bea"), page, body=SECRET)
    edit(member_a, page, body="Texte propre")
    services.hide_revision(coordinator, page.revisions.get(number=2), hidden=True, reason="privé")
    with pytest.raises(CommonsError):
        services.revert(member_a, page, 2)
    page.refresh_from_db()
    assert page.body == "Texte propre"


# Hide a revision ---------------------------------------------------------------------------------


@pytest.fixture
def hidden_page(page, make_user, member_a, coordinator, client_for):
    """Revision 2 holds a secret (also in its edit summary); revision 3 removed it; a
    moderator hid revision 2."""
    edit(make_user("Bea"), page, body=SECRET, comment=f"ajout {SECRET}")
    edit(member_a, page, body="Le jardin est ouvert le samedi.", comment="retrait")
    response = client_for(coordinator).post(
        url("hide", page, 2), {"hidden": "1", "reason": "données personnelles"}
    )
    assert response.status_code == 302
    return page


def test_hiding_a_revision(hidden_page, coordinator):
    revision = hidden_page.revisions.get(number=2)
    assert revision.hidden and revision.hidden_by == coordinator
    assert revision.hidden_reason == "données personnelles"
    assert revision.body == SECRET  # hidden, never rewritten


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_hidden_content_is_not_shown_to_others(client_for, hidden_page, member_a, who):
    client = client_for(member_a if who == "member" else None)
    pages = {
        "history": client.get(url("history", hidden_page)),
        "revision": client.get(url("revision", hidden_page, 2)),
        "diff after": client.get(url("diff", hidden_page) + "?de=2&a=3"),
        "diff before": client.get(url("diff", hidden_page) + "?de=1&a=2"),
        "diff default": client.get(url("diff", hidden_page) + "?de=1"),
        "recent": client.get(reverse("commons:recent")),
        "contributions": client.get(
            reverse("commons:contributions", args=[hidden_page.revisions.get(number=2).author_id])
        ),
        "rss": client.get(reverse("commons:recent_rss")),
        "atom": client.get(reverse("commons:recent_atom")),
        "page atom": client.get(url("page_atom", hidden_page)),
    }
    for name, response in pages.items():
        assert response.status_code in (200, 403), name
        text = response.content.decode()
        assert "Secrète" not in text, name
    assert "This revision was hidden by a moderator." in pages["revision"].content.decode()
    assert pages["diff after"].status_code == 403
    assert "was hidden by a moderator" in pages["diff after"].content.decode()
    assert "hidden by a moderator" in pages["history"].content.decode()
    # nor the diff links that lead to it
    assert f"{url('diff', hidden_page)}?de=1&amp;a=2" not in pages["history"].content.decode()


def test_hidden_content_is_not_in_the_pages_api(client_for, hidden_page):
    response = client_for(None).get(f"/api/v1/pages/{hidden_page.slug}/revisions")
    if response.status_code == 404 and "application/json" not in response.get("Content-Type", ""):
        pytest.skip("the pages API is not installed")
    assert response.status_code == 200
    assert "Secrète" not in response.content.decode("unicode_escape", errors="replace")
    assert "Secr" not in response.content.decode()


def test_moderators_still_see_hidden_content(client_for, hidden_page, coordinator):
    client = client_for(coordinator)
    assert SECRET in client.get(url("revision", hidden_page, 2)).content.decode()
    diff = client.get(url("diff", hidden_page) + "?de=2&a=3")
    assert diff.status_code == 200 and "Secrète" in diff.content.decode()
    history = client.get(url("history", hidden_page)).content.decode()
    assert "données personnelles" in history and "Show again" in history


def test_showing_a_hidden_revision_again(client_for, hidden_page, coordinator):
    client_for(coordinator).post(url("hide", hidden_page, 2), {"hidden": "0"})
    revision = hidden_page.revisions.get(number=2)
    assert not revision.hidden and revision.hidden_by is None and revision.hidden_reason == ""
    assert SECRET in client_for(None).get(url("revision", hidden_page, 2)).content.decode()


def test_the_current_revision_cannot_be_hidden(client_for, page, coordinator):
    response = client_for(coordinator).post(url("hide", page, 1), {"hidden": "1"}, follow=True)
    assert "The current revision cannot be hidden" in response.content.decode()
    assert not page.revisions.get(number=1).hidden


def test_hiding_an_unknown_revision_is_404(client_for, page, coordinator):
    assert client_for(coordinator).post(url("hide", page, 7), {"hidden": "1"}).status_code == 404
    assert client_for(coordinator).post("/communs/pages/rien/versions/1/masquer").status_code == 404


# Who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["hide", "rollback"])
def test_only_moderators_hide_and_roll_back(
    client_for, make_page, member_a, concierge_a, manager_b, vandal, place_a, action
):
    page = make_page("Règles du Quai", "Un", author=member_a, place=place_a)
    edit(member_a, page, body="Deux")
    target = url("hide", page, 1) if action == "hide" else url("rollback", page)
    data = {"hidden": "1"} if action == "hide" else {"version": 2}
    for user in (member_a, concierge_a, manager_b):
        assert client_for(user).post(target, data).status_code == 403, user
    anonymous = client_for(None).post(target, data)
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    assert client_for(member_a).get(target).status_code == 405
    assert history_of(page)[-1][0] == 2
    assert not page.revisions.filter(hidden=True).exists()


def test_a_place_manager_moderates_the_places_pages(client_for, make_page, member_a, manager_a,
                                                    place_a, vandal):  # fmt: skip
    page = make_page("Horaires du Quai", "Ouvert", author=member_a, place=place_a)
    from tiers.places.models import Membership

    Membership.objects.create(
        user=vandal, place=place_a, state=Membership.State.ACTIVE, started_on="2024-01-01"
    )
    edit(vandal, page, body="Fermé pour toujours")
    assert client_for(manager_a).post(url("rollback", page), {"version": 2}).status_code == 302
    page.refresh_from_db()
    assert page.body == "Ouvert"


# Rollback and hidden revisions, rollback and watchers --------------------------------------------


def test_rollback_does_not_bring_back_a_hidden_revision(page, make_user, member_a, vandal,
                                                        coordinator):  # fmt: skip
    """Bea added private data (2), a vandal edited after her (3), a moderator hid 2.
    Undoing the vandal goes back to the last revision by someone else: the hidden one, whose
    text would become the page's, visible to all: the rollback skips hidden revisions."""
    bea = make_user("Bea")
    edit(bea, page, body=SECRET)  # 2, by Bea
    edit(vandal, page, body="SPAM")  # 3
    services.hide_revision(coordinator, page.revisions.get(number=2), hidden=True)
    services.rollback(coordinator, page, author_id=vandal.pk)
    page.refresh_from_db()
    assert SECRET not in page.body
    assert page.current_revision.reverted_to == 1


def test_watchers_learn_of_a_rollback(page, member_a, vandal, coordinator, mailoutbox,
                                      django_capture_on_commit_callbacks):  # fmt: skip
    services.watch(member_a, page)
    edit(vandal, page, body="SPAM")  # the vandal now follows the page too
    with django_capture_on_commit_callbacks(execute=True):
        services.rollback(coordinator, page, author_id=vandal.pk)
    assert sorted(message.to[0] for message in mailoutbox) == sorted([member_a.email, vandal.email])
