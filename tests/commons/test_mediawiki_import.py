"""`tiers import-mediawiki DUMP.xml`: the real sample exported by MediaWiki 1.39, variants of
it, synthetic exports, and files that must be refused with nothing written."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tiers.commons import services
from tiers.commons.mediawiki import importer as importer_module
from tiers.commons.models import Comment, Page, PageAlias, PageLink, Revision, Tag

HERE = Path(__file__).resolve()
DATA = HERE.parents[2].parent / "shared" / "data"
SAMPLE = DATA / "mediawiki" / "sample-small.xml"
NS = "{http://www.mediawiki.org/xml/export-0.11/}"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in the source language (English)."""
    with translation.override("en"):
        yield


@pytest.fixture
def sample() -> Path:
    if not SAMPLE.is_file():
        reason = f"the MediaWiki sample is missing: {SAMPLE}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    return SAMPLE


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_mediawiki", *args, "--no-progress", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int, int]:
    return (
        Page.objects.count(), Revision.objects.count(), PageAlias.objects.count(),
        Comment.objects.count(), PageLink.objects.count(),
    )  # fmt: skip


# --- what the sample holds, read independently of the importer ------------------------------


def sample_pages(path: Path = SAMPLE) -> dict[str, dict]:
    """title -> {ns, id, redirect, revisions: [(id, author, time, comment)]} of the export."""
    pages = {}
    for page in ET.parse(path).getroot().iter(f"{NS}page"):  # noqa: S314 (our own test data)
        revisions = []
        for revision in page.iter(f"{NS}revision"):
            contributor = revision.find(f"{NS}contributor")
            assert contributor is not None
            user = contributor.find(f"{NS}username")
            ip = contributor.find(f"{NS}ip")
            comment = revision.find(f"{NS}comment")
            revisions.append((
                int(revision.findtext(f"{NS}id") or 0),
                (user.text if user is not None else ip.text if ip is not None else "") or "",
                datetime.datetime.fromisoformat(revision.findtext(f"{NS}timestamp") or ""),
                (comment.text or "") if comment is not None else "",
            ))  # fmt: skip
        redirect = page.find(f"{NS}redirect")
        pages[page.findtext(f"{NS}title") or ""] = {
            "ns": int(page.findtext(f"{NS}ns") or 0),
            "id": int(page.findtext(f"{NS}id") or 0),
            "redirect": redirect.get("title") if redirect is not None else None,
            "revisions": revisions,
        }
    return pages


def content_pages(path: Path = SAMPLE) -> dict[str, dict]:
    return {t: p for t, p in sample_pages(path).items() if p["ns"] == 0 and not p["redirect"]}


# --- the sample -----------------------------------------------------------------------------


def test_every_page_and_revision_of_the_sample_is_imported_with_authors_times_summaries(sample):
    output = run(str(sample))

    expected = content_pages(sample)
    assert len(expected) == 8
    assert set(Page.objects.values_list("title", flat=True)) == set(expected)
    for title, wiki in expected.items():
        page = Page.objects.get(title=title)
        revisions = list(page.revisions.order_by("number"))
        assert [r.number for r in revisions] == list(range(1, len(wiki["revisions"]) + 1))
        assert [(r.import_key, r.author_name, r.created_at, r.comment) for r in revisions] == [
            (f"mediawiki:wikidb:rev:{rid}", author, when, " ".join(comment.split()))
            for rid, author, when, comment in wiki["revisions"]
        ], title
        assert all(r.action == Revision.Action.IMPORT and r.author is None for r in revisions)
        previous = 0
        for revision in revisions:
            assert revision.title == title
            assert revision.size == len(revision.body.encode())
            assert revision.size_delta == revision.size - previous
            previous = revision.size
        last = revisions[-1]
        assert page.import_key == f"mediawiki:wikidb:{wiki['id']}"
        assert page.current_revision_id == last.pk
        assert page.revision_number == len(revisions)
        assert page.body == last.body
        assert page.created_at == revisions[0].created_at
        assert page.updated_at == last.created_at
        assert page.kind == "page" and page.licence == "cc-by-sa-4.0"
        assert page.place is None and page.network is None
    assert "Pages: 8 created, 0 updated, 0 unchanged (14 in the export)." in output
    assert "Revisions: 25 imported (36 in the export)." in output


