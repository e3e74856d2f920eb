"""A page (or a tree of pages) taken out of the site: Markdown files with a front matter, a zip
archive with the attachments and the licence notes, the absolute addresses that printed pages
and QR codes carry.

Everything here reads; nothing writes to the database. Names inside the archive come from
slugs and sanitised attachment names, never from raw titles, so no entry can leave its folder
("../../etc/passwd" as a title or "a/../../b.png" as a file name stay harmless).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tiers.commons import facts as facts_module
from tiers.commons import licences, services
from tiers.commons.models import Attachment, Page

logger = logging.getLogger(__name__)

MAX_EXPORT_PAGES = 500
"""Pages in one archive or printed tree; a larger tree is cut (and the cut is said)."""

SPOOL_BYTES = 8 * 1024 * 1024
"""An archive stays in memory up to this size, then goes to a temporary file."""


# The tree ------------------------------------------------------------------------------------


@dataclass
class Node:
    page: Page
    depth: int = 0
    children: list[Node] = field(default_factory=list)


@dataclass
class Tree:
    root: Node
    truncated: bool = False

    def nodes(self) -> list[Node]:
        """Every node, depth first, in the order of the documentation tree."""
        found: list[Node] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found

    def pages(self) -> list[Page]:
        return [node.page for node in self.nodes()]

    def authors(self) -> dict[int, list[str]]:
        """The authors of every page of the tree, in one query."""
        return services.authors_of([page.pk for page in self.pages()])


def page_tree(root: Page, *, limit: int = MAX_EXPORT_PAGES, children: bool = True) -> Tree:
    """`root` and its sub-pages (one query per level), at most `limit` pages in all."""
    tree = Tree(Node(root))
    if not children:
        return tree
    nodes = {root.pk: tree.root}
    level = [root.pk]
    while level:
        found = (
            Page.objects.filter(parent_id__in=level)
            .exclude(pk__in=list(nodes))
            .select_related("place", "network")
            .prefetch_related("tags", "attachments")
            .order_by("position", "title", "pk")
        )
        level = []
        for page in found:
            if len(nodes) >= limit:
                tree.truncated = True
                return tree
            assert page.parent_id is not None
            parent = nodes[page.parent_id]
            node = Node(page, parent.depth + 1)
            parent.children.append(node)
            nodes[page.pk] = node
            level.append(page.pk)
    return tree


# Addresses -----------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def page_url(page: Page) -> str:
    return absolute_url(page.get_absolute_url())


def short_url(page: Page) -> str:
    """The page's address without its scheme, to be read and typed from a wall."""
    return re.sub(r"^https?://", "", page_url(page))


_HREF = re.compile(r'(<a\b[^>]*?\shref=")/(?!/)')


def absolute_links(html: str) -> str:
    """Links of this site's rendered (sanitised) HTML made absolute, so that a printed page
    shows addresses one can type."""
    return _HREF.sub(lambda match: match.group(1) + settings.SITE_URL + "/", html)


_HEADING = re.compile(r"<(/?)h([1-6])\b")


def rebase_headings(html: str, top: int) -> str:
    """Headings of a rendered text moved so that its highest one is at level `top` (the level
    under the title it is printed beneath): no level is skipped between the title and the
    text, whichever heading the text starts with."""
    levels = {int(match.group(2)) for match in _HEADING.finditer(html)}
    if not levels:
        return html
    shift = top - min(levels)
    if shift == 0:
        return html
    return _HEADING.sub(
        lambda match: f"<{match.group(1)}h{min(6, max(1, int(match.group(2)) + shift))}", html
    )


# Safe names ----------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}  # fmt: skip


def safe_filename(name: str, fallback: str = "fichier", max_length: int = 100) -> str:
    """A file name that cannot leave its folder nor upset a file system: no separators, no
    control characters, no leading dot, no `..`, at most `max_length` characters (the
    extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("/", "_").replace("\\", "_")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"[_ ]{2,}", "_", name).strip(" ._-")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.lower() in _RESERVED:
        stem = f"_{stem}"
    ext = ext[:16]
    if ext and not stem:
        stem, ext = ext, ""
    room = max(1, max_length - (len(ext) + 1 if ext else 0))
    stem = stem[:room].rstrip(" ._-")
    if not stem:
        return fallback
    return f"{stem}.{ext}" if ext else stem


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    while candidate.lower() in taken:
        number += 1
        candidate = f"{stem}-{number}.{ext}" if ext else f"{stem}-{number}"
    taken.add(candidate.lower())
    return candidate


# Markdown ------------------------------------------------------------------------------------


def _yaml(value: Any) -> str:
    """A YAML scalar: JSON strings are valid double-quoted YAML scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _yaml_list(key: str, items: list[Any], indent: str = "") -> list[str]:
    if not items:
        return [f"{indent}{key}: []"]
    return [f"{indent}{key}:", *(f"{indent}  - {_yaml(item)}" for item in items)]


def _owner_name(page: Page) -> str:
    owner = page.owner
    return owner.name if owner is not None else _("Documentation commons")


