"""The rules of writing pages: immutable revisions, titles unique once slugified, renames kept
as aliases, links tracked, edits from a stale revision refused, rate limits for new accounts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tiers.commons import services
from tiers.commons.errors import CommonsError, EditConflict
from tiers.commons.models import Page, PageAlias, PageLink, Revision, Watch
from tiers.commons.services import PageData
from tiers.core.ratelimit import RateLimitExceeded

from .conftest import edit

pytestmark = pytest.mark.django_db


def test_create_writes_the_first_revision(member_a):
    page = services.create_page(member_a, PageData(title="  Notre   conciergerie ", body="Édité"))
    revision = page.current_revision
    assert page.title == "Notre conciergerie" and page.slug == "notre-conciergerie"
    assert (revision.number, revision.action, revision.author) == (1, "create", member_a)
    assert revision.author_name == member_a.display_name
    assert revision.size == len("Édité".encode()) == revision.size_delta
    assert Watch.objects.filter(user=member_a, page=page).exists()


def test_revisions_are_immutable(make_page):
    revision = make_page().current_revision
    revision.body = "rewritten"
    with pytest.raises(ValueError):
        revision.save()
    assert Revision.objects.get(pk=revision.pk).body == "Du texte."


def test_every_edit_appends_a_revision_with_its_size_change(make_page, member_a):
    page = make_page(body="abc")
    second = edit(member_a, page, body="abcdef", comment="plus long")
    third = edit(member_a, page, body="a", comment="plus court")
    assert [r.number for r in page.revisions.order_by("number")] == [1, 2, 3]
    assert (second.size_delta, third.size_delta) == (3, -5)
    assert third.comment == "plus court"
    page.refresh_from_db()
    assert page.body == "a" and page.current_revision == third and page.revision_number == 3


def test_unchanged_edit_writes_nothing(make_page, member_a):
    page = make_page()
    assert edit(member_a, page) is None
    assert page.revisions.count() == 1


def test_stale_base_is_a_conflict_and_saves_nothing(make_page, member_a, manager_a):
    page = make_page(body="v1")
    edit(member_a, page, body="v2")
    with pytest.raises(EditConflict) as caught:
        services.edit_page(manager_a, page, PageData(title=page.title, body="mine"), base=1)
    assert caught.value.current.number == 2 and caught.value.base == 1
    page.refresh_from_db()
    assert page.body == "v2" and page.revisions.count() == 2


@pytest.mark.parametrize("other", ["Café", "cafe", "CAFÉ!", "café_"])
def test_titles_colliding_after_slugification_are_refused(make_page, member_a, other):
    make_page("Café")
    with pytest.raises(CommonsError) as caught:
        services.create_page(member_a, PageData(title=other))
    assert caught.value.code == "title_taken" and caught.value.field == "title"
    assert "Café" in str(caught.value.message)
    assert Page.objects.count() == 1 and Revision.objects.count() == 1


@pytest.mark.parametrize(
    ("title", "code"),
    [("", "title_required"), ("   ", "title_required"), ("!!!", "title_invalid"),
     ("x" * 201, "title_too_long"), ("Fichier:plan.png", "title_invalid"),
     ("a\x00b", "invalid")],
)  # fmt: skip
def test_bad_titles(member_a, title, code):
    with pytest.raises(CommonsError) as caught:
        services.create_page(member_a, PageData(title=title))
    assert caught.value.code == code
    assert not Page.objects.exists()


def test_five_megabyte_body_is_refused(make_page, member_a):
    page = make_page()
    with pytest.raises(CommonsError) as caught:
        edit(member_a, page, body="é" * 5_000_000)
    assert caught.value.code == "body_too_long"
    page.refresh_from_db()
    assert page.revisions.count() == 1 and page.body == "Du texte."


def test_rename_keeps_the_old_title_as_an_alias(make_page, member_a):
    page = make_page("Ancien titre")
    edit(member_a, page, title="Nouveau titre")
    page.refresh_from_db()
    assert page.slug == "nouveau-titre"
    assert PageAlias.objects.filter(slug="ancien-titre", page=page).exists()
    with pytest.raises(CommonsError):  # the old title still leads to this page
        services.create_page(member_a, PageData(title="Ancien titre"))
    edit(member_a, page, title="Ancien titre")  # renaming back drops the alias
    page.refresh_from_db()
    assert page.slug == "ancien-titre"
    assert list(page.aliases.values_list("slug", flat=True)) == ["nouveau-titre"]


def test_links_are_tracked_and_pages_rendered_again_when_a_target_appears(make_page):
    source = make_page("Source", "Voir [[Cible]] et [[Autre]].")
    assert set(PageLink.objects.filter(target__isnull=True).values_list("target_slug", flat=True)) == {
        "cible", "autre",
    }  # fmt: skip
    assert "wikilink--new" in source.html
    target = make_page("Cible")
    source.refresh_from_db()
    assert source.html == ""  # rendered again on the next view
    assert PageLink.objects.get(source=source, target_slug="cible").target == target
    html = services.page_html(source)
    assert 'href="/communs/pages/cible/"' in html and html.count("wikilink--new") == 1


def test_deleting_a_page_makes_its_links_wanted_again(make_page, make_user):
    vandal = make_user("Vandale")
    target = make_page("Cible", author=vandal)
    source = make_page("Source", "[[Cible]]")
    admin = make_user("Admin", is_staff=True)
    assert services.rollback(admin, target, author_id=vandal.pk) is None
    assert not Page.objects.filter(pk=target.pk).exists()
    link = PageLink.objects.get(source=source)
    assert link.target is None
    source.refresh_from_db()
    assert source.html == ""


def test_revert_writes_a_new_revision_with_the_old_content(make_page, member_a):
    page = make_page(body="v1", summary="premier")
    edit(member_a, page, body="v2", summary="second", tags=["café"])
    revision = services.revert(member_a, page, 1)
    assert (revision.number, revision.action, revision.reverted_to) == (3, "revert", 1)
    assert (revision.body, revision.summary, revision.tags) == ("v1", "premier", [])
    page.refresh_from_db()
    assert page.body == "v1" and not page.tags.exists()


def test_rollback_undoes_a_vandals_consecutive_edits(make_page, member_a, make_user, admin):
    vandal = make_user("Vandale")
    page = make_page(body="bon texte", author=member_a)
    edit(vandal, page, body="spam 1")
    edit(vandal, page, body="spam 2", title="SPAM")
    revision = services.rollback(admin, page, author_id=vandal.pk)
    assert revision.body == "bon texte" and revision.title == "Recette du café"
    assert revision.action == "rollback" and revision.reverted_to == 1
    assert "Vandale" in revision.comment


def test_rollback_everywhere(make_page, member_a, make_user, coordinator):
    vandal = make_user("Vandale")
    pages = [make_page(f"Page {n}", "ok", author=member_a) for n in range(3)]
    for page in pages[:2]:
        edit(vandal, page, body="spam")
    edit(member_a, pages[1], body="corrigé")  # no longer the vandal's
    created = make_page("Pub", "spam", author=vandal)
    assert services.rollback_everywhere(coordinator, vandal) == 2
    assert Page.objects.get(pk=pages[0].pk).body == "ok"
    assert Page.objects.get(pk=pages[1].pk).body == "corrigé"
    assert not Page.objects.filter(pk=created.pk).exists()


def test_only_moderators_roll_back_hide_and_protect(make_page, member_a, make_user):
    page = make_page(author=member_a)
    with pytest.raises(CommonsError) as caught:
        services.rollback(member_a, page, author_id=member_a.pk)
    assert caught.value.code == "forbidden"
    with pytest.raises(CommonsError):
        services.set_protected(member_a, page, True)
    with pytest.raises(CommonsError):
        services.hide_revision(member_a, page.current_revision, hidden=True)


def test_the_current_revision_cannot_be_hidden(make_page, member_a, admin):
    page = make_page()
    with pytest.raises(CommonsError) as caught:
        services.hide_revision(admin, page.current_revision, hidden=True)
    assert caught.value.code == "current_revision"
    old = page.current_revision
    edit(member_a, page, body="v2")
    services.hide_revision(admin, old, hidden=True, reason="données personnelles")
    old = Revision.objects.get(pk=old.pk)
    assert old.hidden and old.hidden_by == admin and old.hidden_reason == "données personnelles"


def test_protected_pages_are_edited_by_moderators_only(make_page, member_a, admin):
    page = make_page()
    services.set_protected(admin, page, True)
    with pytest.raises(CommonsError) as caught:
        edit(member_a, page, body="x")
    assert caught.value.code == "forbidden"
    assert edit(admin, page, body="x").number == 2


def test_parent_must_share_the_owner_and_make_no_cycle(make_page, place_a, place_b, manager_a):
    root = make_page("Racine", place=place_a)
    child = make_page("Enfant", place=place_a, parent=root)
    elsewhere = make_page("Ailleurs", place=place_b)
    data = PageData.of_page(root)
    with pytest.raises(CommonsError) as caught:
        services.edit_page(manager_a, root, data, base=1, parent=child)
    assert caught.value.code == "invalid_parent"
    with pytest.raises(CommonsError):
        services.edit_page(manager_a, child, PageData.of_page(child), base=1, parent=elsewhere)
    services.edit_page(manager_a, child, PageData.of_page(child), base=1, parent=None)
    child.refresh_from_db()
    assert child.parent is None


def test_new_accounts_are_rate_limited(settings, make_page, make_user):
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 3
    newcomer = make_user("Nouveau")
    page = make_page()
    for n in range(3):
        edit(newcomer, page, body=f"v{n}")
    with pytest.raises(RateLimitExceeded) as caught:
        edit(newcomer, page, body="encore")
    assert caught.value.retry_after > 0
    assert page.revisions.count() == 4
    old_hand = make_user("Ancienne", date_joined=timezone.now() - datetime.timedelta(days=30))
    for n in range(5):
        edit(old_hand, page, body=f"w{n}")


def test_facts_are_cleaned_per_kind(member_a):
    page = services.create_page(
        member_a,
        PageData(title="Recette", kind="recette",
                 facts={"needs": "un local\n\n des chaises ", "steps": ["a", " "], "x": "?"}),
    )  # fmt: skip
    assert page.facts == {"needs": ["un local", "des chaises"], "steps": ["a"]}
    with pytest.raises(CommonsError) as caught:
        services.create_page(
            member_a, PageData(title="CR", kind="compte-rendu", facts={"date": "hier"})
        )
    assert caught.value.code == "invalid_facts"


def test_adapting_a_tree_counts_as_one_change(settings, make_page, place_a, make_user):
    from tiers.commons import remix
    from tiers.places.models import Membership

    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 2
    newcomer = make_user("Nouvelle")
    Membership.objects.create(user=newcomer, place=place_a, state="active")
    root = make_page("Guide")
    for n in range(4):
        make_page(f"Chapitre {n}", parent=root)
    remix.remix(newcomer, root, place_a, include_children=True)
    assert Page.objects.filter(place=place_a).count() == 5
    services.check_rate(newcomer)  # one change of two: still allowed