def test_the_ip_of_an_anonymous_edit_is_its_author(sample):
    run(str(sample))
    last = Page.objects.get(title="Repair Café du Faubourg").current_revision
    assert last is not None and last.author_name == "127.0.0.1"


def test_the_wikitext_is_converted(sample):
    run(str(sample))
    page = Page.objects.get(title="Fablab des Tanneurs")
    assert "## Équipements" in page.body
    assert "| Machine | Modèle | Formation requise | Tarif horaire |" in page.body
    assert "Le **Fablab des Tanneurs** est" in page.body
    assert "[[Fichier:Plan.png|Plan du rez-de-chaussée]]" in page.body
    assert "**Infobox lieu** — nom : Fablab des Tanneurs ; ville : Nantes" in page.body
    assert "[[Catégorie" not in page.body and "{{" not in page.body
    html = services.page_html(page)
    assert "<table>" in html and "<th>Machine</th>" in html
    assert "<strong>Fablab des Tanneurs</strong>" in html


def test_refs_become_footnotes(sample):
    run(str(sample))
    body = Page.objects.get(title="Fablab des Tanneurs").body
    assert "métropole[^1]. En 2022, le lieu accueille plus de 600 adhérents[^2]." in body
    assert body.endswith(
        "[^1]: Convention d'occupation temporaire signée avec [[Nantes Métropole]], "
        "délibération du 30 juin 2017.\n\n[^2]: Rapport d'activité 2022 de l'association, "
        "[lire en ligne](http://example.org/rapport-2022.pdf)."
    )
    assert "<references" not in body
    html = services.page_html(Page.objects.get(title="Fablab des Tanneurs"))
    assert html.count('class="footnote-item"') == 2


def test_categories_become_tags_of_the_page_and_of_each_revision(sample):
    run(str(sample))
    page = Page.objects.get(title="Fablab des Tanneurs")
    assert sorted(t.name for t in page.tags.all()) == ["Fablab", "Lieux à Nantes"]
    assert [r.tags for r in page.revisions.order_by("number")] == [
        ["Fablab"], ["Fablab"], ["Fablab"], ["Fablab", "Lieux à Nantes"],
    ]  # fmt: skip
    assert Tag.objects.get(slug="lieux-a-nantes").pages.count() == 2
    assert not Page.objects.get(title="Accueil").tags.exists()


def test_redirects_become_aliases_and_links_through_them_resolve(sample):
    output = run(str(sample))
    aliases = {a.title: a.page.title for a in PageAlias.objects.select_related("page")}
    assert aliases == {
        "Atelier de réparation": "Repair Café du Faubourg",
        "Charte du lieu": "Charte des tiers-lieux",
    }
    link = PageLink.objects.get(source__title="Accueil", target_slug="charte-du-lieu")
    assert link.target is not None and link.target.title == "Charte des tiers-lieux"
    html = services.page_html(Page.objects.get(title="Accueil"))
    assert 'href="/communs/pages/charte-des-tiers-lieux/"' in html
    assert "Aliases (redirects): 2 created, 0 unchanged (2 redirects)." in output


