"""A page's Markdown: CommonMark with tables, footnotes, task lists, heading anchors and wiki
links, always sanitised: no script, no event handler, no javascript: URL, whatever the text."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.core.test_markdown import XSS_VECTORS
from tiers.commons.render import ALLOWED_TAGS, render, wikilink_targets
from tiers.commons.text import slug_of

WIKI_VECTORS = [
    "[[<script>alert(1)</script>]]",
    "[[Titre|<img src=x onerror=alert(1)>]]",
    "[[javascript:alert(1)]]",
    "[[javascript:alert(1)|clic]]",
    '[[Titre#"><script>alert(1)</script>|x]]',
    '[[Fichier:x.png|" onerror="alert(1)]]',
    "[[Fichier:javascript:alert(1)]]",
    "[^1] x\n\n[^1]: <script>alert(1)</script> [a](javascript:alert(1))",
    "# <img src=x onerror=alert(1)>",
    '# Titre {#"><script>alert(1)</script>}',
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "- [ ] <script>alert(1)</script>\n- [x] <img src=x onerror=alert(1)>",
    "[x](<javascript:alert(1)>)",
    '<a href="[[Titre]]" onclick="alert(1)">x</a>',
    "[[Titre|[x](javascript:alert(1))]]",
    "```html\n<script>alert(1)</script>\n```",
]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def assert_safe(html: str) -> None:
    parser = Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, f"<{tag}> survived: {html}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name} survived: {html}"
            if name in ("href", "src"):
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("", "http", "https", "mailto", "tel"), html
            if name == "style":
                assert value.startswith("text-align"), html
    assert "<script" not in html.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("vector", XSS_VECTORS + WIKI_VECTORS)
def test_no_script_survives(vector):
    html, _links = render(vector)
    assert_safe(html)


@pytest.mark.django_db
def test_commonmark_extensions():
    body = (
        "# Démarrer\n\nTexte **gras** et ~~barré~~.\n\n"
        "| Qui | Quoi |\n|:--|--:|\n| Léa | café |\n\n"
        "- [x] fait\n- [ ] à faire\n\n"
        "Une note[^n].\n\n[^n]: La note.\n\n## Démarrer\n"
    )
    html, _links = render(body)
    assert '<h2 id="demarrer">Démarrer</h2>' in html  # headings start at h2, with an anchor
    assert '<h3 id="demarrer-1">Démarrer</h3>' in html  # unique anchors
    assert "<table>" in html and 'style="text-align: left"' in html
    assert "<del>barré</del>" in html or "<s>barré</s>" in html
    assert '<span class="task-box" aria-hidden="true">☑</span>' in html
    assert "<input" not in html  # a disabled checkbox would be an unlabelled form field
    assert 'class="footnotes"' in html and 'href="#fn1"' in html


@pytest.mark.django_db
def test_iframe_only_body_is_text():
    html, _links = render('<iframe src="https://example.org/"></iframe>')
    assert "<iframe" not in html
    assert "&lt;iframe" in html


@pytest.mark.django_db
def test_wiki_links_resolve_by_title(make_page):
    target = make_page("Café réparation", "Texte")
    html, links = render("Voir [[café_Réparation]], [[Café réparation#Outils|les outils]] "
                         "et [[Page absente]].")  # fmt: skip
    assert f'href="/communs/pages/{target.slug}/"' in html
    assert f'href="/communs/pages/{target.slug}/#outils"' in html
    assert ">café Réparation</a>" in html and ">les outils</a>" in html
    assert 'class="wikilink wikilink--new"' in html
    assert "/communs/nouvelle?titre=Page+absente" in html
    assert set(links.found) == {"cafe-reparation"}
    assert links.wanted == {"page-absente": "Page absente"}


@pytest.mark.django_db
def test_wiki_links_follow_aliases(make_page, member_a):
    from tests.commons.conftest import edit

    page = make_page("Ancien titre", "Texte")
    edit(member_a, page, title="Nouveau titre")
    html, _links = render("[[Ancien titre]]")
    assert 'href="/communs/pages/nouveau-titre/"' in html
    assert "wikilink--new" not in html


def test_wiki_links_in_code_are_text():
    html, _links = Links_render("`[[Pas un lien]]`\n\n    [[Pas non plus]]\n")
    assert "<a" not in html
    assert "[[Pas un lien]]" in html


def Links_render(body: str) -> tuple[str, object]:
    from tiers.commons.render import Links, render_with

    return render_with(body, Links()), None


def test_targets_and_slugs():
    assert wikilink_targets("[[A b|x]] [[Fichier:p.png]] [[a_B#c]] [[]] [[ ]]") == {"a-b": "A b"}
    assert slug_of("  Café   réparation ") == "cafe-reparation"
    assert slug_of("Ελληνικά") == "ελληνικά"
    assert slug_of("!!!") == ""


@pytest.mark.parametrize(
    ("body", "levels"),
    [("# A\n## B\n### C", [2, 3, 4]), ("## A\n### B", [2, 3]), ("### A\n#### B\n## C", [2, 3, 2]),
     ("# A\n###### F\n# G", [2, 3, 2]), ("## A\n# B\n## C", [2, 2, 2])],
)  # fmt: skip
def test_headings_follow_the_title_without_gaps(body, levels):
    import re

    html, _links = Links_render(body)
    assert [int(n) for n in re.findall(r"<h(\d)", html)] == levels
