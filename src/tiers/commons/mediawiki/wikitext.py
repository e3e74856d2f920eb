"""Wikitext to the Markdown of the commons (see `tiers.commons.render`).

`convert(text, context)` parses the wikitext with mwparserfromhell and writes Markdown:

| wikitext | Markdown |
|---|---|
| `== Titre ==`, `=== Sous-titre ===` | `## Titre`, `### Sous-titre` (as many `#` as `=`) |
| `'''gras'''`, `''italique''`, `<b>`, `<strong>`, `<i>`, `<em>` | `**gras**`, `*italique*` |
| `<s>`, `<del>`, `<strike>` | `~~barré~~` |
| `[[Page]]`, `[[Page\\|texte]]`, `[[Page#Section\\|texte]]`, `[[Page]]s` | the same wiki links (`[[Page\\|Pages]]` for a link trail) |
| `[[#Section\\|texte]]` | `[texte](#section)` |
| `[[/Sous-page]]` | `[[Page/Sous-page]]` |
| `[[Aide:X]]`, `[[Help:X]]`, `[[Project:X]]` (namespaces 12 and 4) | `[[Aide:X]]`, `[[<project name>:X]]`: the titles these pages are imported with |
| `[[Discussion:X]]` | `[[X]]` (the discussion is on the page) |
| `[[Utilisateur:X\\|Nom]]` and other namespaces | the text `Nom` (reported, except user links) |
| `[[w:Page]]`, `[[wikt:mot]]`, `[[commons:…]]` | a link to the Wikimedia site |
| `[[en:Page]]` (language links) | removed (reported) |
| `[[Propriété::Valeur]]` (Semantic MediaWiki) | `[[Valeur]]` (reported) |
| `[[Catégorie:X]]`, `[[Category:X]]` | removed from the text; X becomes a tag |
| `[[:Catégorie:X\\|texte]]` | a link to the tag's page |
| `[[Fichier:X.png\\|vignette\\|légende]]`, `File:`, `Image:`, `<gallery>` | `[[Fichier:X.png\\|légende]]` (the export has no files: reported) |
| `[http://x texte]`, `[http://x]`, `http://x` | `[texte](http://x)`, `<http://x>`, `<http://x>` |
| `*`, `#`, `#*`, `**` lists | `-` and `1.` lists, nested |
| `;terme : définition` | `**terme** : définition` |
| `:texte`, `::réponse` (indents) | `> texte`, `> > réponse` |
| `{\\| … \\|}` and HTML tables | Markdown tables (the first row is the header; complex cells flattened and reported) |
| `<ref>…</ref>`, `<ref name="x"/>` | footnotes `[^1]`, defined at the end; named notes reused |
| `<references/>` | removed (the notes are listed at the end) |
| `{{Modèle\\|a=1\\|b=2}}` | `**Modèle** — a : 1 ; b : 2` (reported with the template's name) |
| `{{PAGENAME}}`, `{{SITENAME}}`… | their value |
| `{{clear}}`, `__TOC__`, `__NOTOC__`, `{{DEFAULTSORT:…}}` | removed |
| `{{lang\\|en\\|text}}`, `{{!}}`, `{{lc:…}}`, `{{uc:…}}` | the text, `\\|`, lower/upper case |
| `{{Lien web\\|titre=…\\|url=…}}`, `{{cite web\\|…}}` | `[titre](url)` |
| `{{#if:…}}` and other parser functions | kept as code (reported) |
| `<nowiki>`, `<pre>`, `<code>`, `<syntaxhighlight>`, lines starting with a space | literal text, code blocks, inline code |
| `<br>` | a line break |
| `----` | `---` |
| signatures `[[Utilisateur:X\\|X]] ([[Discussion utilisateur:X\\|discussion]]) date` | `— X, date` |
| `<!-- comments -->` | removed |
| other HTML tags (`<span>`, `<div>`, `<u>`, `<small>`…) | their text (reported) |

Templates are not expanded (the export has their source, not what they show): each one is
written as its name in bold followed by its parameters, so nothing it carried is lost.
Everything not converted exactly is listed in `Result.issues` (construct, sample).
"""

from __future__ import annotations

import datetime
import html
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import mwparserfromhell
from django.utils.text import slugify
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Node,
    Tag,
    Template,
    Text,
    Wikilink,
)

# Namespace names every wiki understands (canonical names and the old "Image:").
CANONICAL: dict[int, tuple[str, ...]] = {
    -2: ("Media",),
    -1: ("Special",),
    1: ("Talk",),
    2: ("User",),
    3: ("User talk",),
    4: ("Project",),
    5: ("Project talk",),
    6: ("File", "Image"),
    7: ("File talk", "Image talk"),
    8: ("MediaWiki",),
    9: ("MediaWiki talk",),
    10: ("Template",),
    11: ("Template talk",),
    12: ("Help",),
    13: ("Help talk",),
    14: ("Category",),
    15: ("Category talk",),
}
FRENCH: dict[int, str] = {
    -2: "Média", -1: "Spécial", 1: "Discussion", 2: "Utilisateur", 3: "Discussion utilisateur",
    6: "Fichier", 7: "Discussion fichier", 8: "MediaWiki", 9: "Discussion MediaWiki",
    10: "Modèle", 11: "Discussion modèle", 12: "Aide", 13: "Discussion aide",
    14: "Catégorie", 15: "Discussion catégorie",
}  # fmt: skip
"""The local names when the export does not say (the wikis moved here are mostly French)."""
FRENCH_ALIASES: dict[int, tuple[str, ...]] = {
    2: ("Utilisatrice",), 3: ("Discussion utilisatrice",), 7: ("Discussion image",),
}  # fmt: skip
TALK_OF = {1: 0, 5: 4, 13: 12}
PAGE_NAMESPACES = (0, 4, 12)
"""Namespaces imported as pages: main, project and help."""

LANGUAGES = set(
    [
        "af",
        "als",
        "am",
        "an",
        "ar",
        "ast",
        "az",
        "be",
        "bg",
        "bn",
        "br",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fo",
        "fr",
        "fy",
        "ga",
        "gl",
        "gu",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "ia",
        "id",
        "is",
        "it",
        "ja",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "ku",
        "la",
        "lb",
        "lt",
        "lv",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "nl",
        "nn",
        "no",
        "oc",
        "pa",
        "pl",
        "pt",
        "ro",
        "ru",
        "sa",
        "sco",
        "sh",
        "simple",
        "sk",
        "sl",
        "sq",
        "sr",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tr",
        "uk",
        "ur",
        "uz",
        "vi",
        "wa",
        "yi",
        "zh",
    ]
)
INTERWIKI = {
    "w": "https://{lang}.wikipedia.org/wiki/",
    "wikipedia": "https://{lang}.wikipedia.org/wiki/",
    "wikt": "https://{lang}.wiktionary.org/wiki/",
    "wiktionary": "https://{lang}.wiktionary.org/wiki/",
    "s": "https://{lang}.wikisource.org/wiki/",
    "wikisource": "https://{lang}.wikisource.org/wiki/",
    "b": "https://{lang}.wikibooks.org/wiki/",
    "wikibooks": "https://{lang}.wikibooks.org/wiki/",
    "q": "https://{lang}.wikiquote.org/wiki/",
    "wikiquote": "https://{lang}.wikiquote.org/wiki/",
    "v": "https://{lang}.wikiversity.org/wiki/",
    "wikiversity": "https://{lang}.wikiversity.org/wiki/",
    "voy": "https://{lang}.wikivoyage.org/wiki/",
    "wikivoyage": "https://{lang}.wikivoyage.org/wiki/",
    "commons": "https://commons.wikimedia.org/wiki/",
    "meta": "https://meta.wikimedia.org/wiki/",
    "m": "https://meta.wikimedia.org/wiki/",
    "mw": "https://www.mediawiki.org/wiki/",
    "mediawikiwiki": "https://www.mediawiki.org/wiki/",
    "d": "https://www.wikidata.org/wiki/",
    "wikidata": "https://www.wikidata.org/wiki/",
}
URL_SCHEMES = ("http://", "https://", "mailto:", "tel:")

