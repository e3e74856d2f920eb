"""Three-way merge of a page's text, line by line, for the edit-conflict view.

Two people started from the same revision (`base`); one saved (`theirs`, now the current
text), the other one's save was refused (`mine`). Changes that touch different lines are
both kept; where both changed the same lines differently, both versions are kept between
conflict markers for the editor to choose:

    <<<<<<< your version
    what you wrote
    =======
    what is on the page now
    >>>>>>> current version

Changes touching neighbouring lines (one ends where the other starts) are both kept: a wiki
page's paragraphs are edited independently far more often than they depend on each other.
Two insertions at the same place conflict unless they are the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

MARK_MINE = "<<<<<<<"
MARK_SEPARATOR = "======="
MARK_THEIRS = ">>>>>>>"

_MARKERS = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)


@dataclass(frozen=True)
class _Hunk:
    """Lines `start:end` of the base replaced by `lines` on one side."""

    start: int
    end: int
    lines: list[str]
    side: str  # "mine" or "theirs"


def _lines(text: str) -> list[str]:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _hunks(base: list[str], other: list[str], side: str) -> list[_Hunk]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        _Hunk(i1, i2, other[j1:j2], side)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _clash(start: int, end: int, hunk: _Hunk) -> bool:
    """Does `hunk` touch the base lines `start:end` that a change of the other side covers?"""
    if hunk.start == hunk.end and start == end:  # two insertions
        return hunk.start == start
    if hunk.start == hunk.end:  # an insertion inside a changed range
        return start < hunk.start < end
    if start == end:
        return hunk.start < start < hunk.end
    return max(start, hunk.start) < min(end, hunk.end)


def _apply(base: list[str], start: int, end: int, hunks: list[_Hunk]) -> list[str]:
    """Base lines `start:end` with one side's changes applied."""
    result: list[str] = []
    position = start
    for hunk in sorted(hunks, key=lambda h: (h.start, h.end)):
        result.extend(base[position : hunk.start])
        result.extend(hunk.lines)
        position = hunk.end
    result.extend(base[position:end])
    return result


def merge(
    base: str, mine: str, theirs: str, *, mine_label: str = "mine", theirs_label: str = "theirs"
) -> tuple[str, bool]:
    """The merged text and whether it holds conflicts (then marked as in the module doc)."""
    if mine == theirs or theirs == base:
        return mine, False
    if mine == base:
        return theirs, False
    base_lines = _lines(base)
    hunks = sorted(
        _hunks(base_lines, _lines(mine), "mine") + _hunks(base_lines, _lines(theirs), "theirs"),
        key=lambda h: (h.start, h.end, h.side),
    )
    # Group the changes that clash, directly or through another change of the group; a
    # change that starts inside a group's span joins it too (never two groups over one line).
    groups: list[list[_Hunk]] = []
    for hunk in hunks:
        if groups:
            group = groups[-1]
            end = max(h.end for h in group)
            if hunk.start < end or any(
                _clash(h.start, h.end, hunk) for h in group if h.side != hunk.side
            ):
                group.append(hunk)
                continue
        groups.append([hunk])

    out: list[str] = []
    conflicts = False
    position = 0
    for group in groups:
        start = min(h.start for h in group)
        end = max(h.end for h in group)
        out.extend(base_lines[position:start])
        position = end
        sides = {h.side for h in group}
        if len(sides) == 1:
            out.extend(_apply(base_lines, start, end, group))
            continue
        ours = _apply(base_lines, start, end, [h for h in group if h.side == "mine"])
        their = _apply(base_lines, start, end, [h for h in group if h.side == "theirs"])
        if ours == their:
            out.extend(ours)
            continue
        conflicts = True
        out.append(f"{MARK_MINE} {mine_label}")
        out.extend(ours)
        out.append(MARK_SEPARATOR)
        out.extend(their)
        out.append(f"{MARK_THEIRS} {theirs_label}")
    out.extend(base_lines[position:])
    return "\n".join(out), conflicts


def has_markers(text: str) -> bool:
    """Does the text still hold the three kinds of conflict markers?"""
    found = {match.group(1)[0] for match in _MARKERS.finditer(text or "")}
    return found == {"<", "=", ">"}