@dataclass
class Source:
    """A page an adaptation came from, as its attribution recorded it."""

    title: str
    url: str
    licence: str
    revision: int
    authors: list[str]

    @classmethod
    def of(cls, attribution: dict[str, Any]) -> Source:
        authors = attribution.get("authors") or []
        try:
            revision = int(attribution.get("revision") or 0)
        except (TypeError, ValueError):
            revision = 0
        path = str(attribution.get("path") or "")
        if not path.startswith("/") or path.startswith("//"):
            slug = str(attribution.get("slug") or "")
            path = reverse("commons:page", args=[slug]) if slug else "/"
        return cls(
            title=str(attribution.get("title") or ""),
            url=absolute_url(path),
            licence=licences.info(str(attribution.get("licence") or "")).name,
            revision=revision,
            authors=[str(name) for name in authors] if isinstance(authors, list) else [],
        )


def sources_of(attribution: dict[str, Any]) -> list[Source]:
    """The page an adaptation came from, then the ones that page came from, nearest first."""
    if not isinstance(attribution, dict) or not attribution.get("title"):
        return []
    chain = attribution.get("chain") or []
    return [Source.of(attribution)] + [
        Source.of(item) for item in chain if isinstance(item, dict) and item.get("title")
    ]


@dataclass
class PageInfo:
    """What is said about a page wherever it is exported: who wrote it, under which terms."""

    page: Page
    licence: licences.LicenceInfo
    authors: list[str]
    url: str
    attachments: list[Attachment]
    sources: list[Source]

    @classmethod
    def of(cls, page: Page, authors: list[str] | None = None) -> PageInfo:
        """`authors`: the page's, when they were read with those of the whole tree."""
        return cls(
            page=page,
            licence=licences.info(page.licence),
            authors=services.authors(page) if authors is None else authors,
            url=page_url(page),
            attachments=list(page.attachments.all()),
            sources=sources_of(page.attribution or {}),
        )


def front_matter(info: PageInfo, *, files: dict[str, str] | None = None) -> str:
    """The YAML front matter of a page's Markdown file; `files` maps attachment names to
    their paths relative to the file (in an archive)."""
    page = info.page
    lines = ["---", f"title: {_yaml(page.title)}"]
    if page.summary:
        lines.append(f"summary: {_yaml(page.summary)}")
    lines += [
        f"kind: {_yaml(page.kind)}",
        f"licence: {_yaml(info.licence.name)}",
        f"licence_url: {_yaml(info.licence.url)}",
        *_yaml_list("authors", info.authors),
        f"source: {_yaml(info.url)}",
        f"revision: {page.revision_number}",
        f"date: {_yaml(timezone.localtime(page.updated_at).isoformat())}",
        f"owner: {_yaml(_owner_name(page))}",
        *_yaml_list("tags", [tag.name for tag in page.tags.all()]),
    ]
    shown = facts_module.shown(page.kind, page.facts or {})
    if shown:
        lines.append("facts:")
        for fact, value in shown:
            if isinstance(value, list):
                lines += _yaml_list(fact.name, value, indent="  ")
            else:
                lines.append(f"  {fact.name}: {_yaml(value)}")
    if info.sources:
        source = info.sources[0]
        lines += [
            "adapted_from:",
            f"  title: {_yaml(source.title)}",
            f"  source: {_yaml(source.url)}",
            f"  licence: {_yaml(source.licence)}",
            f"  revision: {_yaml(source.revision)}",
            *_yaml_list("authors", source.authors, indent="  "),
        ]
    if files:
        lines.append("files:")
        lines += [f"  {_yaml(name)}: {_yaml(path)}" for name, path in files.items()]
    lines.append("---")
    return "\n".join(lines) + "\n"


def page_markdown(page: Page, *, info: PageInfo | None = None,
                  files: dict[str, str] | None = None) -> str:  # fmt: skip
    """The page as a Markdown file: front matter, then its text as written."""
    info = info or PageInfo.of(page)
    body = (page.body or "").rstrip("\n")
    return front_matter(info, files=files) + "\n" + body + "\n"


def markdown_filename(page: Page) -> str:
    return safe_filename(page.slug, fallback="page", max_length=120) + ".md"


# The archive ---------------------------------------------------------------------------------


def _credit(info: PageInfo) -> list[str]:
    page = info.page
    lines = [f"## {page.title}", ""]
    lines.append(
        "- " + _("Licence: [%(name)s](%(url)s)") % {"name": info.licence.name, "url": info.licence.url}
    )  # fmt: skip
    if info.authors:
        lines.append("- " + _("Authors: %(names)s") % {"names": ", ".join(info.authors)})
    lines.append("- " + _("Source: %(url)s (revision %(number)d)") % {"url": info.url, "number": page.revision_number})  # fmt: skip
    for number, source in enumerate(info.sources):
        text = (
            _("Adapted from “%(title)s” (%(url)s), revision %(number)d, under %(licence)s, by %(authors)s")
            if number == 0
            else _("Itself adapted from “%(title)s” (%(url)s), revision %(number)d, under %(licence)s, by %(authors)s")
        )  # fmt: skip
        lines.append(
            "- " + text % {
                "title": source.title, "url": source.url, "number": source.revision,
                "licence": source.licence, "authors": ", ".join(source.authors) or "?",
            }
        )  # fmt: skip
    lines.append("")
    return lines