FILE_OPTIONS = re.compile(
    r"^(thumb|thumbnail|vignette|frame|framed|cadre|frameless|sans_cadre|border|bordure|"
    r"left|right|center|centre|none|gauche|droite|néant|upright|redresse|baseline|sub|super|"
    r"top|text-top|middle|bottom|text-bottom|haut|bas|milieu|"
    r"\d*x?\d+\s*px|upright\s*=?\s*[\d.]+|redresse\s*=?\s*[\d.]+|"
    r"(link|lien|alt|lang|page|class|classe)\s*=.*)$",
    re.IGNORECASE,
)
SWITCHES = re.compile(r"__[A-ZÀ-Ü]{2,}(?:_[A-ZÀ-Ü]+)*__")
LINK_TRAIL = re.compile(r"^[a-zàâçéèêëîïôöûüùÿœæ]+")
REDIRECT = re.compile(
    r"^\s*#\s*(?:REDIRECT|REDIRECTION|REDIRECCIÓN|REDIRECIONAMENTO|WEITERLEITUNG|RINVIA|"
    r"RINVIO|DOORVERWIJZING|PRZEKIERUJ|PŘESMĚRUJ|OMDIRIGERING|ПЕРЕНАПРАВЛЕНИЕ)\s*:?\s*"
    r"\[\[\s*:?([^\]|\n]+?)\s*(?:\|[^\]]*)?\]\]",
    re.IGNORECASE,
)
CLEAR_TEMPLATES = {
    "clear", "clr", "-", "clear left", "clear right", "clear both", "clearleft", "clearright",
    "clearboth", "absatz", "toc", "toc right", "tocright", "toc left", "sommaire",
    "sommaire à droite", "sommaire à gauche", "anchor", "ancre", "ancre2",
}  # fmt: skip
LANG_TEMPLATES = {"lang", "langue", "lang-en", "lang-fr", "lang-de", "lang-es", "lang-it"}
CITATION_TEMPLATES = {
    "lien web", "cite web", "article", "ouvrage", "cite book", "cite news", "cite journal",
    "lien brisé", "citation web", "lien archive",
}  # fmt: skip
DROPPED_FUNCTIONS = {"defaultsort", "defaultsortkey", "defaultcategorysort", "clédetri",
                     "displaytitle", "titreaffiché", "noexternallanglinks"}  # fmt: skip
PAGE_VARIABLES = {
    "PAGENAME", "PAGENAMEE", "FULLPAGENAME", "FULLPAGENAMEE", "BASEPAGENAME", "SUBPAGENAME",
    "ROOTPAGENAME", "NAMESPACE", "SITENAME", "ARTICLEPAGENAME", "SUBJECTPAGENAME",
    "NOMPAGE", "NOMPAGECOMPLET", "NOMBASEDEPAGE", "NOMSOUSPAGE", "ESPACENOMMAGE", "NOMSITE",
}  # fmt: skip
BOLD = {"b", "strong"}
ITALIC = {"i", "em"}
STRIKE = {"s", "strike", "del"}
CODE = {"code", "tt", "kbd", "samp"}
CONTAINERS = {
    "div", "center", "p", "section", "article", "aside", "header", "footer", "nav", "figure",
    "span", "font", "small", "big", "u", "ins", "abbr", "cite", "q", "dfn", "var", "mark",
    "bdi", "bdo", "time", "data", "ruby", "rb", "rt", "rp", "a", "label", "figcaption",
    "caption", "li", "dt", "dd", "tr", "td", "th", "tbody", "thead", "tfoot",
}  # fmt: skip
QUIET_CONTAINERS = {"noinclude", "onlyinclude", "translate", "languages", "bdi", "wbr"}
DROPPED_TAGS = {"includeonly", "script", "style", "templatestyles", "indicator", "noscript"}
MATH = {"math", "chem", "ce", "hiero", "score", "timeline", "graph"}
BLOCK_TAGS = {"table", "pre", "blockquote", "gallery", "poem", "ul", "ol", "dl", "hr"}
SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")

BR = "\x01"
"""Stands for a line break inside a paragraph until the paragraph is written."""
NOTE_START, NOTE_END = "\x02", "\x03"
"""Around the index of a footnote until the notes of all the sections are numbered (XML
text cannot hold these characters)."""


@dataclass
class Namespaces:
    """The wiki's namespace names (from the export's siteinfo) plus the canonical ones."""

    local: dict[int, str] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, local: dict[int, str] | None = None) -> Namespaces:
        """The names of an export's siteinfo (French ones when none are given), the canonical
        names, and the French aliases on a French wiki."""
        local = local if local else FRENCH
        names: dict[str, int] = {}
        for key, aliases in CANONICAL.items():
            for alias in aliases:
                names[alias.casefold()] = key
        if local.get(2) == FRENCH[2]:
            for key, aliases in FRENCH_ALIASES.items():
                for alias in aliases:
                    names[alias.casefold()] = key
        for key, name in local.items():
            if name:
                names[name.casefold()] = key
        shown = {key: aliases[0] for key, aliases in CANONICAL.items()}
        shown.update({key: name for key, name in local.items() if name})
        return cls(local=shown, names=names)

    def split(self, title: str) -> tuple[int | None, str]:
        """(namespace, rest) of a title; namespace None when the prefix is none."""
        prefix, colon, rest = title.partition(":")
        if colon:
            key = self.names.get(" ".join(prefix.replace("_", " ").split()).casefold())
            if key is not None:
                return key, rest.strip()
        return None, title.strip()

    def name(self, key: int) -> str:
        return self.local.get(key, "")

    def all_names(self, key: int) -> list[str]:
        return sorted({n for n, k in self.names.items() if k == key}, key=len, reverse=True)


def page_title(ns: int, title: str, namespaces: Namespaces) -> str:
    """The commons title of an imported page: the wiki's title for the main namespace; for
    the project (4) and help (12) namespaces the title keeps its prefix, in the wiki's own
    namespace name ("Aide:Modifier une page"), so that links to it keep working."""
    if ns == 0:
        return title
    _key, rest = namespaces.split(title)
    return f"{namespaces.name(ns)}:{rest}"


@dataclass
class Context:
    title: str = ""
    """The page's full title in the wiki ({{PAGENAME}}, relative links)."""
    namespaces: Namespaces = field(default_factory=Namespaces.of)
    sitename: str = ""
    language: str = "fr"