def test_talk_pages_become_discussions_one_message_per_topic(sample):
    run(str(sample))
    page = Page.objects.get(title="Fablab des Tanneurs")
    comments = list(page.comments.order_by("import_key"))
    assert [(c.topic, c.author_name, c.created_at, c.import_key) for c in comments] == [
        ("Horaires du samedi", "Yanis Benali",
         datetime.datetime(2023, 1, 21, 12, 47, tzinfo=datetime.UTC), "mediawiki:wikidb:talk:8:1"),
        ("Découpeuse laser", "Camille Martin",
         datetime.datetime(2023, 2, 11, 22, 41, tzinfo=datetime.UTC), "mediawiki:wikidb:talk:8:2"),
    ]  # fmt: skip
    first = comments[0].body
    assert first.startswith("Bonjour à toutes et à tous, est-ce qu'on garde")
    assert "— Yanis Benali, 20 janvier 2023 à 19:02 (UTC)" in first
    assert "> Je propose de fermer" in first and "> > 👍 D'accord" in first
    assert "[[Utilisateur" not in first and comments[0].author is None


def test_what_is_not_imported_is_counted_in_the_report(sample, tmp_path):
    report_file = tmp_path / "report.json"
    output = run(str(sample), "--report", str(report_file))

    assert "Modèle (namespace 10): templates (their uses are kept as text): 1" in output
    assert "Fichier (namespace 6): file description pages (the export has no files): 1" in output
    assert "Catégorie (namespace 14): category pages (categories become tags): 1" in output
    assert "template: 4 — {{Infobox lieu}} (Fablab des Tanneurs)" in output
    report = json.loads(report_file.read_text())
    assert report["pages"] == {"created": 8, "updated": 0, "unchanged": 0}
    assert report["revisions"] == {"imported": 25, "left_out": 0}
    assert report["discussions"]["created"] == 2
    assert report["not_converted"]["template"]["count"] == 4
    assert report["not_converted"]["file"] == {
        "count": 2,
        "examples": [{"sample": "Plan.png", "count": 2, "page": "Fablab des Tanneurs"}],
    }
    assert report["wiki"] == {"sitename": "Wiki Tiers-Lieux", "dbname": "wikidb", "schema": "0.11"}


def test_the_report_can_be_markdown(sample, tmp_path):
    report_file = tmp_path / "report.md"
    run(str(sample), "--report", str(report_file))
    text = report_file.read_text()
    assert text.startswith("# Import of a MediaWiki export\n")
    assert "| template | 4 | `{{Infobox lieu}}` (4, Fablab des Tanneurs) |" in text


def test_each_page_is_indexed_for_search_once(sample, monkeypatch):
    indexed: list[str] = []
    original = importer_module.search.index

    def spy(page: Page) -> None:
        indexed.append(page.title)
        original(page)

    monkeypatch.setattr(importer_module.search, "index", spy)
    run(str(sample))
    assert sorted(indexed) == sorted(content_pages())


# --- running it again -----------------------------------------------------------------------


def test_a_second_run_adds_nothing(sample):
    run(str(sample))
    before = counts()
    bodies = dict(Page.objects.values_list("title", "body"))

    output = run(str(sample))

    assert counts() == before
    assert dict(Page.objects.values_list("title", "body")) == bodies
    assert "Pages: 0 created, 0 updated, 8 unchanged (14 in the export)." in output
    assert "Revisions: 0 imported" in output
    assert "Aliases (redirects): 0 created, 2 unchanged" in output
    assert "Discussion topics: 0 created, 0 updated, 2 unchanged." in output


NEW_REVISION = """    <revision>
      <id>200</id>
      <parentid>27</parentid>
      <timestamp>2024-03-01T10:00:00Z</timestamp>
      <contributor><username>Nouvelle Personne</username><id>9</id></contributor>
      <comment>mise à jour 2024</comment>
      <model>wikitext</model>
      <format>text/x-wiki</format>
      <text bytes="60" xml:space="preserve">Un '''tiers-lieu''', version 2024.

[[Catégorie:Concepts]]
[[Catégorie:Nouveautés]]</text>
    </revision>
  </page>"""


