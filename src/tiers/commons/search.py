"""Full-text search of the commons, French-aware and the same on SQLite and PostgreSQL.

Words are prepared in Python, the same way for pages and for queries: cut into words (runs
of letters and digits), folded (lower case, no accents: `tiers.core.text.fold`), French stop
words dropped, and each reduced to its stem by the Snowball French stemmer (after a plural
"s" is dropped, which the stemmer does only after some letters). So "documenter" finds
"Documentation" (both are "document"), "equipe" finds "Équipe" and "tiers-lieux" finds
"tiers-lieu". The database only stores and matches stems:

- PostgreSQL: `commons_page_search(page_id, title, head, document)`: `head` is a small
  tsvector of the title (A), summary and tags (B) and the page's facets (kind, licence, tags,
  owner: the filters), `document` the same plus the text (C), both GIN-indexed. The stems are
  given as tsvector/tsquery values rather than parsed again by a text search configuration,
  so that no parser splits a word differently. A query is the AND of its stems (the last one
  also a prefix while it is being typed) and of its filters' facets.
- SQLite: an FTS5 table `commons_page_fts(title, summary, tags, body)` whose rowid is the page
  id, holding the stems; ranked by `bm25` with the columns weighted 10, 4, 4, 1. Every query
  term is quoted, so nothing a person types is taken for FTS5 syntax.

On both, the pages whose title holds every word come first, then those whose title, summary
or tags hold them, then the others; each group by rank, then by title. A search counts up to
`MAX_RESULTS` pages; beyond `RANK_ALL` pages found, each group is listed by title (see
`_pg_ranked`: ranking tens of thousands of texts would take seconds). Only the
page of results shown is loaded and given a snippet (the passage of the text with the most
words of the query, those words marked, everything else escaped).

The services call `index(page)` after each change of a page's content and `unindex(page_id)`
before deleting one, in the same transaction; a trigger also drops the entry of a page deleted
by other means.
"""

# SQL here is built from the table names above and fixed fragments; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer
from django.db import connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tiers.commons.models import Page, Tag
from tiers.core.text import fold
from tiers.places.models import Network, Place

PG_TABLE = "commons_page_search"
FTS_TABLE = "commons_page_fts"

MAX_QUERY_CHARS = 200
MAX_TERMS = 20
MAX_WORD = 60
"""Longer "words" (hashes, encoded data) are not indexed."""
MIN_PREFIX = 3
"""The last word of a query is matched as a prefix (search as you type) from this length."""
MAX_RESULTS = 1000
"""A search with words counts and shows at most this many pages (as web search engines do):
the count says "more" beyond, and no page of results goes further."""
RANK_ALL = MAX_RESULTS
"""The pages found are all ranked when at most this many are found; beyond, they are listed by
title within their tier (title, summary or tags, text): `_pg_ranked`, `_sqlite_ranked`."""
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
"""ts_rank's weights of D, C (text), B (summary, tags), A (title)."""
SNIPPET_WORDS = 30
SNIPPET_FIRST = 5_000
SNIPPET_SCAN = 30_000
"""Characters of a page's text looked through for the snippet: the first `SNIPPET_FIRST`,
then, when the words are not there, up to `SNIPPET_SCAN` (long pages: the beginning)."""

# PostgreSQL limits: positions up to 16383, 256 positions per lexeme, 1 MiB for a tsvector's
# lexemes and positions (counted here a little generously: a lexeme's bytes, 4 bytes of
# header and alignment, 2 bytes a position).
_PG_MAX_POS = 16383
_PG_MAX_POSITIONS = 256
_PG_MAX_BYTES = 1_000_000

# French words too common to mean anything in a search (folded, as they are compared).
STOP_WORDS = frozenset(
    """
    a ai aie aient aies ait as au aux avaient avais avait avec avez aviez avions avons c ca
    ce ceci cela celle celles celui ces cet cette ceux d dans de des donc dont du elle elles
    en es est et etaient etais etait etant ete etes etiez etions eu eue eues eus eut il ils
    j je l la le les leur leurs lui m ma mais me meme mes moi mon n ne ni nos notre nous on
    ont ou par pas pour qu que quel quelle quelles quels qui s sa sans se sera seront ses si
    son sont sur t ta te tes toi ton tu un une vos votre vous y
    """.split()  # noqa: SIM905 (a list of words reads better so)
)

# Plurals the stemmer keeps apart from their singular (it strips a final "s" only after some
# letters): "vélos" and "vélo", "usagers" and "usager", "lieux" and "lieu" must meet.
IRREGULAR_PLURALS = {
    "lieux": "lieu", "milieux": "milieu", "jeux": "jeu", "enjeux": "enjeu", "feux": "feu",
    "voeux": "voeu", "neveux": "neveu", "cheveux": "cheveu", "essieux": "essieu",
}  # fmt: skip

_WORD = re.compile(r"[^\W_]+")
_LATIN = re.compile(r"[a-z]")
_local = threading.local()


def _stemmer() -> Any:
    # The Snowball stemmers keep state while they work: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("french")
    return stemmer


