"""Reading a MediaWiki XML export as a stream.

An export (`Special:Export`, `dumpBackup.php`) is one `<mediawiki>` element in the namespace
`http://www.mediawiki.org/xml/export-0.N/` (0.10 and 0.11 today, older ones alike): a
`<siteinfo>` (site name, database name, namespaces), then `<page>`s, each with its title,
namespace, id, an optional `<redirect title="…">` and its `<revision>`s in order.

The file is read twice, never held in memory: `Dump.check()` reads it all (well-formed XML,
valid UTF-8, a MediaWiki root element, the fields an import needs) and counts the pages;
`Dump.pages()` then yields the pages one by one, each with a lazy iterator over its
revisions, so that a page with a long history is not held in memory either. Elements are
cleared as soon as they are read. Files compressed with gzip, bzip2 or xz are read as they
are.
"""

from __future__ import annotations

import bz2
import codecs
import datetime
import gzip
import lzma
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from django.utils.translation import gettext as _

EXPORT_NAMESPACE = re.compile(r"^http://www\.mediawiki\.org/xml/export-0\.(\d+)/?$")
CHUNK = 64 * 1024


class DumpError(Exception):
    """The file cannot be imported; `message` says why (and where, when it can)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class SiteInfo:
    sitename: str = ""
    dbname: str = ""
    base: str = ""
    generator: str = ""
    case: str = "first-letter"
    namespaces: dict[int, str] = field(default_factory=dict)
    """key -> local name ("" for the main namespace)."""

    @property
    def key(self) -> str:
        """What import keys are made of: the database name (stable across exports of the
        same wiki), else a name made from the site's name."""
        if self.dbname:
            return self.dbname
        name = re.sub(r"[^a-z0-9]+", "-", self.sitename.lower()).strip("-")
        return name or "wiki"

    def namespace_of(self, title: str) -> int:
        """The namespace a title's prefix names (for old exports without `<ns>`)."""
        prefix, colon, _rest = title.partition(":")
        if not colon:
            return 0
        wanted = prefix.strip().replace("_", " ").casefold()
        for key, name in self.namespaces.items():
            if key and name.casefold() == wanted:
                return key
        return 0


@dataclass
class Revision:
    id: int
    timestamp: datetime.datetime
    parent_id: int | None = None
    username: str = ""
    user_id: int | None = None
    ip: str = ""
    contributor_deleted: bool = False
    comment: str = ""
    comment_deleted: bool = False
    minor: bool = False
    model: str = "wikitext"
    format: str = "text/x-wiki"
    text: str = ""
    text_deleted: bool = False
    """The text was hidden in the wiki (revision deletion)."""
    text_missing: bool = False
    """The export does not carry the text (a "stub" dump, or text kept elsewhere)."""
    sha1: str = ""

    @property
    def author_name(self) -> str:
        return self.username or self.ip or "—"


@dataclass
class Page:
    title: str
    ns: int
    id: int
    redirect: str = ""
    """The target title of `<redirect title="…">` ("" when the page is not a redirect)."""
    revisions: Iterator[Revision] = field(default_factory=lambda: iter(()))
    """The page's revisions in the export's order, read as they are iterated (once)."""


@dataclass
class Summary:
    """What the first reading found."""

    version: str
    siteinfo: SiteInfo
    pages: int = 0
    revisions: int = 0


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(elem: ET.Element) -> dict[str, ET.Element]:
    found: dict[str, ET.Element] = {}
    for child in elem:
        found.setdefault(_local(child.tag), child)
    return found


def _text(elem: ET.Element | None) -> str:
    return (elem.text or "") if elem is not None else ""


def _deleted(elem: ET.Element | None) -> bool:
    return elem is not None and "deleted" in elem.attrib


