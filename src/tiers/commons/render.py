"""A page's Markdown to safe HTML: CommonMark with tables, footnotes, task lists and heading
anchors, wiki links `[[Titre]]`, `[[Titre|texte]]`, `[[Titre#Section|texte]]` and attachments
`[[Fichier:plan.png|description]]`; then nh3 keeps only an allow-list of tags, attributes and
URL schemes, whatever the text says.

`render(body, page)` looks every linked title up in one query and returns the HTML with the
set of links, so that saving a page can record its links (what links here, wanted pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import nh3
from django.urls import reverse
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from tiers.commons.text import clean_title, slug_of

if TYPE_CHECKING:
    from tiers.commons.models import Page

FILE_PREFIXES = ("fichier:", "file:", "image:", "média:", "media:")
WIKILINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "figure", "figcaption",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "section", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"style"},
    "td": {"style"},
    "abbr": {"title"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "li": {"id"},
    "sup": {"id"},
    "ol": {"start"},
}  # fmt: skip
ALLOWED_CLASSES = {
    "a": {"wikilink", "wikilink--new", "footnote-backref", "attachment"},
    "span": {"wikilink--missing-file", "visually-hidden", "task-box"},
    "sup": {"footnote-ref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item", "task-list-item"},
    "figure": {"attachment-image"},
    "ul": {"contains-task-list"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_ALIGN = re.compile(r"^text-align:\s*(left|right|center)$")


def _attribute_filter(tag: str, name: str, value: str) -> str | None:
    if name == "style":
        match = _ALIGN.match(value.strip())
        return f"text-align: {match.group(1)}" if match else None
    if name == "id" and not re.fullmatch(r"[\w-]{1,120}", value):
        return None
    return value


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    attribute_filter=_attribute_filter,
    tag_attribute_values={"span": {"aria-hidden": {"true"}}},
    url_schemes=URL_SCHEMES,
    link_rel="nofollow noopener noreferrer",
)


@dataclass
class Links:
    """What the wiki links of a text point at, looked up once before rendering."""

    pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    """slug of a linked title -> (slug of the page it leads to, its title)"""
    files: dict[str, Any] = field(default_factory=dict)
    """lower-cased attachment name -> Attachment"""
    page_slug: str = ""
    wanted: dict[str, str] = field(default_factory=dict)
    """slug -> title, for the links whose page does not exist"""
    found: dict[str, str] = field(default_factory=dict)
    """slug -> title, for the links whose page exists"""


def _split(inner: str) -> tuple[str, str, str]:
    """`Titre#Section|texte` -> (title, section, text)."""
    target, _bar, text = inner.partition("|")
    title, _hash, section = target.partition("#")
    return clean_title(title), section.strip(), text.strip()


def wikilink_targets(body: str) -> dict[str, str]:
    """slug -> title of the pages the text links to (files left out)."""
    targets: dict[str, str] = {}
    for match in WIKILINK.finditer(body or ""):
        title, _section, _text = _split(match.group(1))
        if not title or title.lower().startswith(FILE_PREFIXES):
            continue
        slug = slug_of(title)
        if slug:
            targets.setdefault(slug, title)
    return targets


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[[", pos):
        return False
    end = src.find("]]", pos + 2)
    if end < 0:
        return False
    inner = src[pos + 2 : end]
    if not inner.strip() or "\n" in inner or "[" in inner or "]" in inner:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        token.content = inner
    state.pos = end + 2
    return True


def _render_wikilink(links: Links, inner: str) -> str:
    title, section, text = _split(inner)
    if title.lower().startswith(FILE_PREFIXES):
        name = title.split(":", 1)[1].strip()
        return _render_file(links, name, text)
    slug = slug_of(title)
    shown = title.replace("_", " ")
    label = escape(text or (f"{shown} § {section}" if section else shown))
    if not slug:
        return label
    anchor = f"#{quote(slug_of(section))}" if section and slug_of(section) else ""
    found = links.pages.get(slug)
    if found:
        links.found[slug] = title
        href = reverse("commons:page", args=[found[0]]) + anchor
        return f'<a class="wikilink" href="{escape(href)}">{label}</a>'
    links.wanted[slug] = title
    href = reverse("commons:create") + "?" + urlencode({"titre": title})
    hint = escape(_("page to create"))
    return (
        f'<a class="wikilink wikilink--new" href="{escape(href)}" title="{hint}">{label}'
        f'<span class="visually-hidden"> ({hint})</span></a>'
    )


def _render_file(links: Links, name: str, text: str) -> str:
    attachment = links.files.get(name.lower())
    # MediaWiki options (thumb, right, 200px…) come before the caption: keep the last part.
    caption = text.split("|")[-1].strip() if text else ""
    if caption.lower() in {"thumb", "vignette", "left", "right", "center", "gauche", "droite"}:
        caption = ""
    if attachment is None or not links.page_slug:
        hint = escape(_("missing file: %(name)s") % {"name": name})
        return f'<span class="wikilink--missing-file">[{hint}]</span>'
    url = reverse("commons:attachment", args=[links.page_slug, attachment.name])
    if attachment.is_image:
        alt = escape(caption or attachment.alt or "")
        size = (
            f' width="{attachment.width}" height="{attachment.height}"'
            if attachment.width and attachment.height
            else ""
        )
        return f'<img src="{escape(url)}" alt="{alt}"{size} loading="lazy">'
    return f'<a class="attachment" href="{escape(url)}">{escape(caption or attachment.name)}</a>'


def _anchor_slug(text: str) -> str:
    return slug_of(text) or "section"


def _parser() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(footnote_plugin)
        .use(tasklists_plugin)
        .use(anchors_plugin, min_level=1, max_level=6, slug_func=_anchor_slug)
    )
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)

    def wikilink(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return _render_wikilink(env["links"], tokens[idx].content)

    md.add_render_rule("wikilink", wikilink)
    return md


_md = _parser()


_TASK = re.compile(r'<input class="task-list-item-checkbox"( checked="checked")?[^>]*>')


def _task_boxes(html: str) -> str:
    """Task list boxes as text: a disabled checkbox would be a form field without a label."""

    def box(match: re.Match[str]) -> str:
        done = bool(match.group(1))
        state = escape(_("done") if done else _("to do"))
        return (
            f'<span class="task-box" aria-hidden="true">{"☑" if done else "☐"}</span>'
            f'<span class="visually-hidden">({state})</span>'
        )

    return _TASK.sub(box, html)


_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _shift_headings(html: str) -> str:
    """Headings without gaps under the page's own title (the h1): the text's first heading
    becomes h2, whether the text starts its sections at `#` or at `##`, and no heading is
    more than one level below the one before it (h2 then h5 becomes h2 then h3)."""
    first = _HEADING.search(html)
    if first is None:
        return html
    shift = 2 - int(first.group(2))
    state = {"previous": 1, "open": 2}

    def relevel(match: re.Match[str]) -> str:
        if match.group(1):  # a closing tag closes the heading just opened
            return f"</h{state['open']}"
        level = max(2, min(6, int(match.group(2)) + shift, state["previous"] + 1))
        state["previous"] = state["open"] = level
        return f"<h{level}"

    return _HEADING.sub(relevel, html)


def render_with(body: str, links: Links) -> str:
    """Render `body` with links already looked up; fills `links.found` and `links.wanted`."""
    html = _md.render(body or "", {"links": links})
    return _cleaner.clean(_task_boxes(_shift_headings(html)))


def lookup(body: str, page: Page | None = None) -> Links:
    """One query for the linked pages (by slug or alias), one for the page's attachments."""
    from tiers.commons.models import Page, PageAlias

    targets = wikilink_targets(body)
    links = Links(page_slug=page.slug if page is not None and page.pk else "")
    if targets:
        for slug, title in Page.objects.filter(slug__in=targets).values_list("slug", "title"):
            links.pages[slug] = (slug, title)
        missing = [slug for slug in targets if slug not in links.pages]
        if missing:
            for alias, slug, title in PageAlias.objects.filter(slug__in=missing).values_list(
                "slug", "page__slug", "page__title"
            ):
                links.pages[alias] = (slug, title)
    if page is not None and page.pk and "[[" in (body or ""):
        links.files = {a.name.lower(): a for a in page.attachments.all()}
    return links


def render(body: str, page: Page | None = None) -> tuple[str, Links]:
    links = lookup(body, page)
    return render_with(body, links), links
