"""The commons in a person's data export and in the erasure of their account."""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from tests.commons.conftest import edit
from tiers.accounts.services import account_erase, personal_data_export
from tiers.commons import services
from tiers.commons.models import Comment, FeedKey, Page, Revision, Watch
from tiers.commons.personal_data import former_contributor

pytestmark = pytest.mark.django_db


@pytest.fixture
def contributed(make_page, member_a, make_user):
    """Member A created one page, edited another, wrote a message, follows a page and has a
    private feed."""
    mine = services.create_page(member_a, services.PageData(title="Ma recette", body="Un"))
    other = make_page("Page commune", "Texte", author=make_user("Bea"))
    edit(member_a, other, body="Texte amélioré", comment="plus clair")
    services.add_comment(member_a, other, "Une question ?", topic="Question")
    FeedKey.objects.create(user=member_a, key=FeedKey.new_key())
    return {"mine": mine, "other": other}


def test_export_has_revisions_messages_and_watches(member_a, contributed):
    data = json.loads(json.dumps(personal_data_export(member_a), cls=DjangoJSONEncoder))
    revisions = data["commons_revisions"]
    assert [(r["page"], r["number"], r["comment"]) for r in revisions] == [
        ("Ma recette", 1, ""),
        ("Page commune", 2, "plus clair"),
    ]
    assert revisions[1]["time"] and revisions[1]["address"].endswith("/communs/pages/page-commune/")
    assert data["commons_messages"] == [
        {
            "page": "Page commune", "topic": "Question", "message": "Une question ?",
            "time": data["commons_messages"][0]["time"], "hidden": False,
        }
    ]  # fmt: skip
    watched = {item["page"] for item in data["commons_watchlist"]["pages"]}
    assert watched == {"Ma recette", "Page commune"}
    assert data["commons_watchlist"]["private_feed_since"]
    assert FeedKey.objects.get(user=member_a).key not in json.dumps(data)


def test_erasure_keeps_the_revisions_without_their_author(
    member_a, contributed, client_for, coordinator
):
    pk = member_a.pk
    former = former_contributor()
    account_erase(user=member_a)
    revisions = Revision.objects.filter(author_name=former)
    # the text stays (open licence); the name is neutral, the link to the account gone
    assert {(r.page.title, r.number) for r in revisions} == {("Ma recette", 1), ("Page commune", 2)}
    assert not Revision.objects.filter(author_id=pk).exists()
    assert Page.objects.get(title="Page commune").body == "Texte amélioré"
    message = Comment.objects.get()
    assert message.author_id is None and message.author_name == former
    assert message.body == "Une question ?"
    assert not Watch.objects.filter(user_id=pk).exists()
    assert not FeedKey.objects.filter(user_id=pk).exists()
    assert not Page.objects.filter(created_by_id=pk).exists()
    # the history shows the neutral name and no link to the account
    html = (
        client_for(None)
        .get(reverse("commons:history", args=[contributed["other"].slug]))
        .content.decode()
    )
    assert former in html and "Member A" not in html
    assert reverse("commons:contributions", args=[pk]) not in html
    # a moderator may still undo the former contributor's last edits
    services.rollback(coordinator, contributed["other"], author_id=None,
                      author_name=former)  # fmt: skip
    contributed["other"].refresh_from_db()
    assert contributed["other"].body == "Texte"


def test_erasure_removes_the_name_from_adaptations(member_a, contributed, make_page):
    source = contributed["other"]
    adaptation = make_page("Adaptation", "x")
    Page.objects.filter(pk=adaptation.pk).update(
        remixed_from=source,
        attribution={
            "title": source.title, "slug": source.slug, "authors": ["Bea", "Member A"],
            "chain": [{"title": "Ailleurs", "slug": "ailleurs", "authors": ["Member A"]}],
        },
    )  # fmt: skip
    account_erase(user=member_a)
    former = former_contributor()
    adaptation.refresh_from_db()
    assert adaptation.attribution["authors"] == ["Bea", former]
    # a page elsewhere, by someone else who has the same name, is left alone
    assert adaptation.attribution["chain"][0]["authors"] == ["Member A"]


def test_an_erased_person_gets_no_email(
    make_page, make_user, member_a, mailoutbox, django_capture_on_commit_callbacks
):
    page = make_page("Suivie", "x")
    bea = make_user("Bea")
    services.watch(bea, page)
    account_erase(user=bea)
    with django_capture_on_commit_callbacks(execute=True):
        edit(member_a, page, body="y")
    assert mailoutbox == []