@lru_cache(maxsize=100_000)
def _stem_of_folded(word: str) -> str:
    """The stem of a folded word; "" for a stop word or a word too long to be one."""
    if word in STOP_WORDS or len(word) > MAX_WORD:
        return ""
    if not _LATIN.search(word):
        return word  # digits, other scripts: nothing for a French stemmer to do
    if word in IRREGULAR_PLURALS:
        word = IRREGULAR_PLURALS[word]
    elif len(word) > 3 and word[-1] == "s" and word[-2] not in "su":
        word = word[:-1]
    return _stemmer().stemWord(word) or word


@lru_cache(maxsize=200_000)
def _word_stems(word: str) -> tuple[str, ...]:
    """The stems of one word as written (folding may cut it in several: "½")."""
    return tuple(
        stemmed for part in _WORD.findall(fold(word)) if (stemmed := _stem_of_folded(part))
    )


def stem(word: str) -> str:
    """The stem of one word as written ("Équipes" -> "equip"); "" for a stop word."""
    found = _word_stems(word)
    return found[0] if len(found) == 1 else ""


def words(text: str) -> list[str]:
    """The words of a text as written: runs of letters and digits (accents composed first)."""
    return _WORD.findall(unicodedata.normalize("NFC", text))


def stems(text: str) -> list[str]:
    """The stems of a text, in order, stop words left out. Each distinct word is folded and
    stemmed once (cached): indexing a long text costs little more than cutting it."""
    result: list[str] = []
    for word in words(text):
        result.extend(_word_stems(word))
    return result


# --- Markdown to plain text --------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*\S+.*$", re.MULTILINE)
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\]:?")
_WIKILINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")
_URL = re.compile(r"[hfmHFM](?:ttps?|tp|ailto):[^\s<>]+")
_LINE_MARKS = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+|>\s?|(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?)", re.MULTILINE
)
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$|^\s*\|?[\s:|-]*-{3,}[\s:|-]*$", re.MULTILINE)
_MARKUP = str.maketrans({char: " " for char in "*_~`|"})
_FILE_PREFIXES = ("fichier:", "file:", "image:", "média:", "media:")


def _wikilink_text(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _bar, text = inner.partition("|")
    if target.strip().lower().startswith(_FILE_PREFIXES):
        return f" {text} " if text else " "
    return f" {text or target.split('#', 1)[0]} "


def plain_text(markdown: str) -> str:
    """A page's Markdown as the words a reader sees, roughly: no markup, no addresses."""
    text = _FENCE.sub(" ", markdown)
    text = _COMMENT.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _WIKILINK.sub(_wikilink_text, text)
    text = _IMAGE.sub(r" \1 ", text)
    text = _LINK.sub(r" \1 ", text)
    text = _REF_LINK.sub(r" \1 ", text)
    text = _REF_DEF.sub(" ", text)
    text = _FOOTNOTE_REF.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _LINE_MARKS.sub(" ", text)
    text = text.translate(_MARKUP)  # emphasis, code, tables, autolinks
    return " ".join(html.unescape(text).split())


# --- what a page is indexed as -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What a page is indexed as: the stems of its parts, in order, and its facets (what the
    filters look for)."""

    page_id: int
    title: str
    title_stems: list[str]
    summary: list[str]
    tags: list[str]
    body: list[str]
    facets: list[str]

    @classmethod
    def of(
        cls, page_id: int, *, title: str, summary: str, body: str, kind: str, licence: str,
        place_id: int | None, network_id: int | None, tags: Iterable[tuple[str, str]],
    ) -> Entry:  # fmt: skip
        tags = list(tags)
        facets = [_facet("k", kind), _facet("l", licence)]
        facets += [_facet("t", slug) for _name, slug in tags]
        if place_id is not None:
            facets.append(_facet("p", place_id))
        if network_id is not None:
            facets.append(_facet("n", network_id))
        return cls(
            page_id, title, stems(title), stems(summary),
            stems(" ".join(name for name, _slug in tags)), stems(plain_text(body)), facets,
        )  # fmt: skip


def _facet(kind: str, value: object) -> str:
    """A word no query can hold (words have no "_"), naming a filter's value."""
    return f"_{kind}:{value}"


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvectors(entry: Entry) -> tuple[str, str]:
    """The PostgreSQL tsvectors (as text) of a page: the head (title A, summary and tags B,
    facets) and the whole document (the head and the text C), within PostgreSQL's limits (a
    very long page keeps its words; later positions are merged)."""
    positions: dict[str, list[str]] = {}
    size = 0
    position = 0
    head = ""
    for stems_, weight in (
        (entry.title_stems, "A"),
        (entry.summary, "B"),
        (entry.tags, "B"),
        (entry.body, "C"),
    ):
        if weight == "C":
            head = _tsvector_text(positions, entry.facets)
        for word in stems_:
            if position < _PG_MAX_POS:
                position += 1
            mark = f"{position}{weight}"
            found = positions.get(word)
            if found is None:
                size += len(word.encode()) + 6
                if size > _PG_MAX_BYTES:
                    size -= len(word.encode()) + 6
                    continue
                positions[word] = [mark]
            elif len(found) < _PG_MAX_POSITIONS and size + 2 <= _PG_MAX_BYTES:
                size += 2
                found.append(mark)
    return head, _tsvector_text(positions, entry.facets)