def test_a_newer_export_appends_only_the_new_revisions(sample, tmp_path):
    run(str(sample))
    page = Page.objects.get(title="Tiers-lieu")
    old = list(page.revisions.values_list("pk", "number", "body"))
    newer = tmp_path / "newer.xml"
    text = sample.read_text(encoding="utf-8")
    start = text.index("<title>Tiers-lieu</title>")
    end = text.index("</page>", start) + len("</page>")
    newer.write_text(text[:start] + text[start:end].replace("</page>", NEW_REVISION.strip())
                     + text[end:], encoding="utf-8")  # fmt: skip

    output = run(str(newer))

    page.refresh_from_db()
    revisions = list(page.revisions.order_by("number"))
    assert [(r.pk, r.number, r.body) for r in revisions[:3]] == sorted(old, key=lambda r: r[1])
    new = revisions[3]
    assert (new.number, new.author_name, new.comment, new.import_key) == (
        4,
        "Nouvelle Personne",
        "mise à jour 2024",
        "mediawiki:wikidb:rev:200",
    )
    assert new.created_at == datetime.datetime(2024, 3, 1, 10, tzinfo=datetime.UTC)
    assert new.size_delta == new.size - revisions[2].size
    assert page.revision_number == 4 and page.current_revision_id == new.pk
    assert page.body == "Un **tiers-lieu**, version 2024."
    assert sorted(t.name for t in page.tags.all()) == ["Concepts", "Nouveautés"]
    assert "Pages: 0 created, 1 updated, 7 unchanged" in output
    assert "Revisions: 1 imported" in output
    assert Revision.objects.count() == 26


def test_the_schema_0_10_is_read_the_same(sample, tmp_path):
    older = tmp_path / "export-0.10.xml"
    older.write_text(
        sample.read_text(encoding="utf-8")
        .replace("export-0.11", "export-0.10")
        .replace('version="0.11"', 'version="0.10"'),
        encoding="utf-8",
    )
    output = run(str(older), "--report", str(tmp_path / "r.json"))

    assert Page.objects.count() == 8 and Revision.objects.count() == 25
    assert PageAlias.objects.count() == 2 and Comment.objects.count() == 2
    assert json.loads((tmp_path / "r.json").read_text())["wiki"]["schema"] == "0.10"
    assert "Pages: 8 created" in output


def test_a_compressed_export_is_read_as_it_is(sample, tmp_path):
    import gzip

    packed = tmp_path / "sample.xml.gz"
    packed.write_bytes(gzip.compress(sample.read_bytes()))
    run(str(packed))
    assert Page.objects.count() == 8 and Revision.objects.count() == 25


# --- options --------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(sample, tmp_path):
    output = run(str(sample), "--dry-run", "--report", str(tmp_path / "r.json"))

    assert counts() == (0, 0, 0, 0, 0)
    assert not Tag.objects.exists()
    assert "Dry run: nothing was written." in output
    assert "Pages: 8 to create, 0 to update, 0 unchanged" in output
    assert "Revisions: 25 to import" in output
    assert "Aliases (redirects): 2 to create" in output
    assert "Discussion topics: 2 to create" in output
    assert json.loads((tmp_path / "r.json").read_text())["dry_run"] is True


def test_a_dry_run_after_an_import_finds_nothing_new(sample):
    run(str(sample))
    before = counts()
    output = run(str(sample), "--dry-run")
    assert counts() == before
    assert "Pages: 0 to create, 0 to update, 8 unchanged" in output


def test_pages_can_belong_to_a_place(sample, place_a):
    run(str(sample), "--place", place_a.slug, "--licence", "cc-by-4.0")
    assert Page.objects.filter(place=place_a, licence="cc-by-4.0").count() == 8
    assert set(Revision.objects.values_list("licence", flat=True)) == {"cc-by-4.0"}
    positions = sorted(Page.objects.values_list("position", flat=True))
    assert positions == list(range(8))