@dataclass(frozen=True)
class Issue:
    construct: str
    sample: str


@dataclass
class Result:
    body: str
    categories: list[str] = field(default_factory=list)
    redirect: str = ""
    issues: list[Issue] = field(default_factory=list)


# --- signatures -----------------------------------------------------------------------------

MONTHS_FR = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
MONTHS_EN = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
ZONES = {"UTC": 0, "GMT": 0, "CET": 1, "CEST": 2, "WET": 0, "WEST": 1, "BST": 1, "EET": 2,
         "EEST": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "PST": -8, "PDT": -7}  # fmt: skip
_FR = "|".join(MONTHS_FR)
_EN = "|".join(MONTHS_EN)
DATE = (
    rf"(?:(?P<d1>\d{{1,2}})(?:er)?\s+(?P<m1>{_FR})\s+(?P<y1>\d{{4}})\s+à\s+(?P<h1>\d{{1,2}})"
    rf"\s*[:h]\s*(?P<i1>\d{{2}})"
    rf"|(?P<h2>\d{{1,2}}):(?P<i2>\d{{2}}),\s+(?:(?P<d2>\d{{1,2}})\s+(?P<m2>{_EN})|"
    rf"(?P<m3>{_EN})\s+(?P<d3>\d{{1,2}}),?)\s+(?P<y2>\d{{4}}))"
    r"\s*\((?P<zone>[A-Z]{2,5})\)"
)


def _names_pattern(names: list[str]) -> str:
    return "|".join(re.escape(name).replace(r"\ ", "[ _]+") for name in names)


@dataclass(frozen=True)
class Signature:
    name: str
    when: datetime.datetime | None
    start: int
    end: int


def _signature_pattern(namespaces: Namespaces) -> re.Pattern[str]:
    users = _names_pattern(namespaces.all_names(2))
    talks = _names_pattern(namespaces.all_names(3))
    special = _names_pattern(namespaces.all_names(-1))
    return re.compile(
        rf"\[\[\s*:?\s*(?:{users})\s*:\s*(?P<name>[^\]\[|/#\n]+?)\s*(?:\|(?P<label>[^\[\]\n]*))?"
        rf"\]\]"
        rf"(?P<talk>\s*(?:\(|·|-|\u2013|—|\|)?\s*(?:<(?:sup|small)>)?\s*\[\[\s*:?\s*(?:"
        rf"(?:{talks})\s*:|(?:{special})\s*:\s*(?:Contributions|Contribs)\s*/)[^\]\[\n]*\]\]"
        rf"\s*(?:</(?:sup|small)>)?\s*\)?)?"
        rf"(?P<date>\s*,?\s*{DATE})?",
        re.IGNORECASE,
    )


_SIGNATURES: dict[tuple[tuple[str, int], ...], re.Pattern[str]] = {}


def _signatures_re(namespaces: Namespaces) -> re.Pattern[str]:
    key = tuple(sorted(namespaces.names.items()))
    if key not in _SIGNATURES:
        _SIGNATURES[key] = _signature_pattern(namespaces)
    return _SIGNATURES[key]


def _signature_time(match: re.Match[str]) -> datetime.datetime | None:
    try:
        if match.group("y1"):
            year, day = int(match.group("y1")), int(match.group("d1"))
            month = MONTHS_FR[match.group("m1").lower()]
            hour, minute = int(match.group("h1")), int(match.group("i1"))
        elif match.group("y2"):
            year = int(match.group("y2"))
            day = int(match.group("d2") or match.group("d3"))
            month = MONTHS_EN[(match.group("m2") or match.group("m3")).lower()]
            hour, minute = int(match.group("h2")), int(match.group("i2"))
        else:
            return None
        offset = ZONES.get(match.group("zone").upper())
        if offset is None:
            return None
        zone = datetime.timezone(datetime.timedelta(hours=offset))
        when = datetime.datetime(year, month, day, hour, minute, tzinfo=zone)
    except (ValueError, KeyError):
        return None
    return when.astimezone(datetime.UTC)


def signatures(text: str, namespaces: Namespaces | None = None) -> list[Signature]:
    """The signatures in a text, in order: a link to a user page followed by a link to their
    talk page or contributions, and/or a date ("20 janvier 2023 à 19:02 (UTC)",
    "19:02, 20 January 2023 (UTC)")."""
    found = []
    for match in _signatures_re(namespaces or Namespaces.of()).finditer(text or ""):
        if not (match.group("talk") or match.group("date")):
            continue
        name = " ".join(match.group("name").replace("_", " ").split())
        when = _signature_time(match) if match.group("date") else None
        found.append(Signature(name, when, match.start(), match.end()))
    return found


def _mark_signatures(text: str, namespaces: Namespaces) -> str:
    """Signatures as "— Name, date" (still wikitext: the label may hold markup)."""

    def replace(match: re.Match[str]) -> str:
        if not (match.group("talk") or match.group("date")):
            return match.group(0)
        label = (match.group("label") or "").strip() or match.group("name").replace("_", " ")
        date = match.group("date")
        return f"— {label}" + (f", {date.strip(' ,')}" if date else "")

    if "[[" not in text:
        return text
    return _signatures_re(namespaces).sub(replace, text)


# --- helpers --------------------------------------------------------------------------------


def redirect_target(text: str) -> str:
    """The target title of a `#REDIRECT [[Target]]` text (any common language), or ""."""
    match = REDIRECT.match(text or "")
    if not match:
        return ""
    return " ".join(html.unescape(match.group(1)).replace("_", " ").split())


_ESCAPE = re.compile(r"[\\`*\[\]]|~~|&(?=#?\w+;)")
_SPECIAL = re.compile(r"[\\`*\[\]~&_]")
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-zÀ-ÖØ-öø-ÿ])_|_(?![0-9A-Za-zÀ-ÖØ-öø-ÿ])")
_LINE_START = re.compile(r"^([-+*](?=\s|$)|#{1,6}(?=\s|$)|>|\||=+\s*$|~~~)")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def _escape(text: str) -> str:
    if not _SPECIAL.search(text):
        return text
    text = _ESCAPE.sub(lambda m: "\\" + m.group(0) if m.group(0) != "~~" else r"\~\~", text)
    return _UNDERSCORE.sub(r"\\_", text)


def _escape_line_start(line: str) -> str:
    if _LINE_START.match(line):
        return "\\" + line
    return _ORDERED.sub(r"\1\\\2", line)


def _code_span(text: str) -> str:
    text = " ".join(text.split("\n"))
    if not text.strip():
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _code_block(text: str, language: str = "") -> str:
    text = text.strip("\n")
    if not text.strip():
        return ""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    language = re.sub(r"[^\w+-]", "", language)[:20]
    return f"{fence}{language}\n{text}\n{fence}"


def _attr(tag: Tag, name: str) -> str:
    if not tag.has(name):
        return ""
    return str(tag.get(name).value).strip().strip("\"'").strip()


def _span(tag: Tag, name: str) -> int:
    value = _attr(tag, name)
    return max(1, min(50, int(value))) if value.isdigit() else 1