def _tsvector_text(positions: dict[str, list[str]], facets: list[str]) -> str:
    parts = [f"{_lexeme(word)}:{','.join(marks)}" for word, marks in positions.items()]
    parts += [_lexeme(facet) for facet in facets]
    return " ".join(parts)


def _entry_of(page: Page) -> Entry:
    return Entry.of(
        page.pk, title=page.title, summary=page.summary, body=page.body, kind=page.kind,
        licence=page.licence, place_id=page.place_id, network_id=page.network_id,
        tags=page.tags.values_list("name", "slug"),
    )  # fmt: skip


def _write(entries: Sequence[Entry]) -> None:
    if not entries:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            vectors = [_tsvectors(entry) for entry in entries]
            cursor.execute(
                f"INSERT INTO {PG_TABLE} (page_id, title, head, document) "
                "SELECT id, title, head::tsvector, document::tsvector "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) "
                "AS u(id, title, head, document) "
                "ON CONFLICT (page_id) DO UPDATE SET title = EXCLUDED.title, "
                "head = EXCLUDED.head, document = EXCLUDED.document",
                [
                    [entry.page_id for entry in entries],
                    [entry.title for entry in entries],
                    [head for head, _document in vectors],
                    [document for _head, document in vectors],
                ],
            )
        else:
            cursor.executemany(
                f"DELETE FROM {FTS_TABLE} WHERE rowid = %s",
                [(entry.page_id,) for entry in entries],
            )
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, summary, tags, body) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    (
                        entry.page_id,
                        " ".join(entry.title_stems),
                        " ".join(entry.summary),
                        " ".join(entry.tags),
                        " ".join(entry.body),
                    )
                    for entry in entries
                ],
            )


def index(page: Page) -> None:
    """Write the page's entry in the search index (its current title, summary, tags, text,
    kind, licence and owner)."""
    _write([_entry_of(page)])


def unindex(page_id: int) -> None:
    """Remove a page's entry from the search index."""
    table = PG_TABLE if connection.vendor == "postgresql" else FTS_TABLE
    column = "page_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [page_id])


def reindex_all(batch: int = 1000, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every page again (after an import, a restore, or for a benchmark), `batch`
    pages at a time; `progress(done, total)` after each batch. Entries of pages that no
    longer exist are dropped. Returns the number of pages indexed."""
    ensure_schema()
    total = Page.objects.count()
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {PG_TABLE})")
            empty = cursor.fetchone()[0]
            if empty and total > batch:
                # Filling an empty table: build the indexes once at the end, which is several
                # times faster than updating them row by row.
                for name in PG_INDEXES:
                    cursor.execute(f"DROP INDEX IF EXISTS {name}")
    done = 0
    last = 0
    through = Page.tags.through
    while True:
        pages = list(
            Page.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk", "title", "summary", "body", "kind", "licence", "place_id", "network_id"
            )[:batch]
        )
        if not pages:
            break
        ids = [row[0] for row in pages]
        tags: dict[int, list[tuple[str, str]]] = {}
        for page_id, name, slug in through.objects.filter(page_id__in=ids).values_list(
            "page_id", "tag__name", "tag__slug"
        ):
            tags.setdefault(page_id, []).append((name, slug))
        _write(
            [
                Entry.of(
                    pk,
                    title=title,
                    summary=summary,
                    body=body,
                    kind=kind,
                    licence=licence,
                    place_id=place_id,
                    network_id=network_id,
                    tags=tags.get(pk, []),
                )
                for pk, title, summary, body, kind, licence, place_id, network_id in pages
            ]
        )
        done += len(pages)
        last = ids[-1]
        if progress is not None:
            progress(done, total)
    ensure_schema()  # the indexes, if they were left out
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute(
                f"DELETE FROM {PG_TABLE} s WHERE NOT EXISTS "
                "(SELECT 1 FROM commons_page p WHERE p.id = s.page_id)"
            )
        else:
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid NOT IN (SELECT id FROM commons_page)"
            )
    return done


# --- the tables ------------------------------------------------------------------------------

PG_SCHEMA = [
    # `title` orders the pages; `head` (title, summary, tags, facets: small, kept in the row)
    # finds and ranks the pages whose title or summary or tags hold the words; `document`
    # (all the words) finds the others. The documents are stored out of the rows, uncompressed,
    # so that the rows stay small and quick to go through.
    f"CREATE TABLE IF NOT EXISTS {PG_TABLE} (page_id bigint PRIMARY KEY, title text NOT NULL, "
    "head tsvector NOT NULL, document tsvector NOT NULL)",
    f"ALTER TABLE {PG_TABLE} ALTER COLUMN document SET STORAGE EXTERNAL",
    # Without a pending list: a page saved is in the index itself at once, and no search has
    # to read through a list of recent entries (a rebuild creates the indexes at the end).
    f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_document ON {PG_TABLE} "
    "USING gin (document) WITH (fastupdate = off)",
    f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_head ON {PG_TABLE} "
    "USING gin (head) WITH (fastupdate = off)",
    f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_title ON {PG_TABLE} (title, page_id)",
    f"ANALYZE {PG_TABLE}",
    # A page deleted (or all of them truncated, as the test runner does between tests) takes
    # its entry along. A trigger rather than a foreign key: a foreign key would forbid
    # TRUNCATE of the pages table alone.
    f"""CREATE OR REPLACE FUNCTION {PG_TABLE}_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE {PG_TABLE};
        ELSE
            DELETE FROM {PG_TABLE} WHERE page_id = OLD.id;
        END IF;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {PG_TABLE}_delete ON commons_page",
    f"CREATE TRIGGER {PG_TABLE}_delete AFTER DELETE ON commons_page "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_TABLE}_forget()",
    f"DROP TRIGGER IF EXISTS {PG_TABLE}_truncate ON commons_page",
    f"CREATE TRIGGER {PG_TABLE}_truncate AFTER TRUNCATE ON commons_page "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_TABLE}_forget()",
]
PG_INDEXES = [f"{PG_TABLE}_document", f"{PG_TABLE}_head", f"{PG_TABLE}_title"]
PG_DROP = [
    f"DROP TRIGGER IF EXISTS {PG_TABLE}_delete ON commons_page",
    f"DROP TRIGGER IF EXISTS {PG_TABLE}_truncate ON commons_page",
    f"DROP FUNCTION IF EXISTS {PG_TABLE}_forget()",
    f"DROP TABLE IF EXISTS {PG_TABLE}",
]
SQLITE_SCHEMA = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5"
    "(title, summary, tags, body, tokenize = 'unicode61 remove_diacritics 2')",
    # Rebuilding commons_page (as SQLite migrations do to alter a table) drops this trigger:
    # `tiers reindex-commons` puts it back. Searches join the pages, so a stale entry is
    # never shown in any case.
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON commons_page "
    f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def schema_statements(vendor: str, *, drop: bool = False) -> list[str]:
    if vendor == "postgresql":
        return PG_DROP if drop else PG_SCHEMA
    if vendor == "sqlite":
        return SQLITE_DROP if drop else SQLITE_SCHEMA
    raise NotImplementedError(f"No full-text search for {vendor}.")