def licence_notes(infos: list[PageInfo], root: Page) -> str:
    lines = [
        "# " + _("Licences and credits"),
        "",
        _(
            "These pages come from %(url)s. Each one is under the licence named below: when you "
            "reuse or adapt it, credit its authors, link to its source and keep its licence "
            "(a share-alike page's adaptations stay under the same licence; a non-commercial "
            "page may not be used for commercial purposes)."
        ) % {"url": page_url(root)},
        "",
    ]  # fmt: skip
    for info in infos:
        lines += _credit(info)
    return "\n".join(lines)


def _index(root_folder: str, entries: list[tuple[Node, str]], tree: Tree, missing: list[str],
           exported_at: datetime.datetime) -> str:  # fmt: skip
    root = tree.root.page
    lines = [
        f"# {root.title}",
        "",
        _("Exported from %(url)s on %(date)s.")
        % {"url": page_url(root), "date": timezone.localtime(exported_at).strftime("%Y-%m-%d %H:%M")},
        "",
        _("Licences and credits: [LICENCE.md](LICENCE.md)."),
        "",
        "## " + _("Pages"),
        "",
    ]  # fmt: skip
    for node, path in entries:
        relative = path.removeprefix(root_folder + "/")
        title = node.page.title.replace("[", "\\[").replace("]", "\\]")
        lines.append(f"{'  ' * node.depth}- [{title}](<{relative}>)")
    if tree.truncated:
        lines += [
            "",
            _("This archive holds the first %(count)d pages of the tree only.")
            % {"count": len(entries)},
        ]
    if missing:
        lines += ["", _("These files could not be read and are missing:"), ""]
        lines += [f"- {name}" for name in missing]
    return "\n".join(lines) + "\n"


def _open(attachment: Attachment) -> IO[bytes] | None:
    try:
        return attachment.file.open("rb")
    except Exception:  # a lost file (disk or object storage) must not break the export
        logger.warning("attachment %s of page %s cannot be read", attachment.pk, attachment.page_id)
        return None


def write_zip(root: Page, out: IO[bytes], *, children: bool = True) -> Tree:
    """Write the archive of `root` (and its sub-pages) to `out`:

    <slug>/index.md              the contents, as a nested list of links
    <slug>/LICENCE.md            licence, authors and source of every page
    <slug>/<slug>.md             the page
    <slug>/<slug>/<child>.md     its sub-pages, and theirs in folders named after them
    <slug>/fichiers/<page>/...   the attachments of each page
    """
    tree = page_tree(root, children=children)
    now = timezone.now()
    folder = safe_filename(root.slug, fallback="page", max_length=120)
    stamp = timezone.localtime(now).timetuple()[:6]
    infos: list[PageInfo] = []
    entries: list[tuple[Node, str]] = []
    missing: list[str] = []
    authors = tree.authors()
    paths: dict[int, str] = {}
    """page pk -> the folder holding its sub-pages"""
    taken: dict[str, set[str]] = {}
    file_folders: set[str] = set()

    def add(zf: zipfile.ZipFile, path: str, data: bytes | str) -> None:
        entry = zipfile.ZipInfo(path, date_time=stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        zf.writestr(entry, data)

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for node in tree.nodes():
            page = node.page
            parent_folder = folder if node is tree.root else paths[page.parent_id or 0]
            name = safe_filename(page.slug, fallback="page", max_length=120)
            name = _unique(name, taken.setdefault(parent_folder, {"index", "licence", "fichiers"}))
            paths[page.pk] = f"{parent_folder}/{name}"
            md_path = f"{parent_folder}/{name}.md"
            info = PageInfo.of(page, authors[page.pk])
            infos.append(info)
            files: dict[str, str] = {}
            up = "../" * (md_path.count("/") - 1)
            file_folder = ""
            used: set[str] = set()
            for attachment in info.attachments:
                handle = _open(attachment)
                if handle is None:
                    missing.append(f"{page.title}: {attachment.name}")
                    continue
                file_folder = file_folder or "fichiers/" + _unique(name, file_folders)
                filename = _unique(safe_filename(attachment.name), used)
                with handle:
                    add(zf, f"{folder}/{file_folder}/{filename}", handle.read())
                files[attachment.name] = f"{up}{file_folder}/{filename}"
            add(zf, md_path, page_markdown(page, info=info, files=files))
            entries.append((node, md_path))
        add(zf, f"{folder}/index.md", _index(folder, entries, tree, missing, now))
        add(zf, f"{folder}/LICENCE.md", licence_notes(infos, root))
    return tree


def zip_file(root: Page, *, children: bool = True) -> IO[bytes]:
    """The archive in a temporary file (in memory while small), positioned at its start."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    write_zip(root, out, children=children)
    out.seek(0)
    return out
