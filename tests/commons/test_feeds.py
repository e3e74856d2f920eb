"""The feeds of changes: recent changes (RSS 2.0 and Atom), one page's history (Atom).
Read back with feedparser: well-formed, each item linking to its diff, with author, time
and edit summary, hostile text escaped exactly once."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

from tests.commons.conftest import edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """In English: the texts the tests look for."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


XSS = '<script>alert("x")</script> & <b>gras</b>'


@pytest.fixture
def changes(make_page, member_a, place_a):
    page = make_page("Café réparation", "Un", author=member_a)
    edit(member_a, page, body="Deux", comment="ajout des horaires")
    local = make_page("Page du Quai", "Un", author=member_a, place=place_a)
    return {"page": page, "local": local}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_recent_changes_feed(client, changes, member_a, kind):
    response = client.get(reverse(f"commons:recent_{kind}"))
    assert response.status_code == 200
    expected = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    assert response["Content-Type"].startswith(expected)
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert titles[:2] == ["Page du Quai (revision 1)", "Café réparation (revision 2)"]
    edited = feed.entries[1]
    page = changes["page"]
    assert edited.link == "http://testserver" + reverse("commons:diff", args=[page.slug]) + (
        "?de=1&a=2"
    )
    assert edited.author == "Member A"
    assert "ajout des horaires" in edited.summary
    assert edited.published_parsed is not None
    created = feed.entries[0]
    assert created.link.endswith(reverse("commons:revision", args=[changes["local"].slug, 1]))
    assert len({entry.id for entry in feed.entries}) == len(feed.entries) == 3


def test_recent_changes_feed_keeps_the_filters(client, changes):
    response = client.get(reverse("commons:recent_atom") + "?lieu=le-quai")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    assert [entry.title for entry in feed.entries] == ["Page du Quai (revision 1)"]
    page = client.get(reverse("commons:recent") + "?lieu=le-quai").content.decode()
    assert reverse("commons:recent_atom") + "?lieu=le-quai" in page


def test_page_history_feed(client, changes):
    page = changes["page"]
    response = client.get(reverse("commons:page_atom", args=[page.slug]))
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    assert [entry.title for entry in feed.entries] == [
        "Café réparation (revision 2)",
        "Café réparation (revision 1)",
    ]
    assert feed.feed.title == "History of “Café réparation”"
    assert client.get(reverse("commons:page_atom", args=["nulle-part"])).status_code == 404


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_hostile_titles_and_summaries_are_escaped_once(client, make_page, make_user, kind):
    author = make_user(XSS)
    page = make_page(XSS, "Un", author=author)
    edit(author, page, body="Deux", comment=XSS)
    response = client.get(reverse(f"commons:recent_{kind}"))
    raw = response.content.decode()
    assert "<script>" not in raw and "<b>" not in raw
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    entry = feed.entries[0]
    # plain text escaped once by the XML: readers show it as it was typed
    assert entry.title == f"{XSS} (revision 2)"
    assert entry.author == XSS
    # the summary is HTML: the comment is text inside it, escaped once
    assert "&lt;script&gt;" in entry.summary and "<script" not in entry.summary
    assert "&amp;lt;" not in entry.summary


def test_feeds_read_a_constant_number_of_queries(client, make_page, member_a,
                                                 django_assert_max_num_queries):  # fmt: skip
    for i in range(20):
        make_page(f"Page {i}", "x", author=member_a)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("commons:recent_rss")).status_code == 200