def ensure_schema() -> None:
    """Create the search table, its indexes and triggers where they are missing."""
    with connection.cursor() as cursor:
        for statement in schema_statements(connection.vendor):
            cursor.execute(statement)


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query as stems: every one must be found; the last may be a prefix."""

    terms: tuple[str, ...]
    prefix: bool
    """The last term is matched as the start of a word (the person is still typing it)."""

    @classmethod
    def parse(cls, text: str) -> Query:
        text = (text or "").replace("\x00", "")[:MAX_QUERY_CHARS]
        written = words(text)
        terms: list[str] = []
        for word in written:
            for stemmed in _word_stems(word):
                if stemmed not in terms:
                    terms.append(stemmed)
        terms = terms[:MAX_TERMS]
        last = _word_stems(written[-1]) if written else ()
        typing = bool(text) and bool(_WORD.match(text[-1]))
        prefix = bool(terms) and typing and last[-1:] == (terms[-1],)
        return cls(tuple(terms), prefix and len(terms[-1]) >= MIN_PREFIX)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, word_stem: str) -> bool:
        if word_stem in self.terms:
            return True
        return self.prefix and word_stem.startswith(self.terms[-1])

    def tsquery(self, weight: str = "") -> str:
        parts = [_lexeme(term) + (":" + weight if weight else "") for term in self.terms]
        if self.prefix:
            parts[-1] = _lexeme(self.terms[-1]) + ":*" + weight
        return " & ".join(parts)

    def fts(self, column: str = "") -> str:
        parts = ['"' + term.replace('"', '""') + '"' for term in self.terms]
        if self.prefix:
            parts[-1] += "*"
        expression = " ".join(parts)
        return f"{column} : ({expression})" if column else expression


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    tag: str = ""
    place: str = ""
    network: str = ""
    licence: str = ""

    def __bool__(self) -> bool:
        return bool(self.kind or self.tag or self.place or self.network or self.licence)


@dataclass(frozen=True)
class Hit:
    page: Page
    snippet: SafeString
    """HTML: the passage, escaped, with the words of the query in `<mark>`."""
    text: str
    """The same passage as plain text."""
    title_match: bool


Rows = list[tuple[int, bool]]
"""(page id, the title holds every word) of the hits, in order."""


def _pg_facets(filters: Filters) -> str | None:
    """The filters as a tsquery on the facets; None when a filter names nothing (no page)."""
    parts = []
    if filters.kind:
        parts.append(_lexeme(_facet("k", filters.kind)))
    if filters.licence:
        parts.append(_lexeme(_facet("l", filters.licence)))
    if filters.tag:
        parts.append(_lexeme(_facet("t", filters.tag)))
    if filters.place:
        place = Place.objects.filter(slug=filters.place).values_list("pk", flat=True).first()
        if place is None:
            return None
        parts.append(_lexeme(_facet("p", place)))
    if filters.network:
        network = Network.objects.filter(slug=filters.network).values_list("pk", flat=True).first()
        if network is None:
            return None
        places = Network.places.through.objects.filter(network_id=network).values_list(
            "place_id", flat=True
        )
        owners = [_facet("n", network), *(_facet("p", place) for place in places)]
        parts.append("(" + " | ".join(_lexeme(owner) for owner in owners) + ")")
    return " & ".join(parts)


@contextmanager
def _pg_cursor() -> Iterator[Any]:
    """A cursor for the search statements. PostgreSQL's planner does not count the cost of
    reading a document stored out of its row, so it would go through every document instead of
    asking the index: sequential scans are turned off for these statements only (a setting
    local to the transaction, put back as it was when the transaction goes on after)."""
    nested = connection.in_atomic_block
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
        )
        before = cursor.fetchone()[0]
        try:
            yield cursor
        finally:
            if nested:
                cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def _pg_ranked(query: Query, facets: str, offset: int, limit: int) -> tuple[int, Rows]:
    """PostgreSQL. The pages are counted up to `MAX_RESULTS` (one more says "more").

    Up to `RANK_ALL` pages found: all ranked, the pages whose title holds every word first,
    then those whose title, summary or tags hold them, each by ts_rank of the whole page.
    Beyond (a common word: ranking tens of thousands of texts would take seconds), the same
    three tiers, each by title, fetched one after the other only as far as the page of
    results needs, each through an index."""
    words_ = query.tsquery()
    in_title = query.tsquery("A")
    if facets:
        words_, in_title = f"({words_}) & {facets}", f"({in_title}) & {facets}"
    need = offset + limit
    with _pg_cursor() as cursor:
        # Counted in the heads first (smaller): every page whose head holds the words is
        # found, so when they are more than MAX_RESULTS the documents need not be counted.
        count = 0
        for column in ("head", "document"):
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {PG_TABLE} "
                f"WHERE {column} @@ %s::tsquery LIMIT %s) AS found",
                [words_, MAX_RESULTS + 1],
            )
            count = cursor.fetchone()[0]
            if count > MAX_RESULTS:
                break
        if not count or offset >= min(count, MAX_RESULTS):
            return count, []
        limit = min(limit, MAX_RESULTS - offset)
        need = offset + limit
        if count <= RANK_ALL:
            cursor.execute(
                f"SELECT page_id, head @@ %s::tsquery AS in_title, "
                "head @@ %s::tsquery AS in_head, ts_rank(%s, document, %s::tsquery, 1) AS rank "
                f"FROM {PG_TABLE} WHERE document @@ %s::tsquery "
                "ORDER BY in_title DESC, in_head DESC, rank DESC, title, page_id "
                "LIMIT %s OFFSET %s",
                [in_title, words_, WEIGHTS, query.tsquery(), words_, limit, offset],
            )
            return count, [(row[0], row[1]) for row in cursor.fetchall()]
        # Tiers 1 and 2 from the heads (small, kept in the rows), one after the other.
        rows: Rows = [
            (pk, True) for pk in _pg_by_title(cursor, "head @@ %s::tsquery", [in_title], need)
        ]
        if len(rows) < need:
            rows += [
                (pk, False)
                for pk in _pg_by_title(
                    cursor,
                    "head @@ %s::tsquery AND NOT head @@ %s::tsquery",
                    [words_, in_title],
                    need - len(rows),
                )
            ]
        if len(rows) < need:
            # Tier 3, the pages whose text alone holds the words: many (more than RANK_ALL
            # pages were found), so the planner walks the titles or sorts, as it sees fit.
            cursor.execute(
                f"SELECT page_id FROM {PG_TABLE} WHERE NOT head @@ %s::tsquery "
                "AND document @@ %s::tsquery ORDER BY title, page_id LIMIT %s",
                [words_, words_, need - len(rows)],
            )
            rows += [(row[0], False) for row in cursor.fetchall()]
        return count, rows[offset:need]


TITLE_WALK = 4000
"""How many titles, in order, are looked through for the first pages of a tier before its
pages are all fetched and sorted instead (see `_pg_by_title`)."""


def _pg_by_title(cursor: Any, condition: str, params: list[Any], need: int) -> list[int]:
    """The first `need` pages (ids) whose search entry meets `condition` (on `head`), by title.

    When many pages meet it, the first ones come soon in title order: the first
    `TITLE_WALK` titles are looked through. When that does not find enough, they are few:
    all of them are fetched through the GIN index, then sorted (materialised, so that the
    planner does not walk every title instead)."""
    if need <= TITLE_WALK // 20:
        cursor.execute(
            f"SELECT page_id FROM (SELECT page_id, title, head FROM {PG_TABLE} "
            f"ORDER BY title, page_id LIMIT %s) AS walked WHERE {condition} "
            "ORDER BY title, page_id LIMIT %s",
            [TITLE_WALK, *params, need],
        )
        found = [row[0] for row in cursor.fetchall()]
        if len(found) == need:
            return found
    cursor.execute(
        f"WITH found AS MATERIALIZED (SELECT page_id, title FROM {PG_TABLE} WHERE {condition}) "
        "SELECT page_id FROM found ORDER BY title, page_id LIMIT %s",
        [*params, need],
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_listed(facets: str, offset: int, limit: int) -> tuple[int, Rows]:
    """PostgreSQL, without words: the pages that pass the filters, by title."""
    where, params = ("WHERE head @@ %s::tsquery", [facets]) if facets else ("", [])
    with _pg_cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {PG_TABLE} {where}", params)
        count = cursor.fetchone()[0]
        if not count or offset >= count:
            return count, []
        cursor.execute(
            f"SELECT page_id FROM {PG_TABLE} {where} ORDER BY title, page_id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return count, [(row[0], False) for row in cursor.fetchall()]


def _sqlite_filters(filters: Filters) -> tuple[str, list[Any]]:
    """SQLite: the filters as conditions on the page `p`."""
    where: list[str] = []
    params: list[Any] = []
    if filters.kind:
        where.append("p.kind = %s")
        params.append(filters.kind)
    if filters.licence:
        where.append("p.licence = %s")
        params.append(filters.licence)
    if filters.place:
        where.append(f"p.place_id = (SELECT id FROM {Place._meta.db_table} WHERE slug = %s)")
        params.append(filters.place)
    if filters.network:
        places = Network.places.through._meta.db_table
        networks = Network._meta.db_table
        where.append(
            f"(p.network_id = (SELECT id FROM {networks} WHERE slug = %s) "
            f"OR p.place_id IN (SELECT np.place_id FROM {places} np "
            f"JOIN {networks} n ON n.id = np.network_id WHERE n.slug = %s))"
        )
        params += [filters.network, filters.network]
    if filters.tag:
        through = Page.tags.through._meta.db_table
        where.append(
            f"EXISTS (SELECT 1 FROM {through} pt JOIN {Tag._meta.db_table} t "
            "ON t.id = pt.tag_id WHERE pt.page_id = p.id AND t.slug = %s)"
        )
        params.append(filters.tag)
    return "".join(f" AND {condition}" for condition in where), params


def _sqlite_ranked(query: Query, filters: Filters, offset: int, limit: int) -> tuple[int, Rows]:
    """SQLite. The pages are counted up to `MAX_RESULTS` (one more says "more").

    Up to `RANK_ALL` pages found: the pages whose title holds every word first, then those
    whose title, summary or tags hold them, then the others; each ranked by FTS5's bm25
    (title 10, summary 4, tags 4, text 1). Beyond (a common word: bm25 of tens of thousands
    of texts takes a third of a second), the same three tiers, each by title, as on
    PostgreSQL (`_pg_ranked`)."""
    extra, params = _sqlite_filters(filters)
    # CROSS JOIN: SQLite goes through the full-text matches first, then checks the filters on
    # each page (left to itself, it may go through the pages of a kind and ask the full-text
    # index about each one, which takes seconds).
    base = (
        f"FROM {FTS_TABLE} CROSS JOIN commons_page p ON p.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH %s{extra}"
    )
    base_params = [query.fts(), *params]
    matching = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    in_title = f"{FTS_TABLE}.rowid IN ({matching})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 {base} LIMIT %s)",
            [*base_params, MAX_RESULTS + 1],
        )
        count = cursor.fetchone()[0]
        if not count or offset >= min(count, MAX_RESULTS):
            return count, []
        limit = min(limit, MAX_RESULTS - offset)
        need = offset + limit
        head = query.fts("{title summary tags}")
        if count <= RANK_ALL:
            cursor.execute(
                f"SELECT p.id, {in_title} AS in_title, {in_title} AS in_head, "
                f"bm25({FTS_TABLE}, 10.0, 4.0, 4.0, 1.0) AS rank {base} "
                "ORDER BY in_title DESC, in_head DESC, rank, p.title, p.id LIMIT %s OFFSET %s",
                [query.fts("title"), head, *base_params, limit, offset],
            )
            return count, [(row[0], bool(row[1])) for row in cursor.fetchall()]
        # Tiers 1 and 2: the matches in the titles, summaries and tags (few), sorted.
        cursor.execute(
            f"SELECT p.id, {in_title} AS in_title FROM {FTS_TABLE} CROSS JOIN commons_page p "
            f"ON p.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s{extra} "
            "ORDER BY in_title DESC, p.title, p.id LIMIT %s",
            [query.fts("title"), head, *params, need],
        )
        rows: Rows = [(row[0], bool(row[1])) for row in cursor.fetchall()]
        if len(rows) < need:
            # Tier 3: the pages whose text alone holds the words, walked by title (many were
            # found, so the first ones come soon).
            cursor.execute(
                f"SELECT p.id FROM commons_page p INDEXED BY page_title "
                f"WHERE p.id IN ({matching}) AND p.id NOT IN ({matching}){extra} "
                "ORDER BY p.title, p.id LIMIT %s",
                [query.fts(), head, *params, need - len(rows)],
            )
            rows += [(row[0], False) for row in cursor.fetchall()]
        return count, rows[offset:need]


def _sqlite_listed(filters: Filters, offset: int, limit: int) -> tuple[int, Rows]:
    """SQLite, without words: the pages that pass the filters, by title."""
    extra, params = _sqlite_filters(filters)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM commons_page p WHERE 1 = 1{extra}",
            params,
        )
        count = cursor.fetchone()[0]
        if not count or offset >= count:
            return count, []
        cursor.execute(
            f"SELECT p.id FROM commons_page p WHERE 1 = 1{extra} "
            "ORDER BY p.title, p.id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return count, [(row[0], False) for row in cursor.fetchall()]


def search(
    query: str, *, kind: str | None = None, tag: str | None = None, place: str | None = None,
    network: str | None = None, licence: str | None = None, offset: int = 0, limit: int = 20,
) -> tuple[int, list[Hit]]:  # fmt: skip
    """(number of pages found, the hits from `offset`, at most `limit`).

    A search with words counts up to `MAX_RESULTS` pages: a larger number means "more than
    that", and no hit lies beyond.

    With words: the pages holding every one of them (stemmed; the last one as a prefix while
    it is being typed), the pages whose title holds them all first, then by rank. Without
    words (an empty query): the pages that pass the filters, by title. A query with nothing to
    search for (only stop words or punctuation) finds nothing. Filters are slugs (`tag`,
    `place`, `network`: the network's own pages and those of its places) or codes (`kind`,
    `licence`)."""
    text = (query or "").replace("\x00", "")[:MAX_QUERY_CHARS]
    offset = max(0, int(offset))
    limit = max(1, min(int(limit), 100))
    filters = Filters(
        *((value or "").replace("\x00", "")[:200] for value in (kind, tag, place, network, licence))
    )
    parsed = Query.parse(text)
    if not parsed and (query or "").strip():
        return 0, []  # only stop words or punctuation: nothing to look for
    if connection.vendor == "postgresql":
        facets = _pg_facets(filters)
        if facets is None:
            return 0, []
        if parsed:
            count, rows = _pg_ranked(parsed, facets, offset, limit)
        else:
            count, rows = _pg_listed(facets, offset, limit)
    elif parsed:
        count, rows = _sqlite_ranked(parsed, filters, offset, limit)
    else:
        count, rows = _sqlite_listed(filters, offset, limit)
    pages = (
        Page.objects.select_related("place", "network")
        .prefetch_related("tags")
        .only(
            "title",
            "slug",
            "summary",
            "kind",
            "licence",
            "body",
            "updated_at",
            "revision_number",
            "place__slug",
            "place__name",
            "network__slug",
            "network__name",
        )
        .in_bulk([pk for pk, _t in rows])
    )
    hits = []
    for pk, in_title in rows:
        page = pages.get(pk)
        if page is None:  # deleted meanwhile
            continue
        snippet, plain = make_snippet(page, parsed)
        hits.append(Hit(page, snippet, plain, in_title))
    return count, hits


# --- snippets ----------------------------------------------------------------------------------


def _best_window(marks: list[int], terms: list[str], size: int) -> tuple[int, int]:
    """The first and last match of the window of `size` (words, or characters) holding the
    most distinct query terms (then the most matches); `marks` are the positions of the
    matches, in order, `terms` the term each one matched."""
    best, best_score = (marks[0], marks[0]), (0, 0)
    seen: Counter[str] = Counter()
    right = 0
    for left in range(len(marks)):
        while right < len(marks) and marks[right] < marks[left] + size:
            seen[terms[right]] += 1
            right += 1
        score = (len(seen), right - left)
        if score > best_score:
            best, best_score = (marks[left], marks[right - 1]), score
        seen[terms[left]] -= 1
        if not seen[terms[left]]:
            del seen[terms[left]]
    return best


def _passage(text: str, query: Query, *, require_match: bool) -> tuple[str, str] | None:
    """(HTML, plain) of the best window of `text`; None when `require_match` and no word of
    the query is in it."""
    text = unicodedata.normalize("NFC", text[:SNIPPET_SCAN])
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not spans:
        return None
    marks: list[int] = []
    matched: list[str] = []
    if query:
        for position, (start, end) in enumerate(spans):
            for word_stem in _word_stems(text[start:end]):
                if query.matches(word_stem):
                    marks.append(position)
                    matched.append(word_stem)
                    break
    if require_match and not marks:
        return None
    first = 0
    if marks:
        # A few words before the first match, as long as the last one still fits.
        start, end = _best_window(marks, matched, SNIPPET_WORDS)
        first = max(0, end - SNIPPET_WORDS + 1, start - 3)
    last = min(len(spans), first + SNIPPET_WORDS) - 1
    begin = 0 if first == 0 else spans[first][0]
    finish = len(text) if last == len(spans) - 1 else spans[last][1]
    marked = set(marks)
    pieces: list[str] = []
    cursor = begin
    for position in range(first, last + 1):
        start, end = spans[position]
        if position in marked:
            pieces.append(escape(text[cursor:start]))
            pieces.append("<mark>" + escape(text[start:end]) + "</mark>")
            cursor = end
    pieces.append(escape(text[cursor:finish]))
    before = "… " if begin > 0 else ""
    after = " …" if finish < len(text) else ""
    plain = text[begin:finish].strip()
    return before + "".join(pieces).strip() + after, before + plain + after


def _variants() -> dict[str, str]:
    """For each letter, the letters that fold to it ("e": "eéèêëEÉÈÊË")."""
    found: dict[str, set[str]] = {}
    for code in [*range(0x41, 0x5B), *range(0x61, 0x7B), *range(0xC0, 0x250)]:
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isalpha():
            found.setdefault(folded, set()).add(char)
    return {letter: "".join(sorted(chars)) for letter, chars in found.items()}


_VARIANTS = _variants()
_LIGATURES = {"oe": "œŒ", "ae": "æÆ", "ss": "ß"}


def _letters(stem: str) -> str:
    """A regular expression of the letters of a folded stem as they may be written."""
    pattern = []
    i = 0
    while i < len(stem):
        pair = stem[i : i + 2]
        if pair in _LIGATURES:
            pattern.append(f"(?:{_letters_plain(pair)}|[{_LIGATURES[pair]}])")
            i += 2
            continue
        pattern.append(_letters_plain(stem[i]))
        i += 1
    return "".join(pattern)


def _letters_plain(text: str) -> str:
    return "".join(
        f"[{re.escape(_VARIANTS[char])}]" if char in _VARIANTS else re.escape(char) for char in text
    )


@lru_cache(maxsize=256)
def _candidates(query: Query) -> re.Pattern[str]:
    """Words that may hold a term of the query: those starting like one of its stems (the
    stemmer may change a word's last letters: "locaux" is "local"). Checked word by word
    after; this only spares stemming every word of a page."""
    starts = sorted({term[: max(MIN_PREFIX, len(term) - 2)] for term in query.terms}, key=len)
    alternatives = "|".join(_letters(start) for start in reversed(starts))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


_LINE_AROUND = 300
"""Characters of Markdown kept around the matches (to whole lines) for the snippet."""


def _around(markdown: str, query: Query) -> tuple[str, bool, bool] | None:
    """The Markdown lines around the best cluster of matches of the query: (text, cut
    before, cut after); None when no word of the query is there."""
    positions: list[int] = []
    matched: list[str] = []
    for match in _candidates(query).finditer(markdown):
        for word_stem in _word_stems(match.group()):
            if query.matches(word_stem):
                positions.append(match.start())
                matched.append(word_stem)
                break
        if len(positions) >= 500:
            break
    if not positions:
        return None
    first, last = _best_window(positions, matched, _LINE_AROUND)
    start = markdown.rfind("\n", max(0, first - _LINE_AROUND), first) + 1
    if start == 0 and first > _LINE_AROUND:
        start = first - _LINE_AROUND
    end = markdown.find("\n", last, last + _LINE_AROUND)
    if end == -1:
        end = min(len(markdown), last + _LINE_AROUND)
    return markdown[start:end], start > 0, end < len(markdown)


def make_snippet(page: Page, query: Query) -> tuple[SafeString, str]:
    """(HTML, plain text) of the passage of the page's text with the most words of the query:
    its text first, then its summary, else the beginning of its summary (or its text)."""
    found = None
    if query:
        # The beginning first: a page that holds the words there is not read further.
        around = None
        for scan in (SNIPPET_FIRST, SNIPPET_SCAN):
            around = _around(unicodedata.normalize("NFC", page.body[:scan]), query)
            if around is not None or len(page.body) <= scan:
                break
        if around is not None:
            text, cut_before, cut_after = around
            found = _passage(plain_text(text), query, require_match=True)
            if found is not None:
                found = _cut(found, cut_before, cut_after)
        if found is None:
            found = _passage(page.summary, query, require_match=True)
    if found is None:
        start = page.summary or plain_text(page.body[:2000])
        found = _passage(start, query, require_match=False)
    if found is None:
        return mark_safe(""), ""
    snippet, plain = found
    return mark_safe(snippet), plain  # noqa: S308 (every piece of text escaped above)


def _cut(found: tuple[str, str], before: bool, after: bool) -> tuple[str, str]:
    """The ellipses of a passage taken from the middle of a longer text."""
    html_, plain = found
    if before and not html_.startswith("… "):
        html_, plain = "… " + html_, "… " + plain
    if after and not html_.endswith(" …"):
        html_, plain = html_ + " …", plain + " …"
    return html_, plain