def test_pages_can_belong_to_a_network(sample, network):
    run(str(sample), "--network", network.slug)
    assert Page.objects.filter(network=network).count() == 8


def test_an_unknown_place_or_licence_is_refused(sample):
    with pytest.raises(CommandError, match="No place “nowhere”"):
        run(str(sample), "--place", "nowhere")
    with pytest.raises(CommandError):
        run(str(sample), "--licence", "all-rights-reserved")
    with pytest.raises(CommandError):
        run(str(sample), "--place", "a", "--network", "b")
    assert counts() == (0, 0, 0, 0, 0)


def test_a_progress_bar_is_drawn_on_a_terminal(sample, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    call_command("import_mediawiki", str(sample), stdout=io.StringIO())
    assert "Importing" in terminal.getvalue() and "14/14" in terminal.getvalue()


# --- conflicts ------------------------------------------------------------------------------


def test_a_title_taken_by_a_page_not_from_this_wiki_is_never_overwritten(sample, make_page):
    mine = make_page("Tiers lieu", "Notre propre page.")

    output = run(str(sample))

    mine.refresh_from_db()
    assert mine.body == "Notre propre page." and mine.revisions.count() == 1
    assert Page.objects.count() == 8  # 7 imported + ours
    assert (
        "“Tiers-lieu”: the commons already has a page “Tiers lieu” that was not imported from "
        "this wiki: skipped, nothing overwritten"
    ) in output
    # The wiki's links to it now lead to our page, like any link by title.
    assert PageLink.objects.filter(source__title="Accueil", target=mine).exists()


def test_a_redirect_to_a_page_not_from_this_wiki_makes_no_alias(sample, make_page):
    make_page("Repair Café du Faubourg", "Le nôtre.")
    output = run(str(sample))
    assert not PageAlias.objects.filter(slug="atelier-de-reparation").exists()
    assert "redirect to “Repair Café du Faubourg”, a page not imported from this wiki" in output


# --- synthetic exports ----------------------------------------------------------------------


def revision_xml(rid: int, when: str, text: str | None, *, user: str | None = "Ana",
                 ip: str = "", comment: str = "", deleted_user: bool = False,
                 deleted_text: bool = False) -> str:  # fmt: skip
    if deleted_user:
        who = '<contributor deleted="deleted" />'
    elif ip:
        who = f"<contributor><ip>{ip}</ip></contributor>"
    else:
        who = f"<contributor><username>{escape(user or '')}</username><id>1</id></contributor>"
    body = (
        '<text bytes="0" deleted="deleted" />'
        if deleted_text
        else f'<text xml:space="preserve">{escape(text or "")}</text>'
    )
    return (
        f"<revision><id>{rid}</id><timestamp>{when}</timestamp>{who}"
        f"<comment>{escape(comment)}</comment><model>wikitext</model>"
        f"<format>text/x-wiki</format>{body}</revision>"
    )


def export(pages: list[tuple[str, int, int, list[str]]], *, version: str = "0.10",
           namespaces: dict[int, str] | None = None, dbname: str = "autrewiki") -> str:  # fmt: skip
    namespaces = namespaces or {0: "", 1: "Talk", 2: "User", 3: "User talk", 4: "Project",
                                6: "File", 10: "Template", 12: "Help", 14: "Category"}  # fmt: skip
    ns_xml = "".join(
        f'<namespace key="{k}" case="first-letter">{escape(v)}</namespace>'
        for k, v in namespaces.items()
    )
    pages_xml = "".join(
        f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>{pid}</id>{''.join(revisions)}"
        "</page>"
        for title, ns, pid, revisions in pages
    )
    return (
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-{version}/" version="{version}" '
        f'xml:lang="en"><siteinfo><sitename>Other wiki</sitename><dbname>{dbname}</dbname>'
        f"<base>http://example.org/wiki/Main_Page</base><generator>MediaWiki 1.35</generator>"
        f"<case>first-letter</case><namespaces>{ns_xml}</namespaces></siteinfo>{pages_xml}"
        "</mediawiki>"
    )


def write(tmp_path: Path, text: str | bytes, name: str = "export.xml") -> str:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return str(path)


def test_an_english_wiki_with_help_and_project_pages_talk_pages_and_hidden_content(tmp_path):
    text = export([
        ("Repair café", 0, 1, [
            revision_xml(1, "2020-01-01T10:00:00Z", "First.\n[[Category:Repair]]"),
            revision_xml(2, "2020-01-02T10:00:00Z", None, deleted_text=True, comment="x"),
            revision_xml(3, "2020-01-03T10:00:00Z", "Third.", deleted_user=True),
            revision_xml(4, "2020-01-04T10:00:00Z", "Fourth.", ip="2001:db8::1"),
        ]),
        ("Talk:Repair café", 1, 2, [revision_xml(5, "2020-02-01T10:00:00Z",
            "== Opening hours ==\nWhen? [[User:Bob|Bob]] ([[User talk:Bob|talk]]) "
            "09:15, 3 February 2020 (UTC)\n:Saturday. [[User:Ana|Ana]] "
            "([[User talk:Ana|talk]]) 10:00, 4 February 2020 (UTC)")]),
        ("Help:Editing", 12, 3, [revision_xml(6, "2020-03-01T10:00:00Z", "See [[Repair café]].")]),
        ("Project:About", 4, 4, [revision_xml(7, "2020-03-02T10:00:00Z", "[[Help:Editing]]")]),
        ("User:Ana", 2, 5, [revision_xml(8, "2020-03-03T10:00:00Z", "Me.")]),
        ("Talk:Missing page", 1, 6, [revision_xml(9, "2020-03-04T10:00:00Z", "== X ==\nY")]),
    ])  # fmt: skip

    output = run(write(tmp_path, text))

    page = Page.objects.get(import_key="mediawiki:autrewiki:1")
    revisions = list(page.revisions.order_by("number"))
    assert [(r.author_name, r.body, r.hidden) for r in revisions] == [
        ("Ana", "First.", False), ("Ana", "", True), ("—", "Third.", False),
        ("2001:db8::1", "Fourth.", False),
    ]  # fmt: skip
    assert revisions[1].hidden_reason
    assert [t.name for t in page.tags.all()] == []  # the latest revision has no category
    assert revisions[0].tags == ["Repair"]
    comment = page.comments.get()
    assert (comment.topic, comment.author_name, comment.created_at) == (
        "Opening hours",
        "Ana",
        datetime.datetime(2020, 2, 4, 10, 0, tzinfo=datetime.UTC),
    )
    assert set(Page.objects.values_list("title", flat=True)) == {
        "Repair café", "Help:Editing", "Project:About",
    }  # fmt: skip
    about = Page.objects.get(title="Project:About")
    assert PageLink.objects.get(source=about).target == Page.objects.get(title="Help:Editing")
    assert "User (namespace 2): user pages: 1" in output
    assert "“Talk:Missing page”: discussion of “Missing page”, which is not in the commons" in (
        output
    )


def test_titles_that_collide_once_slugified_and_titles_too_long_are_skipped(tmp_path):
    text = export([
        ("Café", 0, 1, [revision_xml(1, "2020-01-01T10:00:00Z", "Un.")]),
        ("Cafe", 0, 2, [revision_xml(2, "2020-01-02T10:00:00Z", "Deux.")]),
        ("x" * 201, 0, 3, [revision_xml(3, "2020-01-03T10:00:00Z", "Long.")]),
        ("!!!", 0, 4, [revision_xml(4, "2020-01-03T10:00:00Z", "Rien.")]),
    ])  # fmt: skip

    output = run(write(tmp_path, text))

    assert list(Page.objects.values_list("title", "body")) == [("Café", "Un.")]
    assert "“Cafe”: same address as the imported page “Café” once turned into a slug" in output
    assert "title longer than 200 characters: skipped" in output
    assert "“!!!”: title without letters: skipped" in output
    # Still skipped the second time (the first page is now in the commons).
    output = run(write(tmp_path, text))
    assert "“Cafe”: same address as the imported page “Café”" in output
    assert Page.objects.count() == 1


def test_a_page_renamed_in_the_wiki_keeps_its_old_title_as_an_alias(tmp_path):
    first = export([("Old name", 0, 1, [revision_xml(1, "2020-01-01T10:00:00Z", "Text.")])])
    run(write(tmp_path, first, "first.xml"))
    second = export([("New name", 0, 1, [
        revision_xml(1, "2020-01-01T10:00:00Z", "Text."),
        revision_xml(2, "2020-02-01T10:00:00Z", "Text, renamed."),
    ])])  # fmt: skip
    run(write(tmp_path, second, "second.xml"))

    page = Page.objects.get()
    assert (page.title, page.slug, page.revision_number) == ("New name", "new-name", 2)
    assert list(page.aliases.values_list("slug", flat=True)) == ["old-name"]


def test_a_page_edited_here_then_imported_again_is_reported(tmp_path, member_a):
    first = export([("Recette", 0, 1, [revision_xml(1, "2020-01-01T10:00:00Z", "Un.")])])
    run(write(tmp_path, first, "first.xml"))
    page = Page.objects.get()
    data = services.PageData.of_page(page)
    data.body = "Modifiée ici."
    services.edit_page(member_a, page, data, base=1, check=False)
    second = export([("Recette", 0, 1, [
        revision_xml(1, "2020-01-01T10:00:00Z", "Un."),
        revision_xml(2, "2030-01-01T10:00:00Z", "Deux (wiki)."),
    ])])  # fmt: skip
    output = run(write(tmp_path, second, "second.xml"))
    page.refresh_from_db()
    assert page.revision_number == 3 and page.body == "Deux (wiki)."
    assert "edited in the commons since it was imported" in output


def test_a_crash_leaves_whole_pages_only(sample, monkeypatch):
    original = importer_module.search.index
    seen: list[str] = []

    def failing(page: Page) -> None:
        seen.append(page.title)
        if len(seen) == 3:
            raise RuntimeError("disk full")
        original(page)

    monkeypatch.setattr(importer_module.search, "index", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run(str(sample))

    expected = content_pages(sample)
    assert set(Page.objects.values_list("title", flat=True)) == set(seen[:2])
    for page in Page.objects.all():
        assert page.revisions.count() == len(expected[page.title]["revisions"])
    assert not Revision.objects.filter(page__title=seen[2]).exists()


# --- files that must be refused, with nothing written ---------------------------------------


def assert_refused(path: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(path)
    assert counts() == (0, 0, 0, 0, 0)
    assert not Tag.objects.exists()


def test_a_file_that_is_not_xml_is_refused(tmp_path):
    assert_refused(write(tmp_path, "title;body\nUn;deux\n", "pages.csv"),
                   r"pages\.csv: The file is not XML \(.*line 1, column \d+\)\.")  # fmt: skip


def test_a_binary_file_is_refused(tmp_path):
    assert_refused(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "image.png"),
                   "The file is not XML")  # fmt: skip


def test_an_empty_file_is_refused(tmp_path):
    assert_refused(write(tmp_path, b""), "The file is not XML|The file is empty")


def test_xml_that_is_not_a_mediawiki_export_is_refused(tmp_path):
    assert_refused(
        write(tmp_path, '<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>'),
        r"not a MediaWiki export: its root element is <rss>",
    )
    assert_refused(
        write(tmp_path, '<mediawiki xmlns="http://example.org/other"><page/></mediawiki>'),
        r"not a MediaWiki export: its root element is <mediawiki> \(http://example.org/other\)",
    )


def test_a_truncated_export_is_refused_and_nothing_is_written(sample, tmp_path):
    content = sample.read_bytes()
    cut = content[: len(content) * 2 // 3]
    lines = cut.count(b"\n") + 1
    assert_refused(write(tmp_path, cut), f"The export is cut off: the file ends at line {lines}")


def test_broken_utf8_is_refused_with_its_line_and_nothing_is_written(sample, tmp_path):
    content = sample.read_bytes()
    at = content.index(b"Ce wiki documente")
    broken = content[:at] + b"\xc3\x28 \xff" + content[at:]
    line = content[:at].count(b"\n") + 1
    assert_refused(write(tmp_path, broken), f"not valid UTF-8: the byte 0xC3 at line {line}")


def test_an_export_declaring_a_document_type_is_refused(tmp_path):
    text = '<?xml version="1.0"?><!DOCTYPE mediawiki [<!ENTITY a "aaaa">]>' + export([])
    assert_refused(write(tmp_path, text), "declares a document type")


def test_a_revision_without_a_valid_date_is_refused_before_anything_is_written(tmp_path):
    text = export([
        ("Bon", 0, 1, [revision_xml(1, "2020-01-01T10:00:00Z", "Un.")]),
        ("Mauvais", 0, 2, [revision_xml(2, "hier", "Deux.")]),
    ])  # fmt: skip
    assert_refused(write(tmp_path, text), "The time of revision 2 is not a date: “hier”")


def test_a_missing_file_is_refused(tmp_path):
    assert_refused(str(tmp_path / "nowhere.xml"), "no such file")


def test_the_command_exits_with_1_and_a_clear_message(tmp_path):
    garbage = write(tmp_path, b"not xml at all", "garbage.xml")
    env = {
        **os.environ,
        "DATABASE_URL": "sqlite:///:memory:",
        "DJANGO_SETTINGS_MODULE": "tiers.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tiers.cli", "import-mediawiki", garbage, "--no-progress"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "garbage.xml" in result.stderr and "XML" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_revision_of_the_sample_converts_the_same_section_by_section(sample, monkeypatch):
    from tiers.commons.mediawiki import wikitext
    from tiers.commons.mediawiki.dump import Dump

    texts = [r.text for page in Dump(sample).pages() for r in page.revisions]
    assert len(texts) == 36
    by_sections = [wikitext.convert(text) for text in texts]
    monkeypatch.setattr(wikitext, "sections", lambda text: [text])
    assert [wikitext.convert(text) for text in texts] == by_sections


def test_an_old_export_without_redirect_elements_and_a_talk_page_before_its_page(tmp_path):
    text = export(
        [
            ("Talk:Garden", 1, 1, [revision_xml(1, "2019-01-02T10:00:00Z",
                "== Seeds ==\nWho has tomatoes? [[User:Bob|Bob]] 10:00, 2 January 2019 (UTC)")]),
            ("Old garden", 0, 2, [revision_xml(2, "2019-01-01T10:00:00Z", "#REDIRECT [[Garden]]")]),
            ("Garden", 0, 3, [revision_xml(3, "2019-01-01T09:00:00Z", "Plots.")]),
            ("Nowhere", 0, 4, [revision_xml(4, "2019-01-01T09:00:00Z", "#REDIRECT [[Missing]]")]),
        ],
        version="0.5",
    )  # fmt: skip

    output = run(write(tmp_path, text))

    garden = Page.objects.get()
    assert garden.title == "Garden"
    assert list(garden.aliases.values_list("title", flat=True)) == ["Old garden"]
    comment = garden.comments.get()
    assert (comment.topic, comment.author_name) == ("Seeds", "Bob")
    assert "“Nowhere”: redirect to “Missing”, which is not in the commons: no alias" in output
    assert "Aliases (redirects): 1 created, 0 unchanged (2 redirects)." in output