class _CheckedReader:
    """A binary reader that checks that what passes is UTF-8, and knows on which line."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.lines = 1
        self.eof = False
        self.bytes_read = 0
        self.started = False
        self.head = b""

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(CHUNK if size is None or size < 0 else size)
        if not self.started:
            self.started = True
            if data.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise DumpError(_("The file is in UTF-16: a MediaWiki export is in UTF-8."), 1)
            self.head = data
        pending = len(self.decoder.getstate()[0])
        try:
            self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            start = min(max(0, exc.start - pending), max(0, len(data) - 1))
            line = self.lines + data.count(b"\n", 0, start)
            byte = data[start] if data else 0
            raise DumpError(
                _(
                    "The file is not valid UTF-8: the byte 0x%(byte)02X at line %(line)d is "
                    "not part of any character (was the file saved in another encoding?)."
                )
                % {"byte": byte, "line": line},
                line,
            ) from None
        self.lines += data.count(b"\n")
        self.bytes_read += len(data)
        if not data:
            self.eof = True
        return data

    def close(self) -> None:
        self.raw.close()


def compression(path: Path) -> str:
    """ "gzip", "bzip2", "xz" or "" (a plain file)."""
    try:
        with path.open("rb") as probe:
            magic = probe.read(6)
    except OSError:
        return ""
    if magic.startswith(b"\x1f\x8b"):
        return "gzip"
    if magic.startswith(b"BZh"):
        return "bzip2"
    if magic.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return ""


def _open_raw(path: Path) -> IO[bytes]:
    try:
        with path.open("rb") as probe:
            magic = probe.read(6)
        kind = compression(path)
        if kind == "gzip":
            return cast("IO[bytes]", gzip.open(path, "rb"))
        if kind == "bzip2":
            return bz2.open(path, "rb")
        if kind == "xz":
            return lzma.open(path, "rb")
        if magic.startswith(b"7z\xbc\xaf"):
            raise DumpError(
                _("The file is a 7-Zip archive: extract the XML export first (7z x FILE).")
            )
        return path.open("rb")
    except OSError as exc:
        raise DumpError(
            _("The file cannot be read: %(error)s.") % {"error": exc.strerror or exc}
        ) from None


def _parse_error(exc: ET.ParseError, reader: _CheckedReader, started: bool) -> DumpError:
    line, column = exc.position
    reason = str(exc).split(":", 1)[0]
    if not started:
        return DumpError(
            _("The file is not XML (%(reason)s, line %(line)d, column %(column)d).")
            % {"reason": reason, "line": line, "column": column},
            line,
        )
    if reader.eof and reason in {"no element found", "unclosed token"}:
        return DumpError(
            _(
                "The export is cut off: the file ends at line %(line)d before its end (was it "
                "copied or downloaded completely?)."
            )
            % {"line": line},
            line,
        )
    return DumpError(
        _("The file is not well-formed XML: %(reason)s at line %(line)d, column %(column)d.")
        % {"reason": reason, "line": line, "column": column},
        line,
    )


class Dump:
    """A MediaWiki export on disk."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.siteinfo = SiteInfo()
        self.version = ""

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def _events(self, reader: _CheckedReader) -> Iterator[tuple[str, ET.Element]]:
        """(event, element) with the root checked; turns XML and decoding errors into
        DumpError."""
        started = False
        try:
            # Expat (2.4+) limits entity amplification and ElementTree never fetches external
            # entities; a document type declaration is refused outright (exports have none).
            for event, elem in ET.iterparse(reader, events=("start", "end")):  # noqa: S314
                if not started:
                    started = True
                    if b"<!DOCTYPE" in reader.head:
                        raise DumpError(
                            _(
                                "The file declares a document type (<!DOCTYPE …>): MediaWiki "
                                "exports have none, and such files are refused."
                            ),
                            1,
                        )
                    self._check_root(elem)
                yield event, elem
        except ET.ParseError as exc:
            raise _parse_error(exc, reader, started) from None
        except DumpError:
            if not started and not reader.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                raise DumpError(_("The file is not XML: it does not even hold text."), 1) from None
            raise
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise DumpError(
                _("The compressed file is damaged: %(error)s.") % {"error": exc}
            ) from None
        if not started:
            raise DumpError(_("The file is empty."), 1)

    def _check_root(self, root: ET.Element) -> None:
        namespace, _brace, name = (
            root.tag[1:].partition("}") if root.tag[:1] == "{" else ("", "", root.tag)
        )
        match = EXPORT_NAMESPACE.match(namespace)
        if name != "mediawiki" or not match:
            raise DumpError(
                _(
                    "The file is XML but not a MediaWiki export: its root element is "
                    "<%(name)s>%(namespace)s, not <mediawiki> in the namespace "
                    "http://www.mediawiki.org/xml/export-0.N/."
                )
                % {"name": name, "namespace": f" ({namespace})" if namespace else ""},
                1,
            )
        self.version = f"0.{match.group(1)}"

    def check(self, progress: Any = None) -> Summary:
        """Read the whole file once: raises DumpError at the first problem; counts pages.
        `progress(n)` is called with the number of bytes read since the last call."""
        raw = _open_raw(self.path)
        reader = _CheckedReader(raw)
        summary: Summary | None = None
        pages = revisions = 0
        depth = 0
        root: ET.Element | None = None
        reported = 0
        try:
            for event, elem in self._events(reader):
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root = elem
                    continue
                tag = _local(elem.tag)
                if depth == 2 and tag == "siteinfo":
                    self.siteinfo = _siteinfo(elem)
                    elem.clear()
                elif depth == 3 and tag == "revision":
                    _revision(elem)
                    revisions += 1
                    elem.clear()
                elif depth == 2 and tag == "page":
                    _header(elem, self.siteinfo)
                    pages += 1
                    elem.clear()
                    if root is not None:
                        root.clear()
                depth -= 1
                if progress is not None and reader.bytes_read - reported >= CHUNK:
                    progress(reader.bytes_read - reported)
                    reported = reader.bytes_read
        finally:
            reader.close()
        if progress is not None:
            progress(reader.bytes_read - reported)
        summary = Summary(self.version, self.siteinfo, pages, revisions)
        return summary

    def pages(self) -> Iterator[Page]:
        """The pages, one by one. Each page's `revisions` must be read (or left) before the
        next page is asked for."""
        raw = _open_raw(self.path)
        reader = _CheckedReader(raw)
        try:
            events = self._events(reader)
            yield from self._pages(events)
        finally:
            reader.close()

    def _pages(self, events: Iterator[tuple[str, ET.Element]]) -> Iterator[Page]:
        depth = 0
        root: ET.Element | None = None
        for event, elem in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                elif depth == 2 and _local(elem.tag) == "page":
                    page = self._page(elem, events)
                    yield page
                    for _revision_left in page.revisions:
                        pass
                    depth -= 1  # the page's end event was read by its revisions
                    elem.clear()
                    if root is not None:
                        root.clear()
                continue
            if depth == 2 and _local(elem.tag) == "siteinfo":
                self.siteinfo = _siteinfo(elem)
                elem.clear()
            depth -= 1

    def _page(self, page_elem: ET.Element, events: Iterator[tuple[str, ET.Element]]) -> Page:
        """Read the page's header (up to its first revision); its revisions follow lazily."""
        depth = 2
        for event, elem in events:
            if event == "start":
                depth += 1
                if depth == 3 and _local(elem.tag) in {"revision", "upload"}:
                    page = _header(page_elem, self.siteinfo)
                    page.revisions = self._revisions(page_elem, events, depth)
                    return page
                continue
            if depth == 2:  # the page ends without any revision
                page = _header(page_elem, self.siteinfo)
                page.revisions = iter(())
                return page
            depth -= 1
        raise DumpError(_("The export ends inside a page."))  # pragma: no cover (checked)

    def _revisions(
        self, page_elem: ET.Element, events: Iterator[tuple[str, ET.Element]], depth: int
    ) -> Iterator[Revision]:
        for event, elem in events:
            if event == "start":
                depth += 1
                continue
            tag = _local(elem.tag)
            if depth == 3:
                if tag == "revision":
                    yield _revision(elem)
                # Drop what was read: the header is parsed already.
                page_elem.clear()
            elif depth == 2:  # </page>
                return
            depth -= 1


