"""Differences between two revisions, shown inline: deleted words struck through (`<del>`),
inserted ones underlined (`<ins>`), one column, readable on a phone.

The texts are compared line by line first; only the blocks of lines that changed are then
compared word by word, so that two long revisions that differ in a few places cost little.
Unchanged lines far from any change are folded into "…N unchanged lines…".

Everything here is plain text: the template escapes it (nothing is ever marked safe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, Literal

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from tiers.commons.models import Revision

CONTEXT = 2
"""Unchanged lines kept around each change."""

WORD_BLOCK = 1_500
"""At most this many words on each side of a block compared word by word. A larger changed
block is first cut into sentences, and only the sentences that changed are compared word by
word."""

WORD_BUDGET = 6_000_000
"""How much word-by-word comparing one diff may do (the sum of old words times new words over
its blocks). Beyond it, what remains is shown as whole lines or sentences struck out and
inserted: a page rewritten from top to bottom costs little and shows nothing less useful."""

# a word with the spaces after it; a punctuation sign with the spaces after it; the spaces
# at the start of a line; a line break
TOKEN = re.compile(r"\n|[^\S\n]+|\w+[^\S\n]*|[^\w\s][^\S\n]*")
WORD = re.compile(r"\w")
SENTENCE_END = re.compile(r"[.!?;:]\s*$|\n")

PieceKind = Literal["same", "del", "ins"]
RowKind = Literal["same", "change", "del", "ins", "skip"]


@dataclass
class Piece:
    kind: PieceKind
    text: str


@dataclass
class Row:
    """One line of the inline diff, or a fold of unchanged lines (`kind == "skip"`)."""

    kind: RowKind
    pieces: list[Piece] = field(default_factory=list)
    old_number: int | None = None
    new_number: int | None = None
    skipped: int = 0

    @property
    def number(self) -> int | None:
        """The line's number in the new text (in the old one for a deleted line)."""
        return self.new_number if self.new_number is not None else self.old_number


@dataclass
class Diff:
    rows: list[Row]
    words_added: int = 0
    words_removed: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    only_spaces: bool = False
    """The texts differ only by spaces inside lines (nothing to show)."""

    @property
    def changed(self) -> bool:
        return any(row.kind not in ("same", "skip") for row in self.rows)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _is_word(token: str) -> bool:
    return WORD.search(token) is not None


def _keys(words: list[str]) -> list[str]:
    return [word if word == "\n" else (word.rstrip() or " ") for word in words]


def _sentences(words: list[str]) -> list[str]:
    """Tokens grouped into sentences (a sentence ends at . ! ? ; : or a line break)."""
    chunks: list[str] = []
    current: list[str] = []
    for token in words:
        current.append(token)
        if SENTENCE_END.search(token):
            chunks.append("".join(current))
            current = []
    if current:
        chunks.append("".join(current))
    return chunks