def _sample(text: Any, size: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _category_name(name: str) -> str:
    name = " ".join(html.unescape(name).replace("_", " ").split())
    return name[:1].upper() + name[1:]


def _is_whitespace(node: Node) -> bool:
    return (isinstance(node, Text) and not node.value.strip()) or isinstance(node, Comment)


def _is_marker(node: Node) -> bool:
    return isinstance(node, Tag) and node.wiki_markup in {"*", "#", ":", ";"}


# --- the converter --------------------------------------------------------------------------


class _Converter:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.ns = context.namespaces
        self.issues: list[Issue] = []
        self.categories: list[str] = []
        self.notes: list[list[str]] = []
        """[name, text] of each note of this text, in order; markers stand for them until
        the notes of all the sections are numbered (see `_assemble`)."""
        self.named_notes: dict[str, int] = {}
        self.defining = False

    def report(self, construct: str, sample: Any) -> None:
        self.issues.append(Issue(construct, _sample(sample)))

    # blocks ---------------------------------------------------------------------------------

    def blocks(self, nodes: Sequence[Node]) -> list[str]:
        blocks: list[str] = []
        paragraph: list[str] = []
        items: list[tuple[str, str]] = []
        preformatted: list[str] = []

        def flush() -> None:
            if paragraph:
                blocks.append(self._paragraph(paragraph))
                paragraph.clear()
            if items:
                blocks.append(_list_block(items))
                items.clear()
            if preformatted:
                blocks.append(_code_block("\n".join(preformatted)))
                preformatted.clear()

        for line in self._lines(nodes):
            content = [node for node in line if not isinstance(node, Comment)]
            if not content or all(_is_whitespace(node) for node in content):
                if not line or all(isinstance(n, Text) for n in line):
                    flush()  # an empty line ends a paragraph; a line of comments does not
                continue
            first = content[0]
            if len(content) == 1 and self._is_block(first):
                flush()
                blocks.extend(b for b in self._block(first) if b.strip())
                continue
            if _is_marker(first):
                if paragraph or preformatted:
                    flush()
                items.extend(self._list_item(content))
                continue
            if isinstance(first, Text) and first.value.startswith(" ") and line[0] is first:
                if paragraph or items:
                    flush()
                preformatted.append(self.inline(content, "plain")[1:].rstrip())
                continue
            significant = [node for node in content if not _is_whitespace(node)]
            if len(significant) == 1 and self._stands_alone(significant[0]):
                text = self.inline(significant, "para").strip()
                if text:
                    flush()
                    blocks.append(self._paragraph([text]))
                continue
            text = self.inline(content, "para").strip()
            if text:
                if items or preformatted:
                    flush()
                paragraph.append(text)
        flush()
        return [block for block in blocks if block.strip()]

    def _lines(self, nodes: Sequence[Node]) -> list[list[Node]]:
        lines: list[list[Node]] = [[]]
        for node in _transparent(nodes):
            if isinstance(node, Text):
                first, *rest = node.value.split("\n")
                if first:
                    lines[-1].append(Text(first))
                for part in rest:
                    lines.append([Text(part)] if part else [])
            elif self._is_block(node):
                lines.append([node])
                lines.append([])
            else:
                lines[-1].append(node)
        return lines

    def _is_block(self, node: Node) -> bool:
        if isinstance(node, Heading):
            return True
        if not isinstance(node, Tag):
            return False
        name = node.tag.lower()
        if name in BLOCK_TAGS:
            return True
        if name in {"syntaxhighlight", "source"}:
            return not node.has("inline")
        if name in {"div", "center", "section", "p", "article", "aside", "figure"}:
            return "\n" in str(node.contents)
        if name in MATH:
            return _attr(node, "display") == "block"
        return False

    def _stands_alone(self, node: Node) -> bool:
        if isinstance(node, Template):
            name = str(node.name).strip().casefold()
            return not (name in LANG_TEMPLATES or name in {"!", "=", "·", "•"}
                        or name.upper() in PAGE_VARIABLES)  # fmt: skip
        if isinstance(node, Wikilink):
            key, _rest = self.ns.split(str(node.title).strip())
            return key in (6, -2)
        return False

    def _paragraph(self, lines: list[str]) -> str:
        text = "\n".join(lines)
        parts = [part.strip() for part in text.split(BR)]
        while parts and not parts[-1]:
            parts.pop()
        while parts and not parts[0]:
            parts.pop(0)
        text = "\\\n".join(parts)
        return "\n".join(_escape_line_start(line.strip()) for line in text.split("\n"))

    def _block(self, node: Node) -> list[str]:
        if isinstance(node, Heading):
            level = max(1, min(6, node.level))
            text = self.inline(node.title.nodes, "line").strip()
            if text.endswith("#"):
                text = text[:-1] + "\\#"
            return [f"{'#' * level} {text}"] if text else []
        assert isinstance(node, Tag)
        name = node.tag.lower()
        if name == "hr":
            return ["---"]
        if name == "table":
            return self._table(node)
        if name == "pre":
            return [_code_block(html.unescape(str(node.contents or "")))]
        if name in {"syntaxhighlight", "source"}:
            return [_code_block(str(node.contents or ""), _attr(node, "lang"))]
        if name in MATH:
            self.report("math", node)
            return [_code_block(str(node.contents or ""), "latex")]
        if name == "blockquote":
            inner = self.blocks(node.contents.nodes)
            return ["\n".join(("> " + line).rstrip() for line in "\n\n".join(inner).split("\n"))]
        if name == "gallery":
            self.report("gallery", node)
            return self._gallery(node)
        if name == "poem":
            lines = [self.inline(mwparserfromhell.parse(line).nodes, "line").strip()
                     for line in str(node.contents or "").strip("\n").split("\n")]  # fmt: skip
            return [self._paragraph([BR.join(lines)])]
        if name in {"ul", "ol", "dl"}:
            return ["\n".join(self._html_list(node, ""))]
        # A block container (<div>, <center>…): its content, as blocks.
        self.report("HTML tag", f"<{name}>")
        return self.blocks(node.contents.nodes)

    def _list_item(self, nodes: list[Node]) -> list[tuple[str, str]]:
        markers = ""
        index = 0
        while index < len(nodes) and _is_marker(nodes[index]):
            markers += str(nodes[index].wiki_markup)  # type: ignore[attr-defined]
            index += 1
        rest = nodes[index:]
        if markers.endswith(";"):
            # "; term : definition" on one line.
            split = next(
                (i for i, n in enumerate(rest) if isinstance(n, Tag) and n.wiki_markup == ":"),
                None,
            )
            term_nodes = rest if split is None else rest[:split]
            term = self.inline(term_nodes, "line").strip()
            definition = "" if split is None else self.inline(rest[split + 1 :], "line").strip()
            prefix = _prefix(markers[:-1])[0]
            if not term and not definition:
                return []
            text = f"**{term}**" if term else ""
            if definition:
                text = f"{text} : {definition}" if text else definition
            return [("term", prefix + _escape_line_start(text))]
        text = self.inline(rest, "para").strip()
        text = " ".join(part.strip() for part in text.split(BR) if part.strip())
        if not text:
            return []
        prefix, kind = _prefix(markers)
        return [(kind, prefix + _escape_line_start(text))]

    def _html_list(self, tag: Tag, indent: str) -> list[str]:
        lines: list[str] = []
        ordered = tag.tag.lower() == "ol"
        marker = "1. " if ordered else "- "
        for node in tag.contents.nodes:
            if not isinstance(node, Tag):
                continue
            name = node.tag.lower()
            if name in {"li", "dd", "dt"}:
                inner = [n for n in node.contents.nodes
                         if not (isinstance(n, Tag) and n.tag.lower() in {"ul", "ol", "dl"})]  # fmt: skip
                text = self.inline(inner, "line").strip()
                if name == "dt":
                    lines.extend([f"{indent}**{text}**", ""] if text else [])
                elif name == "dd":
                    lines.extend([f"{indent}> {text}", ""] if text else [])
                else:
                    lines.append(f"{indent}{marker}{_escape_line_start(text)}")
                for sub in node.contents.nodes:
                    if isinstance(sub, Tag) and sub.tag.lower() in {"ul", "ol", "dl"}:
                        lines.extend(self._html_list(sub, indent + " " * len(marker)))
        while lines and not lines[-1]:
            lines.pop()
        return [line for line in lines if line.strip() or line == ""]

    def _gallery(self, tag: Tag) -> list[str]:
        blocks = []
        for line in str(tag.contents or "").split("\n"):
            line = line.strip()
            if not line:
                continue
            name, _bar, caption = line.partition("|")
            key, rest = self.ns.split(name)
            name = rest if key in (6, -2) else name.strip()
            caption = self.inline(mwparserfromhell.parse(caption).nodes, "plain").strip()
            self.report("file", name)
            blocks.append(_file_link(name, caption))
        return blocks

    # tables ---------------------------------------------------------------------------------

    def _table(self, tag: Tag) -> list[str]:
        caption = ""
        rows: list[list[Tag]] = []
        loose: list[Tag] = []

        def walk(nodes: Sequence[Node]) -> None:
            nonlocal caption
            for node in nodes:
                if isinstance(node, Tag) and node.tag.lower() in {"td", "th"}:
                    text = str(node.contents or "")
                    if (not rows and not loose and not caption and node.wiki_markup == "|"
                            and text.startswith("+")):  # fmt: skip
                        caption = self.inline(
                            mwparserfromhell.parse(text[1:]).nodes, "line"
                        ).strip()
                        continue
                    loose.append(node)
                elif isinstance(node, Tag) and node.tag.lower() == "tr":
                    if loose:
                        rows.append(loose[:])
                        loose.clear()
                    cells = []
                    for cell in node.contents.nodes:
                        if isinstance(cell, Tag) and cell.tag.lower() in {"td", "th"}:
                            cells.append(cell)
                        elif not _is_whitespace(cell):
                            self.report("table: content outside cells", cell)
                    rows.append(cells)
                elif isinstance(node, Tag) and node.tag.lower() == "caption":
                    caption = self.inline(node.contents.nodes, "line").strip()
                elif isinstance(node, Tag) and node.tag.lower() in {"tbody", "thead", "tfoot"}:
                    walk(node.contents.nodes)
                elif not _is_whitespace(node):
                    self.report("table: content outside cells", node)

        walk(tag.contents.nodes if tag.contents is not None else [])
        if loose:
            rows.append(loose)
        rows = [row for row in rows if row]
        blocks = [f"*{caption}*"] if caption else []
        if not rows:
            return blocks
        grid: list[list[tuple[str, bool]]] = []
        pending: dict[int, int] = {}
        for row in rows:
            out: list[tuple[str, bool]] = []
            column = 0

            for cell in row:
                column = _fill(out, pending, column)
                colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
                if colspan > 1 or rowspan > 1:
                    self.report("table: merged cells", cell)
                header = cell.tag.lower() == "th"
                out.append((self._cell(cell), header))
                out.extend(("", header) for _ in range(colspan - 1))
                if rowspan > 1:
                    for spanned in range(column, column + colspan):
                        pending[spanned] = rowspan - 1
                column += colspan
            for spanned in sorted(c for c, left in pending.items() if left and c >= column):
                while column < spanned:
                    out.append(("", False))
                    column += 1
                column = _fill(out, pending, column)
            grid.append(out)
        width = max(len(row) for row in grid)
        head, body = grid[0], grid[1:]

        def line(cells: list[str]) -> str:
            cells = cells + [""] * (width - len(cells))
            return "| " + " | ".join(cells) + " |"

        lines = [line([text for text, _header in head]), line(["---"] * width)]
        for cells in body:
            lines.append(line([f"**{text}**" if header and text else text
                               for text, header in cells]))  # fmt: skip
        blocks.append("\n".join(lines))
        return blocks

    def _cell(self, cell: Tag) -> str:
        nodes = cell.contents.nodes if cell.contents is not None else []
        complex_cell = any(
            _is_marker(node) or self._is_block(node)
            or (isinstance(node, Text) and "\n\n" in node.value.strip("\n"))
            for node in nodes
        )  # fmt: skip
        if complex_cell:
            self.report("table: complex cell", cell.contents)
            parts = []
            for block in self.blocks(nodes):
                for part in block.split("\n"):
                    part = re.sub(r"^\s*(?:[-*+]|\d+\.|>|#+)\s+", "", part).strip()
                    if not part or part.startswith("```") or re.fullmatch(r"[|\s:-]+", part):
                        continue  # code fences, a table's header separator
                    if part.startswith("| ") and part.endswith(" |"):  # a table in the cell
                        part = " ; ".join(c.strip() for c in part[2:-2].split(" | "))
                    parts.append(part)
            text = " ; ".join(parts)
        else:
            text = self.inline(nodes, "line").strip()
        return text.replace("\n", " ").replace("|", "\\|")

    # inline ---------------------------------------------------------------------------------

    def inline(self, nodes: Sequence[Node], mode: str) -> str:
        """mode: "para" (a paragraph's line), "line" (on one line: headings, cells, notes),
        "link" (inside a link's text: no links) or "plain" (text without any markup)."""
        out: list[str] = []
        nodes = list(nodes)
        for index, node in enumerate(nodes):
            if isinstance(node, Text):
                out.append(self._text(node.value, mode))
            elif isinstance(node, Wikilink):
                trail = ""
                following = nodes[index + 1] if index + 1 < len(nodes) else None
                if isinstance(following, Text):
                    match = LINK_TRAIL.match(following.value)
                    if match:
                        trail = match.group(0)
                out.append(self._wikilink(node, mode, trail))
                if trail and isinstance(following, Text):
                    nodes[index + 1] = Text(following.value[len(trail) :])
            elif isinstance(node, ExternalLink):
                out.append(self._external(node, mode))
            elif isinstance(node, Template):
                out.append(self._template(node, mode))
            elif isinstance(node, Tag):
                out.append(self._tag(node, mode))
            elif isinstance(node, HTMLEntity):
                out.append(self._text(node.normalize(), mode))
            elif isinstance(node, Argument):
                self.report("template parameter", node)
                if node.default is not None:
                    out.append(self.inline(node.default.nodes, mode))
                else:
                    out.append(self._text(str(node), mode))
            elif isinstance(node, Heading):
                out.append(self.inline(node.title.nodes, mode))
            elif isinstance(node, Comment):
                continue
            else:  # pragma: no cover (every node type is handled above)
                out.append(self._text(str(node), mode))
            if len(out) > 1 and out[-1].startswith("`") and out[-2].endswith("`"):
                out[-1] = " " + out[-1]  # two code spans side by side would merge
        return "".join(out)

    def _text(self, text: str, mode: str) -> str:
        if "__" in text:
            text = SWITCHES.sub("", text)
        if mode != "para":
            text = text.replace("\n", " ")
        return text if mode == "plain" else _escape(text)

    def _emphasis(self, nodes: Sequence[Node], mode: str, mark: str) -> str:
        inner = self.inline(nodes, mode)
        if mode == "plain" or not inner.strip():
            return inner
        core = inner.strip()
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        return f"{lead}{mark}{core}{mark}{trail}"

    def _tag(self, tag: Tag, mode: str) -> str:
        name = tag.tag.lower()
        contents = tag.contents.nodes if tag.contents is not None else []
        if name in BOLD:
            return self._emphasis(contents, mode, "**")
        if name in ITALIC:
            return self._emphasis(contents, mode, "*")
        if name in STRIKE:
            return self._emphasis(contents, mode, "~~")
        if name == "br":
            return " " if mode != "para" else BR
        if name == "ref":
            return self._ref(tag, mode)
        if name == "references":
            self.defining = True
            try:
                self.inline(contents, "line")
            finally:
                self.defining = False
            return ""
        if name == "nowiki":
            text = html.unescape(str(tag.contents or ""))
            return self._text(text, mode) if mode != "plain" else text
        if name in CODE or name in {"pre", "syntaxhighlight", "source"}:
            text = str(tag.contents or "")
            if name == "pre":
                text = html.unescape(text)
            elif name in CODE:
                text = self.inline(contents, "plain")
            return text if mode == "plain" else _code_span(text)
        if name in {"sup", "sub"}:
            text = self.inline(contents, "plain")
            table = SUPERSCRIPT if name == "sup" else SUBSCRIPT
            if text and all(char.translate(table) != char for char in text):
                return text.translate(table)
            self.report("HTML tag", f"<{name}>")
            return self.inline(contents, mode)
        if name in MATH:
            self.report("math", tag)
            text = str(tag.contents or "")
            return text if mode == "plain" else _code_span(text)
        if name in DROPPED_TAGS:
            if name != "includeonly":
                self.report("HTML tag", f"<{name}>")
            return ""
        if name in QUIET_CONTAINERS:
            return self.inline(contents, mode)
        if name == "hr":
            return " " if mode != "para" else BR
        if name in {"li", "dt", "dd"} and tag.wiki_markup:
            return ""  # a list marker where no list can be (in a cell or a note)
        if name == "table":
            self.report("table: complex cell", tag)
            return self._text(" ".join(self.inline(contents, "plain").split()), mode)
        if name == "gallery":
            self.report("gallery", tag)
            return " ".join(self._gallery(tag))
        if name not in CONTAINERS:
            self.report("extension tag", f"<{name}>")
        elif name not in {"span", "bdi"} or tag.attributes:
            self.report("HTML tag", f"<{name}>")
        return self.inline(contents, mode)

    def _ref(self, tag: Tag, mode: str) -> str:
        name = _attr(tag, "name")
        contents = tag.contents.nodes if tag.contents is not None else []
        text = "" if tag.self_closing else self.inline(contents, "line").strip()
        if name and name in self.named_notes:
            index = self.named_notes[name]
            if text and not self.notes[index][1]:
                self.notes[index][1] = text
        elif text or name:
            index = len(self.notes)
            self.notes.append([name, text])
            if name:
                self.named_notes[name] = index
        else:
            return ""
        if self.defining or mode == "plain":
            return ""
        return f"{NOTE_START}{index}{NOTE_END}"

    def _wikilink(self, link: Wikilink, mode: str, trail: str) -> str:
        target = html.unescape(str(link.title)).strip()
        label_nodes = link.text.nodes if link.text is not None else None
        leading_colon = target.startswith(":")
        target = target.lstrip(":").strip()
        if "::" in target:
            # A Semantic MediaWiki annotation [[Property::Value]] shows its value as a link.
            prop, _colons, target = target.partition("::")
            self.report("semantic property", prop.strip())
            target = target.strip()
            if not target:
                return self._text(trail, mode)
        key, rest = self.ns.split(target)
        if key == 14 and not leading_colon:
            name = _category_name(rest)
            if name and name not in self.categories:
                self.categories.append(name)
            return self._text(trail, mode)
        if key in (6, -2):
            return self._file(rest, link, mode, leading_colon) + self._text(trail, mode)
        label = self.inline(label_nodes, "plain").strip() if label_nodes is not None else None
        if label == "" and link.text is not None:  # the pipe trick: [[Page (sens)|]]
            label = re.sub(r"\s*\(.*\)$", "", rest if key is not None else target)
        if key == 14:
            shown = (label or rest) + trail
            slug = slugify(_category_name(rest)) or slugify(_category_name(rest), True)
            if mode in {"plain", "link"} or not slug:
                return self._text(shown, mode)
            return f"[{_escape(shown)}](/communs/etiquettes/{slug}/)"
        if key in (2, 3):
            return self._text((label or rest) + trail, mode)
        if key is None:
            prefix, colon, after = target.partition(":")
            lower = prefix.strip().lower()
            if colon and lower in INTERWIKI:
                return self._interwiki(lower, after, label, trail, mode)
            if colon and lower in LANGUAGES:
                if not leading_colon:
                    self.report("language link", target)
                    return self._text(trail, mode)
                self.report("interwiki link", target)
                return self._text((label or after) + trail, mode)
        if key in TALK_OF:
            key, target = (
                TALK_OF[key],
                (rest if TALK_OF[key] == 0 else f"{self.ns.name(TALK_OF[key])}:{rest}"),
            )
        elif key in (4, 12):
            target = f"{self.ns.name(key)}:{rest}"
        elif key is not None and key != 0:
            self.report("link to another namespace", target)
            return self._text((label or target) + trail, mode)
        if target.startswith("/"):
            base = self.context.title
            label = label or target.strip("/")
            target = base + target.rstrip("/")
        title, hash_, section = target.partition("#")
        title = " ".join(title.split())
        if mode in {"plain", "link"}:
            return self._text((label or target) + trail, mode)
        if not title:
            shown = (label or section) + trail
            anchor = slugify(section) or slugify(section, allow_unicode=True)
            return f"[{_escape(shown)}](#{anchor})" if anchor else _escape(shown)
        label = (label or "").replace("[", "(").replace("]", ")").replace("\n", " ")
        if trail:
            label = (label or target) + trail
        target = title + (f"#{section.strip()}" if hash_ and section.strip() else "")
        if not label or label == target:
            return f"[[{target}]]"
        return f"[[{target}|{label}]]"

    def _interwiki(self, prefix: str, rest: str, label: str | None, trail: str,
                   mode: str) -> str:  # fmt: skip
        language = self.context.language or "en"
        inner, colon, after = rest.partition(":")
        if colon and inner.strip().lower() in LANGUAGES:
            language, rest = inner.strip().lower(), after
        shown = (label or rest.strip()) + trail
        if mode in {"plain", "link"} or not rest.strip():
            return self._text(shown, mode)
        url = INTERWIKI[prefix].format(lang=language) + quote(
            rest.strip().replace(" ", "_"), safe="/:#()"
        )
        return f"[{_escape(shown)}]({_url(url)})"

    def _file(self, name: str, link: Wikilink, mode: str, leading_colon: bool) -> str:
        name = " ".join(name.split())
        self.report("file", name)
        caption = ""
        if link.text is not None:
            parts = [part.strip() for part in str(link.text).split("|")]
            alt = ""
            for part in parts:
                if FILE_OPTIONS.match(part):
                    if part.lower().startswith("alt="):
                        alt = part[4:].strip()
                    continue
                caption = part
            caption = caption or alt
            caption = self.inline(mwparserfromhell.parse(caption).nodes, "plain").strip()
        if mode in {"plain", "link"}:
            return self._text(caption or name, mode)
        return _file_link(name, caption)

    def _external(self, link: ExternalLink, mode: str) -> str:
        url = self.inline(link.url.nodes, "plain").strip()
        if url.startswith("//"):
            url = "https:" + url
        label = self.inline(link.title.nodes, "link").strip() if link.title is not None else ""
        if mode == "plain":
            return label or url
        if not url.lower().startswith(URL_SCHEMES):
            self.report("link with an unsupported scheme", url)
            return self._text(f"{label} ({url})" if label else url, mode)
        if mode == "link":
            return label or _escape(url)
        if label:
            return f"[{label}]({_url(url)})"
        return f"<{url.replace('<', '%3C').replace('>', '%3E').replace(' ', '%20')}>"

    def _template(self, template: Template, mode: str) -> str:
        name = " ".join(self.inline(template.name.nodes, "plain").split())
        key, rest = self.ns.split(name)
        if key == 10:
            name = rest
        upper = name.upper()
        params = template.params
        if not params and upper in PAGE_VARIABLES:
            return self._text(self._variable(upper), mode)
        if name.startswith("#"):
            function = name.split(":", 1)[0].lower()
            if function == "tag" and params and str(params[0].value).strip().lower() == "ref":
                fake = mwparserfromhell.parse(
                    f"<ref>{params[1].value if len(params) > 1 else ''}</ref>"
                )
                return self.inline(fake.nodes, mode)
            self.report("parser function", template)
            return "" if mode == "plain" else _code_span(str(template))
        if ":" in name:
            function, _colon, argument = name.partition(":")
            function = function.strip().lower()
            if function in DROPPED_FUNCTIONS:
                return ""
            if function in {"lc", "uc", "lcfirst", "ucfirst", "formatnum", "padleft"}:
                value = self.inline(mwparserfromhell.parse(argument).nodes, mode).strip()
                return {
                    "lc": value.lower(),
                    "uc": value.upper(),
                    "lcfirst": value[:1].lower() + value[1:],
                    "ucfirst": value[:1].upper() + value[1:],
                }.get(function, value)
            if key is None and name.startswith(":"):
                self.report("transclusion", template)
                return f"[[{name[1:].strip()}]]" if mode not in {"plain", "link"} else name[1:]
            if key is not None and key != 10:
                self.report("transclusion", template)
                return self._text(name, mode)
            self.report("parser function", template)
            return "" if mode == "plain" else _code_span(str(template))
        lower = name.casefold()
        if lower in CLEAR_TEMPLATES:
            return ""
        if lower in {"!", "=", "·", "•", "!!"}:
            return {"!": "|", "=": "=", "!!": "||"}.get(lower, " · ")
        if lower in LANG_TEMPLATES or lower.startswith("lang-"):
            wanted = [p for p in params if str(p.name).strip() in {"2", "texte", "text"}]
            if not wanted and lower.startswith("lang-") and params:
                wanted = [params[0]]
            return self.inline(wanted[0].value.nodes, mode).strip() if wanted else ""
        self.report("template", "{{" + name + "}}")
        values = {str(p.name).strip().lower(): p for p in params}
        if lower in CITATION_TEMPLATES:
            title = values.get("titre") or values.get("title")
            url = values.get("url") or values.get("lire en ligne")
            if title is not None and url is not None and mode not in {"plain", "link"}:
                label = self.inline(title.value.nodes, "link").strip()
                address = self.inline(url.value.nodes, "plain").strip()
                if label and address.lower().startswith(URL_SCHEMES):
                    extra = [self.inline(values[k].value.nodes, "line").strip()
                             for k in ("auteur", "author", "site", "website", "éditeur",
                                       "publisher", "date", "année", "year") if k in values]  # fmt: skip
                    extra = [e for e in extra if e]
                    return f"[{label}]({_url(address)})" + (
                        ", " + ", ".join(extra) if extra else ""
                    )
        parts = []
        for param in params:
            value = self.inline(param.value.nodes, "link" if mode == "link" else "line")
            value = " ".join(value.replace(BR, " ").split())
            if not value:
                continue
            if param.showkey:
                parts.append(f"{self._text(str(param.name).strip(), mode)} : {value}")
            else:
                parts.append(value)
        shown = self._text(name, mode)
        head = shown if mode == "plain" else f"**{shown}**"
        return head + (" — " + " ; ".join(parts) if parts else "")

    def _variable(self, name: str) -> str:
        title = self.context.title
        key, rest = self.ns.split(title)
        base = rest if key is not None else title
        if name in {"PAGENAME", "PAGENAMEE", "NOMPAGE"}:
            return base
        if name in {"FULLPAGENAME", "FULLPAGENAMEE", "NOMPAGECOMPLET", "ARTICLEPAGENAME",
                    "SUBJECTPAGENAME"}:  # fmt: skip
            return title
        if name in {"BASEPAGENAME", "NOMBASEDEPAGE"}:
            return base.rsplit("/", 1)[0]
        if name in {"SUBPAGENAME", "NOMSOUSPAGE"}:
            return base.rsplit("/", 1)[-1]
        if name == "ROOTPAGENAME":
            return base.split("/", 1)[0]
        if name in {"NAMESPACE", "ESPACENOMMAGE"}:
            return self.ns.name(key) if key is not None else ""
        return self.context.sitename


def _transparent(nodes: Sequence[Node]) -> list[Node]:
    """The nodes with <noinclude> and <onlyinclude> opened (their content is the page's) and
    <includeonly> left out (it is only shown where the page is transcluded)."""
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, Tag) and node.tag.lower() in {"noinclude", "onlyinclude"}:
            flat.extend(_transparent(node.contents.nodes if node.contents is not None else []))
        elif isinstance(node, Tag) and node.tag.lower() == "includeonly":
            continue
        else:
            flat.append(node)
    return flat