def _siteinfo(elem: ET.Element) -> SiteInfo:
    children = _children(elem)
    namespaces: dict[int, str] = {}
    holder = children.get("namespaces")
    if holder is not None:
        for item in holder:
            try:
                key = int(item.get("key", ""))
            except ValueError:
                continue
            namespaces[key] = (item.text or "").strip()
    return SiteInfo(
        sitename=_text(children.get("sitename")).strip(),
        dbname=_text(children.get("dbname")).strip(),
        base=_text(children.get("base")).strip(),
        generator=_text(children.get("generator")).strip(),
        case=_text(children.get("case")).strip() or "first-letter",
        namespaces=namespaces,
    )


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise DumpError(
            _("%(what)s is not a number: “%(value)s”.")
            % {"what": what, "value": value.strip()[:40]}
        ) from None


def _header(elem: ET.Element, siteinfo: SiteInfo) -> Page:
    children = _children(elem)
    title = " ".join(_text(children.get("title")).split())
    if not title:
        raise DumpError(_("A page of the export has no title."))
    ns_text = _text(children.get("ns"))
    ns = (
        _int(ns_text, _("The namespace of the page “%(title)s”") % {"title": title})
        if ns_text.strip()
        else (siteinfo.namespace_of(title))
    )
    page_id = _int(
        _text(children.get("id")), _("The id of the page “%(title)s”") % {"title": title}
    )
    redirect = children.get("redirect")
    target = ""
    if redirect is not None:
        target = " ".join((redirect.get("title") or "").split())
    return Page(title=title, ns=ns, id=page_id, redirect=target)


def _timestamp(value: str, what: str) -> datetime.datetime:
    try:
        when = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise DumpError(
            _("%(what)s is not a date: “%(value)s”.") % {"what": what, "value": value.strip()[:40]}
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.astimezone(datetime.UTC)


def _revision(elem: ET.Element) -> Revision:
    children = _children(elem)
    revision_id = _int(_text(children.get("id")), _("The id of a revision"))
    timestamp = _timestamp(
        _text(children.get("timestamp")), _("The time of revision %(id)d") % {"id": revision_id}
    )
    parent = _text(children.get("parentid")).strip()
    contributor = children.get("contributor")
    username = ip = ""
    user_id: int | None = None
    if contributor is not None:
        people = _children(contributor)
        username = " ".join(_text(people.get("username")).split())
        ip = _text(people.get("ip")).strip()
        uid = _text(people.get("id")).strip()
        user_id = int(uid) if uid.isdigit() else None
    comment = children.get("comment")
    text = children.get("text")
    return Revision(
        id=revision_id,
        timestamp=timestamp,
        parent_id=int(parent) if parent.isdigit() else None,
        username=username,
        user_id=user_id,
        ip=ip,
        contributor_deleted=_deleted(contributor),
        comment=_text(comment),
        comment_deleted=_deleted(comment),
        minor="minor" in children,
        model=_text(children.get("model")).strip() or "wikitext",
        format=_text(children.get("format")).strip() or "text/x-wiki",
        text=_text(text),
        text_deleted=_deleted(text),
        text_missing=text is None or ("location" in text.attrib and not text.text),
        sha1=_text(children.get("sha1")).strip(),
    )