class _Stream:
    """The merged sequence of unchanged, deleted and inserted tokens, line breaks included."""

    def __init__(self) -> None:
        self.pieces: list[tuple[PieceKind, str]] = []
        self.words_added = 0
        self.words_removed = 0
        self.budget = WORD_BUDGET

    def emit(self, kind: PieceKind, parts: list[str]) -> None:
        for part in parts:
            self.pieces.append((kind, part))
        if kind == "del":
            self.words_removed += sum(1 for part in parts if _is_word(part))
        elif kind == "ins":
            self.words_added += sum(1 for part in parts if _is_word(part))

    def changed(self, old: list[str], new: list[str]) -> None:
        """Two runs of tokens that differ: compare them word by word while it is cheap,
        sentence by sentence when it is not."""
        # what both runs start and end with costs nothing to find
        start = 0
        while start < len(old) and start < len(new) and old[start] == new[start]:
            start += 1
        end = 0
        while end < len(old) - start and end < len(new) - start and old[-1 - end] == new[-1 - end]:
            end += 1
        self.emit("same", old[:start])
        old_middle, new_middle = old[start : len(old) - end], new[start : len(new) - end]
        self._middle(old_middle, new_middle)
        self.emit("same", old[len(old) - end :])

    def _middle(self, old: list[str], new: list[str]) -> None:
        if not old or not new:
            self.emit("del", old)
            self.emit("ins", new)
            return
        cost = len(old) * len(new)
        if max(len(old), len(new)) <= WORD_BLOCK and cost <= self.budget:
            self.budget -= cost
            self._words(old, new)
            return
        old_sentences, new_sentences = _sentences(old), _sentences(new)
        if len(old_sentences) == 1 and len(new_sentences) == 1:
            self.emit("del", old)
            self.emit("ins", new)
            return
        matcher = SequenceMatcher(None, old_sentences, new_sentences, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            before = tokens("".join(old_sentences[i1:i2]))
            after = tokens("".join(new_sentences[j1:j2]))
            if tag == "equal":
                self.emit("same", before)
            elif tag == "replace":
                small = max(len(before), len(after)) <= WORD_BLOCK
                if small and len(before) * len(after) <= self.budget:
                    self.budget -= len(before) * len(after)
                    self._words(before, after)
                else:
                    self.emit("del", before)
                    self.emit("ins", after)
            else:
                self.emit("del", before)
                self.emit("ins", after)

    def _words(self, old: list[str], new: list[str]) -> None:
        # words are compared without the spaces after them: "deux" at the end of a line
        # and "deux " inside one are the same word
        matcher = SequenceMatcher(None, _keys(old), _keys(new), autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                self.emit("same", new[j1:j2])
            else:
                self.emit("del", old[i1:i2])
                self.emit("ins", new[j1:j2])


def _rows(pieces: list[tuple[PieceKind, str]]) -> list[Row]:
    """Cut the merged tokens into lines at the new text's line breaks. A deleted line break
    ends a line made only of deleted words (a removed line); inside a line that stays, it
    shows as a struck-out "¶". An inserted line break inside a line shows as an inserted
    "¶" at its end."""
    rows: list[Row] = []
    old_line = new_line = 1
    row = Row("change", [], old_line, new_line)

    def add(kind: PieceKind, text: str) -> None:
        if row.pieces and row.pieces[-1].kind == kind:
            row.pieces[-1].text += text
        else:
            row.pieces.append(Piece(kind, text))

    for kind, text in pieces:
        if text != "\n":
            add(kind, text)
            continue
        if kind == "del":
            old_line += 1
            if row.pieces and any(piece.kind != "del" for piece in row.pieces):
                add("del", "¶")
                continue
            if not row.pieces:
                row.pieces.append(Piece("del", ""))
        elif kind == "ins":
            new_line += 1
            if not row.pieces:
                row.pieces.append(Piece("ins", ""))
            elif any(piece.kind != "ins" for piece in row.pieces):
                add("ins", "¶")
        else:
            old_line += 1
            new_line += 1
        rows.append(row)
        row = Row("change", [], old_line, new_line)
    if row.pieces:
        rows.append(row)
    for row in rows:
        kinds = {piece.kind for piece in row.pieces}
        if kinds <= {"same"}:
            row.kind = "same"
        elif kinds == {"del"}:
            row.kind, row.new_number = "del", None
        elif kinds == {"ins"}:
            row.kind, row.old_number = "ins", None
        # an empty line removed or added shows as such, without an empty piece
        row.pieces = [piece for piece in row.pieces if piece.text]
    return rows


def _fold(rows: list[Row], context: int) -> list[Row]:
    """Keep `context` unchanged lines around each change; fold the others."""
    changed = [i for i, row in enumerate(rows) if row.kind != "same"]
    if not changed:
        return []
    keep = [False] * len(rows)
    for i in changed:
        for k in range(max(0, i - context), min(len(rows), i + context + 1)):
            keep[k] = True
    folded: list[Row] = []
    run = 0
    for i, row in enumerate(rows):
        if keep[i]:
            if run:
                folded.append(Row("skip", skipped=run))
                run = 0
            folded.append(row)
        else:
            run += 1
    if run:
        folded.append(Row("skip", skipped=run))
    return folded


def _lines(text: str) -> list[str]:
    if not text:
        return []
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def word_diff(old: str, new: str, *, context: int = CONTEXT) -> Diff:
    """The inline diff of two texts, with the number of words and lines added and removed.
    Line numbers start at 1; `rows` is empty when the texts are the same."""
    old = old or ""
    new = new or ""
    if old == new:
        return Diff(rows=[])
    old_lines, new_lines = _lines(old), _lines(new)
    stream = _Stream()
    lines_added = lines_removed = 0
    # Lines repeat (blank lines, list markers): no "popular line" heuristic, which would
    # leave blank lines unmatched between unchanged paragraphs.
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            # unchanged lines are not cut into words: they are only shown
            stream.emit("same", [part for line in old_lines[i1:i2] for part in (line, "\n")])
            continue
        before = [part for line in old_lines[i1:i2] for part in (*tokens(line), "\n")]
        after = [part for line in new_lines[j1:j2] for part in (*tokens(line), "\n")]
        lines_removed += i2 - i1
        lines_added += j2 - j1
        if tag == "replace":
            stream.changed(before, after)
        else:
            stream.emit("del", before)
            stream.emit("ins", after)
    rows = _fold(_rows(stream.pieces), context)
    return Diff(
        rows=rows,
        only_spaces=not rows,
        words_added=stream.words_added,
        words_removed=stream.words_removed,
        lines_added=lines_added,
        lines_removed=lines_removed,
    )


# The other fields of a revision --------------------------------------------------------------


@dataclass
class FieldChange:
    """A field other than the text that differs between two revisions (as display text)."""

    name: str
    label: Promise | str
    old: str
    new: str
    diff: Diff | None = None
    """For long fields (the facts that are lists), an inline diff of their lines."""


def _tags(value: Any) -> str:
    return ", ".join(str(tag) for tag in value or [])


def _fact_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def field_changes(old: Revision, new: Revision) -> list[FieldChange]:
    """What changed besides the text: title, summary, kind, licence, tags and facts."""
    from tiers.commons.facts import FACTS, Kind
    from tiers.commons.licences import Licence

    def label_of(choices: Any, value: str) -> str:
        try:
            return str(choices(value).label)
        except ValueError:
            return value

    changes: list[FieldChange] = []
    if old.title != new.title:
        changes.append(FieldChange("title", _("Title"), old.title, new.title))
    if old.summary != new.summary:
        changes.append(FieldChange("summary", _("Summary"), old.summary, new.summary))
    if old.kind != new.kind:
        changes.append(
            FieldChange("kind", _("Kind"), label_of(Kind, old.kind), label_of(Kind, new.kind))
        )
    if old.licence != new.licence:
        changes.append(
            FieldChange(
                "licence",
                _("Licence"),
                label_of(Licence, old.licence),
                label_of(Licence, new.licence),
            )
        )
    if sorted(old.tags or []) != sorted(new.tags or []):
        changes.append(FieldChange("tags", _("Tags"), _tags(old.tags), _tags(new.tags)))
    old_facts, new_facts = old.facts or {}, new.facts or {}
    labels = {fact.name: fact.label for facts in FACTS.values() for fact in facts}
    names = list(dict.fromkeys([*old_facts, *new_facts]))
    for name in names:
        before, after = old_facts.get(name), new_facts.get(name)
        if before == after:
            continue
        before_text, after_text = _fact_text(before), _fact_text(after)
        long = "\n" in before_text or "\n" in after_text or isinstance(after, list)
        changes.append(
            FieldChange(
                f"facts.{name}",
                labels.get(name, name),
                before_text,
                after_text,
                diff=word_diff(before_text, after_text, context=100) if long else None,
            )
        )
    return changes