def _fill(out: list[tuple[str, bool]], pending: dict[int, int], column: int) -> int:
    """Empty cells where cells of the rows above still span."""
    while pending.get(column):
        out.append(("", False))
        pending[column] -= 1
        column += 1
    return column


def _url(url: str) -> str:
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def _file_link(name: str, caption: str) -> str:
    name = name.replace("[", "(").replace("]", ")").replace("|", "-")
    caption = " ".join(caption.replace("[", "(").replace("]", ")").split())
    return f"[[Fichier:{name}|{caption}]]" if caption else f"[[Fichier:{name}]]"


def _prefix(markers: str) -> tuple[str, str]:
    """The Markdown prefix of a list line with these wikitext markers, and its kind."""
    quotes = len(markers) - len(markers.lstrip(":"))
    rest = markers[quotes:]
    prefix = "> " * quotes
    if not rest:
        return prefix, "quote"
    indent = ""
    for marker in rest[:-1]:
        indent += "   " if marker == "#" else "  "
    last = rest[-1]
    kind = "quote" if quotes else "list"
    if last == "*":
        return prefix + indent + "- ", kind
    if last == "#":
        return prefix + indent + "1. ", kind
    return prefix + indent, kind  # ":" continues the item above, ";" is a term


def _list_block(items: list[tuple[str, str]]) -> str:
    lines: list[str] = []
    previous = ""
    for kind, text in items:
        if previous and (kind != previous or kind == "term"):
            lines.append("")
        lines.append(text)
        previous = kind
    return "\n".join(lines)


