"""The inline word diff: correct pieces, folded context, counts, escaping, bounded work.

How fast a diff of two 50 KB revisions is gets measured by `bench/commons_run.py`; here the
tests check that the comparing work stays bounded whatever the texts."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from tiers.commons import diffs
from tiers.commons.diffs import word_diff


def render(diff: diffs.Diff) -> str:
    with translation.override("en"):
        return render_to_string("commons/_diff.html", {"diff": diff})


def pieces(diff: diffs.Diff) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(row.kind, [(p.kind, p.text) for p in row.pieces]) for row in diff.rows]


def test_a_changed_word_is_deleted_and_inserted_inside_its_line() -> None:
    diff = word_diff("le chat dort\nsur le tapis", "le chien dort\nsur le tapis")
    assert pieces(diff)[0] == (
        "change",
        [("same", "le "), ("del", "chat "), ("ins", "chien "), ("same", "dort")],
    )
    assert pieces(diff)[1] == ("same", [("same", "sur le tapis")])
    assert (diff.words_added, diff.words_removed) == (1, 1)
    assert diff.changed


def test_whole_lines_added_and_removed_carry_their_line_numbers() -> None:
    old = "\n".join("abcdefgh")
    new = "\n".join("abcXdfgh")  # X inserted after c, e removed
    diff = word_diff(old, new)
    kinds = [(row.kind, row.old_number, row.new_number) for row in diff.rows]
    assert ("ins", None, 4) in kinds
    assert ("del", 5, None) in kinds
    assert diff.lines_added == 1 and diff.lines_removed == 1


def test_unchanged_lines_far_from_changes_are_folded() -> None:
    old = "\n".join(f"ligne {i}" for i in range(1, 101))
    new = old.replace("ligne 50", "ligne cinquante")
    diff = word_diff(old, new)
    skips = [row.skipped for row in diff.rows if row.kind == "skip"]
    assert skips == [47, 48]  # 2 lines of context each side of line 50
    shown = [row.number for row in diff.rows if row.kind != "skip"]
    assert shown == [48, 49, 50, 51, 52]


def test_the_same_texts_give_nothing_and_spaces_only_are_told() -> None:
    assert word_diff("a b", "a b").rows == []
    assert not word_diff("a b", "a b").only_spaces
    spaces = word_diff("un  deux", "un deux")
    assert spaces.rows == [] and spaces.only_spaces


def test_joined_and_split_lines_show_the_line_break() -> None:
    joined = word_diff("un deux\ntrois quatre", "un deux trois quatre")
    assert pieces(joined) == [
        ("change", [("same", "un deux "), ("del", "¶"), ("same", "trois quatre")])
    ]
    split = word_diff("un deux trois quatre", "un deux\ntrois quatre")
    assert split.changed
    assert ("ins", "¶") in pieces(split)[0][1]


def test_empty_old_or_new_text() -> None:
    assert pieces(word_diff("", "bonjour")) == [("ins", [("ins", "bonjour")])]
    assert pieces(word_diff("bonjour", "")) == [("del", [("del", "bonjour")])]


def test_field_changes_lists_metadata(make_page, member_a) -> None:
    from tests.commons.conftest import edit

    page = make_page("Recette", "Texte", kind="recette", facts={"steps": ["Un", "Deux"]})
    edit(
        member_a, page, title="Recette du pain", summary="Du pain", licence="cc-by-4.0",
        tags=["pain"], facts={"steps": ["Un", "Trois"], "duration": "2 h"},
    )  # fmt: skip
    old, new = page.revisions.get(number=1), page.revisions.get(number=2)
    changes = {change.name: change for change in diffs.field_changes(old, new)}
    assert changes["title"].old == "Recette" and changes["title"].new == "Recette du pain"
    assert changes["summary"].new == "Du pain"
    assert changes["licence"].old == "CC BY-SA 4.0" and changes["licence"].new == "CC BY 4.0"
    assert changes["tags"].new == "pain"
    assert changes["facts.duration"].new == "2 h"
    steps = changes["facts.steps"].diff
    assert steps is not None and steps.words_added == 1 and steps.words_removed == 1
    assert "kind" not in changes


def test_the_template_escapes_the_diffed_text() -> None:
    diff = word_diff(
        "<p>Bonjour</p>\n<script>alert('a')</script>",
        "<p>Bonjour</p>\n<script>alert('b')</script><img src=x onerror=alert(1)>",
    )
    html = render(diff)
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)" in html
    assert "<del>" in html and "<ins>" in html
    # a removed and an added word are told without colour: struck through and underlined
    # elements, and words for screen readers
    assert "removed:" in html and "added:" in html


def test_the_template_folds_and_counts() -> None:
    old = "\n".join(f"ligne {i}" for i in range(1, 30))
    diff = word_diff(old, old.replace("ligne 15", "ligne quinze"))
    html = render(diff)
    assert "…12 unchanged lines…" in html
    assert "+1 word added" in html and "\u22121 word removed" in html


def _long_text(seed: int, size: int = 50_000) -> str:
    import random

    rng = random.Random(seed)
    words = [
        "le",
        "la",
        "les",
        "de",
        "du",
        "des",
        "un",
        "une",
        "tiers",
        "lieu",
        "café",
        "réparation",
        "atelier",
        "outil",
        "bénévole",
        "habitant",
        "commun",
        "recette",
        "documenter",
        "partager",
        "ouvrir",
        "fermer",
        "lundi",
        "mardi",
        "concierge",
        "jardin",
    ]
    lines: list[str] = []
    total = 0
    while total < size:
        line = rng.choice(
            ["## " + " ".join(rng.choices(words, k=4)), " ".join(rng.choices(words, k=40)), ""]
        )
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


@pytest.mark.parametrize("case", ["scattered", "rewritten", "one line"])
def test_two_50_kb_revisions_cost_bounded_work(case: str, monkeypatch) -> None:
    """Every comparison goes through `SequenceMatcher`, whose cost grows with the product of
    the two sequences' lengths: their sum over a diff stays within the word budget plus the
    line and sentence comparisons, however the 50 KB texts differ."""
    work: list[int] = []

    class CountingMatcher(diffs.SequenceMatcher):  # type: ignore[misc]
        def __init__(self, isjunk, a, b, autojunk=True) -> None:
            work.append(len(a) * len(b))
            super().__init__(isjunk, a, b, autojunk=autojunk)

    monkeypatch.setattr(diffs, "SequenceMatcher", CountingMatcher)
    old = _long_text(1)
    if case == "scattered":
        lines = old.split("\n")
        for i in range(0, len(lines), 40):
            lines[i] = lines[i].replace("atelier", "ATELIER").replace("de ", "")
        new = "\n".join(lines)
    elif case == "rewritten":
        new = _long_text(2)
    else:
        old = old.replace("\n", " ")
        new = old.replace("café", "thé", 40)
    diff = word_diff(old, new)
    assert diff.changed
    if case == "one line":
        inserted = [p.text for row in diff.rows for p in row.pieces if p.kind == "ins"]
        assert "".join(inserted).count("thé") == 40
    lines = (old.count("\n") + 1) * (new.count("\n") + 1)
    sentences = len(diffs._sentences(diffs.tokens(old))) * len(diffs._sentences(diffs.tokens(new)))
    assert sum(work) <= diffs.WORD_BUDGET + lines + sentences, work


def test_a_spent_word_budget_shows_whole_lines(monkeypatch) -> None:
    monkeypatch.setattr(diffs, "WORD_BUDGET", 0)
    diff = word_diff("un deux trois quatre\ncinq", "un six trois sept\ncinq")
    # "trois", common to both, is no longer looked for inside the changed words
    assert pieces(diff)[0] == (
        "change",
        [("same", "un "), ("del", "deux trois quatre"), ("ins", "six trois sept")],
    )
    monkeypatch.undo()
    diff = word_diff("un deux trois quatre\ncinq", "un six trois sept\ncinq")
    assert ("same", "trois ") in pieces(diff)[0][1]
