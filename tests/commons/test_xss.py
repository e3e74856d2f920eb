"""Every text field of the commons a person can type fed XSS vectors: page title, summary,
tags, body, the facts of every kind, edit summaries, discussion topics and messages,
attachment names and descriptions, remix titles, notes of the places that use a commons,
the reason a revision was hidden, a person's display name (shown as author), a place's and a
network's name. Then every page that shows them, as several personas: the markup comes out
escaped (and is shown: at least N times), never live; feeds escape it exactly once, e-mails
(plain text) not at all, the Markdown export is a download."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.core.test_markdown import XSS_VECTORS
from tiers.commons import attachments, facts, remix, services
from tiers.commons.facts import Kind
from tiers.commons.models import FeedKey, Page
from tiers.commons.services import PageData

from .conftest import edit

pytestmark = pytest.mark.django_db

X = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
ESCAPED = "&lt;script&gt;alert(2)&lt;/script&gt;"
DOUBLE = "&amp;lt;script"
BODY = "\n\n".join(
    [
        "# Titre" + X,
        *XSS_VECTORS,
        "[[W<script>alert(2)</script>]] et [[Wanted" + X + "|<img src=x onerror=alert(1)>]]",
        "[[Fichier:" + X + ".png|" + X + "]] [[Fichier:plan.png|<script>alert(2)</script>]]",
        "| a" + X + " | b |\n|---|---|\n| <script>alert(2)</script> | c |",
        "- [ ] " + X,
        "texte[^1]\n\n[^1]: " + X,
    ]
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href",
                  "background", "srcdoc", "content"}  # fmt: skip


class Live(HTMLParser):
    """What in a page would run: scripts, event handlers, script URLs, the vector's image."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        ours = tag == "script" and (
            values.get("src", "").startswith("/static/")
            or values.get("type") == "application/ld+json"  # the place's data, escaped
        )
        if tag in {"script", "iframe", "object", "embed", "base", "frame", "applet"} and not ours:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        if tag == "img" and values.get("src") == "x":
            self.problems.append("<img src=x>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name == "style" and ("javascript" in value.lower() or "url(" in value.lower()):
                self.problems.append(f"<{tag} style={value}>")
            if name in URL_ATTRIBUTES:
                url = re.sub(r"[\x00-\x20]", "", value).lower()
                if url.startswith(("javascript:", "vbscript:", "data:")) or "url=javascript" in url:
                    self.problems.append(f"<{tag} {name}={value}>")


def live_markup(html: str) -> list[str]:
    parser = Live()
    parser.feed(html)
    parser.close()
    return parser.problems


def png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 90, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def all_facts(kind: str) -> dict[str, Any]:
    return {
        fact.name: [X, "deux" + X] if fact.type == "lines" else X
        for fact in facts.fields_for(kind)
        if fact.type != "date"
    }


@pytest.fixture
def hostile(make_user, place_a, place_b, network, manager_a, manager_b, coordinator,
            mailoutbox, django_capture_on_commit_callbacks, settings):  # fmt: skip
    """Everything typed by someone who writes markup instead of text."""
    settings.COMMONS_EDITS_PER_HOUR = settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 10_000
    from tiers.places.models import Membership

    place_a.name = "Le Quai" + X
    place_a.save(update_fields=["name"])
    network.name = "Réseau" + X
    network.save(update_fields=["name"])
    evil = make_user("Eve" + X)
    Membership.objects.create(user=evil, place=place_a, started_on=place_a.created_at.date(),
                              state=Membership.State.ACTIVE)  # fmt: skip
    reader = make_user("Reader")
    with django_capture_on_commit_callbacks(execute=True):
        sheet = services.create_page(
            evil,
            PageData(
                title="Fiche" + X,
                body=BODY,
                summary="Résumé" + X,
                kind=Kind.COMMONS,
                tags=["t" + X[:50], "autre"],
                facts=all_facts(Kind.COMMONS),
                comment="Création" + X,
            ),
            place=place_a,
        )
        services.watch(reader, sheet)
        for kind in Kind.values:
            services.create_page(
                evil,
                PageData(title=f"{kind}" + X, body=f"[[Fiche{X}]] " + X, summary=X, kind=kind,
                         facts=all_facts(kind), comment=X),
                place=place_a, parent=sheet,
            )  # fmt: skip
        edit(evil, sheet, body=BODY + "\n\nAjout" + X, comment="Deuxième" + X, title="Fiche" + X)
        attachments.attach(evil, sheet, png(X + ".png"), "Plan" + X)
        attachments.attach(evil, sheet, png("plan.png"), "")
        edit(evil, sheet, body=BODY + "\n\nEncore" + X, comment="Troisième" + X)
        services.add_comment(evil, sheet, "Message " + X + "\n\n" + "\n\n".join(XSS_VECTORS),
                             "Sujet" + X)  # fmt: skip
    services.hide_revision(manager_a, sheet.revisions.get(number=1), hidden=True,
                           reason="Raison" + X)  # fmt: skip
    services.record_use(manager_a, sheet, place_a, "Note" + X)
    copy = remix.remix(manager_b, sheet, place_b, title="Adaptation" + X, include_children=True)
    network_page = services.create_page(
        coordinator, PageData(title="Réseau page" + X, body=X, summary=X), network=network
    )
    key = FeedKey.objects.create(user=reader, key=FeedKey.new_key())
    sheet.refresh_from_db()
    return {
        "evil": evil, "reader": reader, "sheet": sheet, "copy": copy, "key": key,
        "network_page": network_page, "place_a": place_a, "network": network,
        "mails": list(mailoutbox),
    }  # fmt: skip


def html_pages(h: dict[str, Any]) -> list[str]:
    s = h["sheet"].slug
    tag = h["sheet"].tags.exclude(slug="autre").get().slug
    return [
        reverse("commons:index"),
        reverse("commons:page", args=[s]),
        reverse("commons:page", args=[h["copy"].slug]),
        reverse("commons:page", args=[h["network_page"].slug]),
        *(reverse("commons:page", args=[child.slug]) for child in h["sheet"].children.all()),
        reverse("commons:history", args=[s]),
        reverse("commons:diff", args=[s]),
        reverse("commons:diff", args=[s]) + "?de=1&a=3",
        reverse("commons:revision", args=[s, 1]),
        reverse("commons:revision", args=[s, 2]),
        reverse("commons:revision", args=[s, 3]),
        reverse("commons:recent"),
        reverse("commons:contributions", args=[h["evil"].pk]),
        reverse("commons:backlinks", args=[s]),
        reverse("commons:wanted"),
        reverse("commons:tag", args=[tag]),
        reverse("commons:place_tree", args=[h["place_a"].slug]),
        reverse("commons:network_tree", args=[h["network"].slug]),
        reverse("commons:discussion", args=[s]),
        reverse("commons:attachments", args=[s]),
        reverse("commons:remix", args=[s]),
        reverse("commons:print", args=[s]) + "?arbre=1",
        reverse("commons:poster", args=[s]),
        reverse("commons:print", args=[h["copy"].slug]),
        reverse("commons:poster", args=[h["copy"].slug]),
        reverse("commons:history", args=[h["copy"].slug]),
        reverse("commons:watchlist"),
        reverse("commons:edit", args=[s]),
        reverse("commons:create") + "?" + "titre=" + X + "&parent=" + s,
        reverse("commons:create") + f"?lieu={h['place_a'].slug}&parent={s}",
        reverse("places:detail", args=[h["place_a"].slug]),
        reverse("places:network", args=[h["network"].slug]),
    ]


def test_every_page_shows_the_vectors_escaped_never_live(hostile, manager_a, member_a,
                                                         coordinator):  # fmt: skip
    shown = 0
    problems = []
    for who in [None, member_a, manager_a, coordinator, hostile["evil"], hostile["reader"]]:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if who is not None:
            client.force_login(who)
        for url in html_pages(hostile):
            response = client.get(url)
            assert response.status_code < 500, url
            if response.status_code != 200:
                continue
            text = response.content.decode()
            shown += text.count(ESCAPED)
            if DOUBLE in text:
                problems.append(f"{url}: escaped twice")
            problems += [f"{url} as {who}: {p}" for p in live_markup(text)]
            if "<script>alert" in text or "<img src=x" in text:
                problems.append(f"{url} as {who}: raw vector")
    assert not problems, problems
    # shown escaped, not left out: every persona reads them on most pages, many times each
    assert shown >= 1000, shown


def _feed_texts(xml: bytes) -> tuple[list[str], list[str]]:
    """The titles and the HTML descriptions of a feed's items (RSS or Atom), as a reader
    gets them once the XML is parsed."""
    root = ET.fromstring(xml)  # noqa: S314 (our own response)
    titles, htmls = [], []
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name == "title":
            titles.append(element.text or "")
        elif name in ("description", "summary", "content"):
            htmls.append(element.text or "")
    return titles, htmls


def test_feeds_escape_exactly_once(hostile):
    s = hostile["sheet"].slug
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    feeds = [
        reverse("commons:recent_rss"),
        reverse("commons:recent_atom"),
        reverse("commons:page_atom", args=[s]),
        reverse("commons:watchlist_feed", args=[hostile["key"].key]),
    ]
    for url in feeds:
        response = client.get(url)
        assert response.status_code == 200, url
        titles, htmls = _feed_texts(response.content)
        # a title is text: the XML holds it escaped once, so the reader shows the characters
        assert any(X in title for title in titles), url
        # a description is HTML: what people typed is escaped in it, and it runs nothing
        joined = "".join(htmls)
        assert ESCAPED in joined, url
        assert "&amp;lt;" not in joined, url
        assert not live_markup(joined), (url, live_markup(joined))
        # the hidden revision's edit summary is not in the public feeds
        assert "Création" not in joined, url


def test_emails_to_watchers_are_plain_text_without_html_escaping(hostile):
    mails = hostile["mails"]
    assert mails, "the watcher was told"
    for message in mails:
        assert "&lt;" not in message.subject and "&lt;" not in message.body
        assert "\n" not in message.subject
        assert not getattr(message, "alternatives", None)  # no HTML part to run anything
    assert any(X in message.subject for message in mails)
    assert any(X in message.body for message in mails)


def test_the_markdown_export_is_a_download(hostile):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(reverse("commons:export_markdown", args=[hostile["sheet"].slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    text = response.content.decode()
    assert "<script>alert(2)</script>" in text  # the text as written: it is a Markdown file
    assert re.fullmatch(r'attachment; filename="[\w.-]+\.md"', response["Content-Disposition"])


def test_attachment_names_are_made_safe(hostile):
    names = list(hostile["sheet"].attachments.values_list("name", flat=True))
    assert all(re.fullmatch(r"[\w.-]+", name) for name in names), names
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for name in names:
        response = client.get(reverse("commons:attachment", args=[hostile["sheet"].slug, name]))
        assert response.status_code == 200
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_error_messages_quote_what_was_typed_escaped(hostile, client_for):
    """Refusals that name the title, parent or tag typed: shown, escaped."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(hostile["evil"])
    sheet = hostile["sheet"]
    url = reverse("commons:create") + f"?lieu={hostile['place_a'].slug}"
    base = {"kind": Kind.PAGE, "licence": "cc-by-sa", "body": "", "summary": "", "tags": ""}
    responses = [
        client.post(url, {**base, "title": sheet.title}),  # taken
        client.post(url, {**base, "title": "Neuve", "parent": "Rien" + X}),
        client.post(url, {**base, "title": "Neuve", "tags": "a" * 70 + X}),
        client.post(
            reverse("commons:edit", args=[sheet.slug]), {**base, "title": "Autre" + X, "base": "1"}
        ),  # conflict
    ]
    for response in responses:
        assert response.status_code in (409, 422), response.status_code
        text = response.content.decode()
        assert not live_markup(text), live_markup(text)
        assert "<script>alert" not in text
    assert ESCAPED in responses[0].content.decode() and ESCAPED in responses[3].content.decode()
    assert Page.objects.filter(title="Neuve").count() == 0


def test_messages_after_an_action_quote_names_escaped(hostile, manager_a, coordinator,
                                                     make_page):  # fmt: skip
    """The messages shown after an action name pages, places and people."""
    sheet, evil, reader = hostile["sheet"], hostile["evil"], hostile["reader"]
    alone = services.create_page(evil, PageData(title="Seule" + X, body=X),
                                 place=hostile["place_a"])  # fmt: skip
    texts = []
    as_manager = Client(HTTP_ACCEPT_LANGUAGE="en")
    as_manager.force_login(manager_a)
    texts.append(as_manager.post(reverse("commons:use", args=[sheet.slug]),
                                 {"lieu": hostile["place_a"].slug, "action": "remove"},
                                 follow=True))  # fmt: skip
    texts.append(as_manager.post(reverse("commons:rollback", args=[alone.slug]),
                                 {"version": "1"}, follow=True))  # fmt: skip
    as_reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    as_reader.force_login(reader)
    texts.append(as_reader.post(reverse("commons:watchlist"),
                                {"action": "email", "page": sheet.pk, "email": "0"},
                                follow=True))  # fmt: skip
    texts.append(as_reader.post(reverse("commons:watchlist"),
                                {"action": "unwatch", "page": sheet.pk}, follow=True))  # fmt: skip
    as_coordinator = Client(HTTP_ACCEPT_LANGUAGE="en")
    as_coordinator.force_login(coordinator)
    texts.append(as_coordinator.post(reverse("commons:contributions", args=[evil.pk])))
    for number, response in enumerate(texts):
        assert response.status_code == 200
        text = response.content.decode()
        assert ESCAPED in text, number
        assert not live_markup(text), live_markup(text)
        assert "<script>alert" not in text
    assert not Page.objects.filter(pk=alone.pk).exists()