@dataclass
class _Part:
    """A section of a text, converted on its own."""

    body: str
    notes: list[list[str]]
    categories: list[str]
    issues: list[Issue]


def _convert_part(text: str, context: Context) -> _Part:
    converter = _Converter(context)
    body = "\n\n".join(converter.blocks(mwparserfromhell.parse(text).nodes))
    return _Part(body, converter.notes, converter.categories, converter.issues)


_SPLIT_TAGS = re.compile(
    r"<(/?)(pre|nowiki|syntaxhighlight|source|div|table|ref|references|gallery|poem|math|"
    r"blockquote|center|includeonly|noinclude|onlyinclude|span|font|small|big|code|score|"
    r"timeline|graph|templatedata|section|ul|ol|dl|p)\b[^>]*?(/?)>",
    re.IGNORECASE,
)
_HEADING_LINE = re.compile(r"^=+[^=\n].*=[ \t]*$", re.MULTILINE)
_TABLE_LINE = re.compile(r"^[ \t]*(\{\||\|\})", re.MULTILINE)


def _open_constructs(chunk: str) -> int:
    """How many constructs the chunk opens (minus those it closes): templates, comments,
    tables, tags. Zero when a heading after it may start a section of its own."""
    depth = chunk.count("{{") - chunk.count("}}")
    depth += chunk.count("<!--") - chunk.count("-->")
    for match in _TABLE_LINE.finditer(chunk):
        depth += 1 if match.group(1) == "{|" else -1
    for match in _SPLIT_TAGS.finditer(chunk):
        if match.group(3):
            continue
        depth += -1 if match.group(1) else 1
    return depth


