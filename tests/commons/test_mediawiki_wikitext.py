"""Wikitext to the commons' Markdown, construct by construct, and what the conversion reports.

Each expected Markdown is also rendered (`render_with`) where the point is how it shows."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiers.commons.mediawiki.wikitext import (
    Context,
    Namespaces,
    convert,
    page_title,
    plain,
    redirect_target,
    sections,
    signatures,
    talk_sections,
)
from tiers.commons.render import Links, render_with

FRENCH_SITE = {
    -2: "Média", -1: "Spécial", 0: "", 1: "Discussion", 2: "Utilisateur", 3: "Discussion utilisateur",
    4: "Wiki Tiers-Lieux", 5: "Discussion Wiki Tiers-Lieux", 6: "Fichier", 10: "Modèle",
    12: "Aide", 13: "Discussion aide", 14: "Catégorie",
}  # fmt: skip
GERMAN_SITE = {
    0: "", 1: "Diskussion", 2: "Benutzer", 3: "Benutzer Diskussion", 4: "Projekt",
    6: "Datei", 10: "Vorlage", 12: "Hilfe", 14: "Kategorie",
}  # fmt: skip


def md(text: str, title: str = "Page", namespaces: dict[int, str] | None = None) -> str:
    context = Context(title=title, namespaces=Namespaces.of(namespaces or FRENCH_SITE),
                      sitename="Wiki Tiers-Lieux")  # fmt: skip
    return convert(text, context).body


def issues(text: str) -> list[tuple[str, str]]:
    return [(i.construct, i.sample) for i in convert(text).issues]


def html(markdown: str) -> str:
    return render_with(markdown, Links())


# --- headings, emphasis, paragraphs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("wikitext", "markdown"),
    [
        ("== Titre ==", "## Titre"),
        ("=== Sous-titre ===", "### Sous-titre"),
        ("==== Niveau 4 ====", "#### Niveau 4"),
        ("= Un =", "# Un"),
        ("== ''Titre'' en italique ==", "## *Titre* en italique"),
        ("== C# ==", "## C\\#"),
    ],
)
def test_headings(wikitext, markdown):
    assert md(wikitext) == markdown


def test_a_heading_between_paragraphs_stands_on_its_own():
    assert md("Avant.\n== Section ==\nAprès.") == "Avant.\n\n## Section\n\nAprès."


@pytest.mark.parametrize(
    ("wikitext", "markdown"),
    [
        ("'''gras'''", "**gras**"),
        ("''italique''", "*italique*"),
        ("'''''les deux'''''", "***les deux***"),
        ("un ''' mot ''' isolé", "un  **mot**  isolé"),
        ("<b>b</b> <strong>s</strong> <i>i</i> <em>e</em>", "**b** **s** *i* *e*"),
        ("<s>barré</s> <del>ôté</del>", "~~barré~~ ~~ôté~~"),
        ("l'''apostrophe''' d'abord", "l**apostrophe** d'abord"),  # as MediaWiki shows it
    ],
)
def test_emphasis(wikitext, markdown):
    assert md(wikitext) == markdown


def test_emphasis_renders_as_html():
    out = html(md("Un '''tiers-lieu''' est ''ouvert''."))
    assert "<strong>tiers-lieu</strong>" in out and "<em>ouvert</em>" in out


def test_paragraphs_and_single_line_breaks_are_kept():
    assert md("Ligne un\nligne deux\n\nParagraphe deux") == (
        "Ligne un\nligne deux\n\nParagraphe deux"
    )


def test_markdown_characters_in_plain_text_are_escaped():
    out = md("Prix : 5 * 3 = 15, [sic] et `code` et un_mot et _souligné_")
    assert out == r"Prix : 5 \* 3 = 15, \[sic\] et \`code\` et un_mot et \_souligné\_"
    assert "<em>" not in html(out) and "<code>" not in html(out)


@pytest.mark.parametrize(
    ("wikitext", "shown"),
    [
        ("- pas une liste", "<p>- pas une liste</p>"),
        ("1. pas numéroté", "<p>1. pas numéroté</p>"),
        ("> pas une citation", "<p>&gt; pas une citation</p>"),
        ("+ plus", "<p>+ plus</p>"),
    ],
)
def test_what_markdown_would_read_as_a_block_at_a_line_start_stays_text(wikitext, shown):
    assert html(md(wikitext)).strip() == shown


def test_horizontal_rule():
    assert md("Avant\n----\nAprès") == "Avant\n\n---\n\nAprès"
    assert "<hr" in html(md("Avant\n----\nAprès"))
    assert "<h2" not in html(md("Avant\n----\nAprès"))  # not a setext heading


def test_line_breaks():
    assert md("un<br>deux<br/>trois<br />") == "un\\\ndeux\\\ntrois"
    assert html(md("un<br>deux")).count("<br") == 1


def test_html_entities_are_characters():
    assert md("a&nbsp;: b &amp; c &lt;d&gt; &eacute;") == "a\u00a0: b & c <d> é"


def test_comments_are_removed():
    assert md("a<!-- caché -->b\n<!-- ligne -->\nc") == "ab\nc"


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wikitext", "markdown"),
    [
        ("[[Fablab des Tanneurs]]", "[[Fablab des Tanneurs]]"),
        ("[[Fablab des Tanneurs|le fablab]]", "[[Fablab des Tanneurs|le fablab]]"),
        ("[[Fablab#Horaires|les horaires]]", "[[Fablab#Horaires|les horaires]]"),
        ("[[Fablab#Horaires]]", "[[Fablab#Horaires]]"),
        ("les [[fablab]]s du coin", "les [[fablab|fablabs]] du coin"),
        ("les [[Repair café|répar]]ations", "les [[Repair café|réparations]]"),
        ("[[Page (sens)|]]", "[[Page (sens)|Page]]"),
        ("[[#Horaires|plus bas]]", "[plus bas](#horaires)"),
        ("[[/Documentation]]", "[[Projet/Documentation|Documentation]]"),
        ("[[Aide:Modifier]]", "[[Aide:Modifier]]"),
        ("[[Help:Modifier|aide]]", "[[Aide:Modifier|aide]]"),
        ("[[Project:À propos]]", "[[Wiki Tiers-Lieux:À propos]]"),
        ("[[Discussion:Fablab|la discussion]]", "[[Fablab|la discussion]]"),
        ("[[Utilisateur:Zoé|Zoé]]", "Zoé"),
        ("[[User:Zoé]]", "Zoé"),
        ("[[Modèle:Infobox|le modèle]]", "le modèle"),
        ("[[Spécial:Pages liées/X|liens]]", "liens"),
    ],
)
def test_internal_links(wikitext, markdown):
    assert md(wikitext, title="Projet") == markdown


def test_links_to_other_namespaces_are_reported():
    assert ("link to another namespace", "Modèle:Infobox") in issues("[[Modèle:Infobox|x]]")
    assert issues("[[Utilisateur:Zoé|Zoé]]") == []


def test_a_link_label_holds_no_markup():
    assert md("[[Fablab|le '''fablab''']]") == "[[Fablab|le fablab]]"


def test_namespaces_come_from_the_export():
    assert md("[[Kategorie:Werkstatt]] [[Datei:Plan.png|Plan]] [[Hilfe:X]]",
              namespaces=GERMAN_SITE) == "[[Fichier:Plan.png|Plan]] [[Hilfe:X]]"  # fmt: skip
    result = convert("[[Kategorie:Werkstatt]]",
                     Context(namespaces=Namespaces.of(GERMAN_SITE)))  # fmt: skip
    assert result.categories == ["Werkstatt"]


@pytest.mark.parametrize(
    ("wikitext", "markdown"),
    [
        ("[http://example.org/a Le site]", "[Le site](http://example.org/a)"),
        ("[https://example.org/a?b=1&amp;c=2 Guide]", "[Guide](https://example.org/a?b=1&c=2)"),
        ("[http://example.org/a]", "<http://example.org/a>"),
        ("voir http://example.org/a.", "voir <http://example.org/a>."),
        ("[//example.org/a Site]", "[Site](https://example.org/a)"),
        ("[http://example.org/(x) Par]", "[Par](http://example.org/%28x%29)"),
        ("[http://example.org '''Gras''']", "[**Gras**](http://example.org)"),
        ("[mailto:a@example.org Écrire]", "[Écrire](mailto:a@example.org)"),
    ],
)
def test_external_links(wikitext, markdown):
    assert md(wikitext) == markdown


def test_external_links_render():
    out = html(md("[http://example.org/a Le site] et http://example.org/b"))
    assert 'href="http://example.org/a"' in out and 'href="http://example.org/b"' in out


def test_a_link_with_a_scheme_the_renderer_refuses_is_kept_as_text_and_reported():
    assert md("[ftp://example.org/f Fichiers]") == "Fichiers (ftp://example.org/f)"
    assert issues("[ftp://example.org/f Fichiers]") == [
        ("link with an unsupported scheme", "ftp://example.org/f")
    ]


def test_interwiki_and_language_links():
    assert md("[[w:Tiers-lieu|Wikipédia]]") == (
        "[Wikipédia](https://fr.wikipedia.org/wiki/Tiers-lieu)"
    )
    assert md("[[wikipedia:en:Third place]]") == (
        "[Third place](https://en.wikipedia.org/wiki/Third_place)"
    )
    assert md("Texte.\n[[en:Third place]]") == "Texte."
    assert ("language link", "en:Third place") in issues("[[en:Third place]]")


def test_semantic_mediawiki_annotations_show_their_value():
    assert md("Situé à [[A pour ville::Nantes]], [[Type::Fablab|un fablab]].") == (
        "Situé à [[Nantes]], [[Fablab|un fablab]]."
    )
    assert issues("[[A pour ville::Nantes]]") == [("semantic property", "A pour ville")]


def test_a_title_with_a_colon_that_is_no_namespace_is_a_page():
    assert md("[[Recette : la soupe]]") == "[[Recette : la soupe]]"
    # On a German wiki, "Aide" is no namespace.
    assert md("[[Aide: wie?]] [[Help:X]]", namespaces=GERMAN_SITE) == "[[Aide: wie?]] [[Hilfe:X]]"


# --- lists ----------------------------------------------------------------------------------


def test_bullet_and_numbered_lists_nest():
    wikitext = "* un\n** un.un\n* deux\n# premier\n## sous\n#* puce\n# second"
    assert md(wikitext) == ("- un\n  - un.un\n- deux\n1. premier\n   1. sous\n   - puce\n1. second")
    out = html(md(wikitext))
    assert out.count("<ul>") == 3 and out.count("<ol>") == 2


def test_a_list_after_a_paragraph_and_a_paragraph_after_a_list():
    out = md("Intro :\n* a\n* b\nSuite.")
    assert out == "Intro :\n\n- a\n- b\n\nSuite."
    assert "<p>Suite.</p>" in html(out)  # not swallowed by the last item


def test_definition_lists_and_indents():
    assert md(";Terme : définition") == "**Terme** : définition"
    assert md(";Terme\n:définition") == "**Terme**\n\n> définition"
    assert md(":retrait\n::encore") == "> retrait\n> > encore"
    assert md("# item\n#: suite de l'item") == "1. item\n   suite de l'item"


def test_list_items_starting_with_markdown_characters_stay_text():
    assert md("* - tiret") == "- \\- tiret"


# --- tables ---------------------------------------------------------------------------------

TABLE = """{| class="wikitable"
|+ Machines
! Machine !! Prix
|-
| Laser || 8 €
|-
| style="color:red" | Imprimante 3D || 2 €
|}"""


def test_a_wiki_table_becomes_a_markdown_table():
    assert md(TABLE) == (
        "*Machines*\n\n| Machine | Prix |\n| --- | --- |\n| Laser | 8 € |\n| Imprimante 3D | 2 € |"
    )
    out = html(md(TABLE))
    assert "<th>Machine</th>" in out and "<td>Imprimante 3D</td>" in out
    assert convert(TABLE).issues == []


def test_a_table_without_header_row_uses_its_first_row():
    assert md("{|\n| a || b\n|-\n| c || d\n|}") == "| a | b |\n| --- | --- |\n| c | d |"


def test_row_headers_are_bold_and_links_in_cells_keep_their_label():
    out = md("{|\n! A !! B\n|-\n! Ligne\n| [[Page|texte]] \n|}")
    assert out == "| A | B |\n| --- | --- |\n| **Ligne** | [[Page\\|texte]] |"
    assert ">texte<" in html(out)


def test_pipes_in_cells_are_escaped():
    assert md("{|\n! A\n|-\n| a <nowiki>|</nowiki> b\n|}") == "| A |\n| --- |\n| a \\| b |"


def test_merged_cells_are_spread_and_reported():
    wikitext = '{|\n! A !! B !! C\n|-\n| colspan="2" | ab || c\n|-\n| rowspan="2" | x || y || z\n|-\n| y2 || z2\n|}'
    assert md(wikitext) == (
        "| A | B | C |\n| --- | --- | --- |\n| ab |  | c |\n| x | y | z |\n|  | y2 | z2 |"
    )
    assert [c for c, _s in issues(wikitext)] == ["table: merged cells", "table: merged cells"]


def test_a_complex_cell_is_flattened_and_reported():
    wikitext = "{|\n! Liste\n|-\n|\n* un\n* deux\n|}"
    assert md(wikitext) == "| Liste |\n| --- |\n| un ; deux |"
    assert issues(wikitext)[0][0] == "table: complex cell"


def test_html_tables():
    assert md("<table><tr><th>A</th></tr><tr><td>b</td></tr></table>") == ("| A |\n| --- |\n| b |")


# --- footnotes ------------------------------------------------------------------------------


def test_refs_become_footnotes_defined_at_the_end():
    wikitext = (
        'Un<ref>Première.</ref> deux<ref name="x">Nommée, [[Page]].</ref> '
        'trois<ref name="x" /> quatre<ref name=y/>.\n\n== Références ==\n<references />\n'
        "<references><ref name=y>Définie en bas.</ref></references>"
    )
    assert md(wikitext) == (
        "Un[^1] deux[^2] trois[^2] quatre[^3].\n\n## Références\n\n"
        "[^1]: Première.\n\n[^2]: Nommée, [[Page]].\n\n[^3]: Définie en bas."
    )
    out = html(md(wikitext))
    assert out.count('class="footnote-item"') == 3


def test_a_footnote_without_text_is_reported():
    assert md("a<ref name=z/>") == "a[^1]\n\n[^1]: …"
    assert ("footnote without text", "[^1]") in issues("a<ref name=z/>")


# --- categories and files -------------------------------------------------------------------


def test_categories_become_tags_and_leave_the_text():
    result = convert("Texte.\n\n[[Catégorie:Fablab]]\n[[Category:lieux à Nantes|tri]]"
                     "[[Catégorie:Fablab]]")  # fmt: skip
    assert result.body == "Texte."
    assert result.categories == ["Fablab", "Lieux à Nantes"]


def test_a_link_to_a_category_leads_to_its_tag():
    assert md("[[:Catégorie:Fablab|les fablabs]]") == "[les fablabs](/communs/etiquettes/fablab/)"


@pytest.mark.parametrize(
    ("wikitext", "markdown"),
    [
        ("[[Fichier:Plan.png|vignette|Plan du lieu]]", "[[Fichier:Plan.png|Plan du lieu]]"),
        ("[[File:Plan.png|thumb|200px|right|Le '''plan''']]", "[[Fichier:Plan.png|Le plan]]"),
        ("[[Image:Plan.png]]", "[[Fichier:Plan.png]]"),
        ("[[Fichier:Plan.png|alt=Un plan|vignette]]", "[[Fichier:Plan.png|Un plan]]"),
    ],
)
def test_files(wikitext, markdown):
    assert md(wikitext) == markdown
    assert issues(wikitext) == [("file", "Plan.png")]


def test_a_gallery_lists_its_files():
    wikitext = "<gallery>\nFichier:A.jpg|Premier\nB.png\n</gallery>"
    assert md(wikitext) == "[[Fichier:A.jpg|Premier]]\n\n[[Fichier:B.png]]"
    assert [c for c, _s in issues(wikitext)] == ["gallery", "file", "file"]


# --- templates and magic words --------------------------------------------------------------


def test_templates_are_kept_as_readable_text():
    assert md("{{Modèle|a=1|b=2}}") == "**Modèle** — a : 1 ; b : 2"
    assert md("{{Ébauche}}") == "**Ébauche**"
    assert md("{{Infobox lieu\n| nom = Fablab\n| ville = \n| site = [http://x.org site]\n}}") == (
        "**Infobox lieu** — nom : Fablab ; site : [site](http://x.org)"
    )
    assert md("{{Citation|Une phrase.|Auteur}}") == "**Citation** — Une phrase. ; Auteur"
    assert issues("{{Modèle:Bandeau|x}}") == [("template", "{{Bandeau}}")]


def test_a_template_alone_on_its_line_is_a_paragraph():
    assert md("{{Infobox|a=1}}\nLe texte.") == "**Infobox** — a : 1\n\nLe texte."


def test_magic_words():
    assert md("{{PAGENAME}} sur {{SITENAME}}", title="Aide:Modifier/Liens") == (
        "Modifier/Liens sur Wiki Tiers-Lieux"
    )
    assert md("{{SUBPAGENAME}} {{BASEPAGENAME}}", title="Projet/Doc") == "Doc Projet"
    assert md("a{{clear}}\n__NOTOC__\n__TOC__b{{DEFAULTSORT:Clé}}") == "a\nb"
    assert md("{{lc:ABC}} {{uc:abc}} {{ucfirst:abc}}") == "abc ABC Abc"
    assert md("{{lang|en|third place}} a{{!}}b") == "third place a|b"


def test_citation_templates_become_links():
    assert md("{{Lien web|titre=Le guide|url=http://example.org/g|site=Exemple}}") == (
        "[Le guide](http://example.org/g), Exemple"
    )


def test_parser_functions_are_kept_as_code_and_reported():
    assert md("{{#if: x | oui | non }}") == "`{{#if: x | oui | non }}`"
    assert issues("{{#if: x | oui | non }}")[0][0] == "parser function"


def test_template_parameters_outside_templates():
    assert md("{{{nom|défaut}}}") == "défaut"
    assert issues("{{{nom}}}") == [("template parameter", "{{{nom}}}")]


# --- code and HTML --------------------------------------------------------------------------


def test_nowiki_is_literal():
    assert md("<nowiki>''pas italique'' [[pas un lien]]</nowiki>") == (
        "''pas italique'' \\[\\[pas un lien\\]\\]"
    )


def test_code():
    assert md("la commande <code>ls -l</code>") == "la commande `ls -l`"
    assert md("<code>a`b</code>") == "``a`b``"
    assert md("<pre>\nx = '''1''' &lt; 2\n</pre>") == "```\nx = '''1''' < 2\n```"
    assert md('<syntaxhighlight lang="python">\nprint("x")\n</syntaxhighlight>') == (
        '```python\nprint("x")\n```'
    )
    assert md('un <syntaxhighlight lang="bash" inline>ls</syntaxhighlight>') == "un `ls`"
    assert md("Texte\n une ligne\n une autre\nFin") == (
        "Texte\n\n```\nune ligne\nune autre\n```\n\nFin"
    )


def test_other_html_tags_keep_their_text_and_are_reported():
    assert md('<span style="color:red">rouge</span> <u>souligné</u> <small>petit</small>') == (
        "rouge souligné petit"
    )
    assert [s for _c, s in issues("<u>a</u><small>b</small>")] == ["<u>", "<small>"]
    assert md("<div>\n* a\n* b\n</div>") == "- a\n- b"
    assert md("<blockquote>Cité</blockquote>") == "> Cité"
    assert md("m<sup>2</sup> et CO<sub>2</sub>") == "m² et CO₂"


def test_scripts_and_styles_are_dropped():
    assert md("a<script>alert(1)</script>b<style>p{}</style>") == "ab"


def test_includeonly_is_dropped_and_noinclude_kept():
    assert md("a<includeonly>caché</includeonly><noinclude>\n== Doc ==\nvu</noinclude>") == (
        "a\n\n## Doc\n\nvu"
    )


def test_nothing_raw_reaches_the_html():
    out = html(md('<iframe src="http://evil.example"></iframe><img src=x onerror=alert(1)>'))
    assert "<iframe" not in out and "onerror" not in out and "<img" not in out


# --- signatures, talk pages, redirects, titles ----------------------------------------------

TALK = """Avant-propos.
== Horaires ==
Question ? [[Utilisateur:Yanis Benali|Yanis]] ([[Discussion utilisateur:Yanis Benali|discussion]]) 20 janvier 2023 à 19:02 (UTC)
: Réponse. [[Utilisateur:Zoé Lefèvre|Zoé]] ([[Discussion utilisateur:Zoé Lefèvre|d]]) 21 janvier 2023 à 08:31 (CET)
== Laser ==
Devis. [[User:Camille_Martin|Camille]] ([[User talk:Camille Martin|talk]]) 19:02, 11 February 2023 (UTC)
=== Détail ===
Plus. [[User:Sans date|S]] ([[User talk:Sans date|t]])
"""


def test_signatures_are_found_with_their_dates():
    found = signatures(TALK, Namespaces.of(FRENCH_SITE))
    assert [(s.name, s.when) for s in found] == [
        ("Yanis Benali", datetime.datetime(2023, 1, 20, 19, 2, tzinfo=datetime.UTC)),
        ("Zoé Lefèvre", datetime.datetime(2023, 1, 21, 7, 31, tzinfo=datetime.UTC)),
        ("Camille Martin", datetime.datetime(2023, 2, 11, 19, 2, tzinfo=datetime.UTC)),
        ("Sans date", None),
    ]


def test_signatures_are_written_as_a_dash_and_a_name():
    assert md(TALK.splitlines()[2]) == "Question ? — Yanis, 20 janvier 2023 à 19:02 (UTC)"
    # A user link alone is no signature.
    assert md("Merci à [[Utilisateur:Zoé|Zoé]] !") == "Merci à Zoé !"


def test_talk_pages_are_cut_at_their_topics():
    sections = talk_sections(TALK)
    assert [s.topic for s in sections] == ["", "Horaires", "Laser"]
    assert sections[0].text == "Avant-propos."
    assert "=== Détail ===" in sections[2].text


@pytest.mark.parametrize(
    ("wikitext", "target"),
    [
        ("#REDIRECT [[Repair Café]]", "Repair Café"),
        ("#REDIRECTION [[Charte_des tiers-lieux#Principes]]", "Charte des tiers-lieux#Principes"),
        ("#redirect:[[Page|texte]]\n[[Catégorie:X]]", "Page"),
        ("#WEITERLEITUNG [[Seite]]", "Seite"),
        ("# REDIRECT nothing", ""),
        ("Texte [[#REDIRECT]]", ""),
    ],
)
def test_redirects(wikitext, target):
    assert redirect_target(wikitext) == target
    assert convert(wikitext).redirect == target


def test_the_title_rule_of_project_and_help_pages():
    namespaces = Namespaces.of(FRENCH_SITE)
    assert page_title(0, "Fablab", namespaces) == "Fablab"
    assert page_title(12, "Aide:Modifier une page", namespaces) == "Aide:Modifier une page"
    assert page_title(4, "Wiki Tiers-Lieux:À propos", namespaces) == "Wiki Tiers-Lieux:À propos"
    assert page_title(12, "Help:Editing", Namespaces.of(GERMAN_SITE)) == "Hilfe:Editing"


def test_plain_text_of_a_topic():
    assert plain("''Horaires'' du [[Fablab|fablab]] {{Fait}}") == "Horaires du fablab Fait"


# --- conversion section by section ----------------------------------------------------------


def test_a_text_is_cut_before_its_headings_but_never_inside_a_construct():
    text = (
        "Intro\n== A ==\na\n{{Modèle|x=\n== pas une coupure ==\n}}\n=== B ===\nb\n"
        "<pre>\n== dans pre ==\n</pre>\n== C ==\n<!-- \n== commenté ==\n-->\nc\n"
        "{|\n|-\n| cellule\n== dans la table ==\n|}\n== D ==\nd"
    )
    parts = sections(text)
    assert "".join(parts) == text
    assert [part.split("\n", 1)[0] for part in parts] == [
        "Intro", "== A ==", "=== B ===", "== C ==", "== D ==",
    ]  # fmt: skip


SAMPLE_LIKE = """{{Infobox|nom=X}}
Intro<ref name="a">Note A.</ref> et<ref>Note B.</ref>.
== Un ==
Texte<ref name="a" /> [[Lien]].
<div>
== Dans un div ==
* item<ref name="c" />
</div>
== Deux ==
{| class="wikitable"
! A !! B
|-
| 1 || 2<ref>Note D.</ref>
|}
== Références ==
<references>
<ref name="c">Note C, définie en bas.</ref>
</references>
[[Catégorie:Un]]
[[Catégorie:Deux]]
"""


def test_converting_section_by_section_gives_the_same_as_the_whole_text(monkeypatch):
    from tiers.commons.mediawiki import wikitext

    by_sections = convert(SAMPLE_LIKE)
    assert len(sections(SAMPLE_LIKE)) == 4
    monkeypatch.setattr(wikitext, "sections", lambda text: [text])
    whole = convert(SAMPLE_LIKE)
    assert by_sections == whole
    assert whole.body.endswith(
        "[^1]: Note A.\n\n[^2]: Note B.\n\n[^3]: Note C, définie en bas.\n\n[^4]: Note D."
    )
    assert "Texte[^1]" in whole.body and "item[^3]" in whole.body


def test_sections_already_converted_are_taken_from_the_cache():
    cache: dict = {}
    first = convert(SAMPLE_LIKE, cache=cache)
    assert len(cache) == 4
    edited = SAMPLE_LIKE.replace("1 || 2", "1 || 3")
    second = convert(edited, cache=cache)
    assert len(cache) == 5  # only the edited section was converted again
    assert second.body == first.body.replace("| 1 | 2[^4] |", "| 1 | 3[^4] |")


# --- any wikitext -----------------------------------------------------------------------------

FRAGMENTS = [
    "== T ==", "\n", "\n\n", " ", "''", "'''", "[[", "]]", "[[Page|x]]", "{{", "}}", "{{M|a=1}}",
    "{|", "|}", "|-", "||", "!", "|", "* ", "# ", ": ", "; ", "<ref>", "</ref>", "<ref name=a/>",
    "<references/>", "<pre>", "</pre>", "<nowiki>", "</nowiki>", "<!--", "-->", "<div>",
    "</div>", "[http://example.org x]", "http://example.org", "<br>", "----", "&amp;", "&",
    "[[Catégorie:X]]", "[[Fichier:A.png|thumb|c]]", "<gallery>", "</gallery>", "{{{a}}}",
    "<table>", "<tr>", "<td>", "<script>alert(1)</script>", "javascript:alert(1)", "é", "`",
    "*", "_", "\\", "~~~~", "[[Utilisateur:X|X]] ([[Discussion utilisateur:X|d]])",
    "<syntaxhighlight lang=py>", "</syntaxhighlight>", "#REDIRECT [[A]]", "<u>", "</u>",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=40))
def test_any_wikitext_converts_and_renders_safely(pieces):
    text = "".join(pieces)
    result = convert(text)
    assert "\x01" not in result.body and "\x02" not in result.body
    out = html(result.body)
    assert "<script" not in out and "javascript:" not in out.replace("javascript:alert", "")
    assert convert(text).body == result.body  # deterministic