def sections(text: str) -> list[str]:
    """The text cut before each heading that stands outside any template, table, comment or
    tag, so that the sections are converted (and remembered) one by one: consecutive
    revisions of a page mostly change one section."""
    cuts = [0]
    depth = 0
    start = 0
    for match in _HEADING_LINE.finditer(text):
        depth += _open_constructs(text[start : match.start()])
        start = match.start()
        if depth == 0 and match.start() > cuts[-1]:
            cuts.append(match.start())
    cuts.append(len(text))
    return [text[a:b] for a, b in itertools.pairwise(cuts) if a < b]


_MARKERS = dict.fromkeys(map(ord, BR + NOTE_START + NOTE_END))
_NOTE = re.compile(f"{NOTE_START}(\\d+){NOTE_END}")


def _assemble(parts: list[_Part]) -> tuple[str, list[str], list[Issue]]:
    """The sections' Markdown joined, their notes numbered in the order of their markers
    (a named note keeps its first number) and written at the end."""
    texts: list[str] = []
    numbers: dict[str, int] = {}
    defined: dict[str, str] = {}
    bodies: list[str] = []
    categories: list[str] = []
    issues: list[Issue] = []
    for part in parts:
        for name, text in part.notes:
            if name and text:
                defined.setdefault(name, text)
    for part in parts:
        placed: dict[int, int] = {}

        def place(match: re.Match[str], part: _Part = part, placed: dict[int, int] = placed) -> str:
            index = int(match.group(1))
            if index not in placed:
                name, text = part.notes[index]
                if name and name in numbers:
                    placed[index] = numbers[name]
                else:
                    texts.append(text or defined.get(name, ""))
                    placed[index] = len(texts)
                    if name:
                        numbers[name] = len(texts)
            return f"[^{placed[index]}]"

        bodies.append(_NOTE.sub(place, part.body))
        categories.extend(c for c in part.categories if c not in categories)
        issues.extend(part.issues)
    body = "\n\n".join(b for b in bodies if b.strip())
    notes = []
    for number, text in enumerate(texts, start=1):
        if not text:
            issues.append(Issue("footnote without text", f"[^{number}]"))
        notes.append(f"[^{number}]: {text or '…'}")
    if notes:
        body = (body + "\n\n" if body else "") + "\n\n".join(notes)
    return body, categories, issues


def convert(
    text: str, context: Context | None = None, cache: dict[str, Any] | None = None
) -> Result:
    """The Markdown of a wikitext, its categories, its redirect target, and what could not be
    converted. `cache` (a dict kept for the revisions of one page) remembers the sections
    already converted."""
    context = context or Context()
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if "\x01" in text or "\x02" in text or "\x03" in text:
        text = text.translate(_MARKERS)  # never in an export (XML forbids them): ours alone
    target = redirect_target(text)
    if target:
        converter = _Converter(context)
        parsed = mwparserfromhell.parse(text)
        for link in parsed.filter_wikilinks(recursive=False):
            converter.inline([link], "para")  # categories of the redirect page
        return Result(f"→ [[{target}]]", converter.categories, target, converter.issues)
    text = _mark_signatures(text, context.namespaces)
    parts = []
    for section in sections(text):
        part = cache.get(section) if cache is not None else None
        if part is None:
            part = _convert_part(section, context)
            if cache is not None:
                if len(cache) >= 512:
                    cache.pop(next(iter(cache)))
                cache[section] = part
        parts.append(part)
    body, categories, issues = _assemble(parts)
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return Result(body, categories, "", issues)


def plain(text: str, context: Context | None = None) -> str:
    """The text of a wikitext fragment without any markup (a discussion's topic)."""
    converter = _Converter(context or Context())
    return " ".join(converter.inline(mwparserfromhell.parse(text or "").nodes, "plain").split())


@dataclass
class Section:
    topic: str
    """The heading's text ("" for what comes before the first heading)."""
    text: str
    """The section's wikitext, without its heading."""


def talk_sections(text: str, context: Context | None = None) -> list[Section]:
    """A talk page cut at its level-1 and level-2 headings (one topic each)."""
    parsed = mwparserfromhell.parse((text or "").replace("\r\n", "\n"))
    sections: list[Section] = []
    topic = ""
    current: list[str] = []
    for node in parsed.nodes:
        if isinstance(node, Heading) and node.level <= 2:
            if "".join(current).strip() or topic:
                sections.append(Section(topic, "".join(current).strip("\n")))
            topic = plain(str(node.title), context)
            current = []
        else:
            current.append(str(node))
    if "".join(current).strip() or topic:
        sections.append(Section(topic, "".join(current).strip("\n")))
    return sections
