"""The three-way merge behind the edit-conflict view: changes on different lines are both
kept; the same lines changed differently are kept between clear markers."""

from __future__ import annotations

from tiers.commons.merge import has_markers, merge

BASE = "# Recette\n\nIntro.\n\n- sucre\n- farine\n\nFin."


def test_identical_sides_or_one_side_unchanged_take_the_change():
    mine = BASE.replace("Intro.", "Introduction.")
    assert merge(BASE, mine, BASE) == (mine, False)
    assert merge(BASE, BASE, mine) == (mine, False)
    assert merge(BASE, mine, mine) == (mine, False)


def test_changes_on_different_lines_are_both_kept():
    mine = BASE.replace("Intro.", "Introduction.")
    theirs = BASE.replace("Fin.", "Fin de la recette.")

    merged, conflicts = merge(BASE, mine, theirs)

    assert not conflicts
    assert merged == "# Recette\n\nIntroduction.\n\n- sucre\n- farine\n\nFin de la recette."


def test_insertions_in_different_places_are_both_kept():
    mine = BASE.replace("- farine", "- farine\n- oeufs")
    theirs = "Avant-propos.\n\n" + BASE

    merged, conflicts = merge(BASE, mine, theirs)

    assert not conflicts
    assert merged.startswith("Avant-propos.\n\n# Recette")
    assert "- farine\n- oeufs\n\nFin." in merged


def test_the_same_lines_changed_differently_conflict_with_markers():
    mine = BASE.replace("- sucre", "- sucre roux")
    theirs = BASE.replace("- sucre", "- miel")

    merged, conflicts = merge(BASE, mine, theirs, mine_label="yours", theirs_label="current")

    assert conflicts
    assert "- sucre roux" not in merged.split("=======")[1], (
        "each side stays on its own side of the separator"
    )
    assert "<<<<<<< yours\n- sucre roux\n=======\n- miel\n>>>>>>> current\n- farine" in merged
    # what both left alone is there once
    assert merged.count("# Recette") == 1
    assert merged.endswith("Fin.")
    assert has_markers(merged)


def test_the_same_change_on_both_sides_is_not_a_conflict():
    mine = BASE.replace("- sucre", "- miel")
    theirs = BASE.replace("- sucre", "- miel").replace("Fin.", "Bon appétit.")

    merged, conflicts = merge(BASE, mine, theirs)

    assert not conflicts
    assert merged == theirs


def test_two_different_insertions_at_the_same_place_conflict():
    mine = BASE.replace("- farine", "- farine\n- beurre")
    theirs = BASE.replace("- farine", "- farine\n- lait")

    merged, conflicts = merge(BASE, mine, theirs)

    assert conflicts
    assert "<<<<<<< mine\n- beurre\n=======\n- lait\n>>>>>>> theirs" in merged


def test_a_deletion_against_a_change_conflicts():
    mine = BASE.replace("Intro.\n\n", "")
    theirs = BASE.replace("Intro.", "Une introduction.")

    merged, conflicts = merge(BASE, mine, theirs)

    assert conflicts
    assert "Une introduction." in merged


def test_an_insertion_inside_a_changed_block_conflicts():
    base = "a\nb\nc\nd"
    mine = "a\nB\nC\nd"  # rewrites b and c
    theirs = "a\nb\nnew\nc\nd"  # inserts between b and c

    merged, conflicts = merge(base, mine, theirs)

    assert conflicts
    assert merged.startswith("a\n<<<<<<<")
    assert merged.endswith(">>>>>>> theirs\nd")


def test_windows_line_ends_and_empty_base():
    merged, conflicts = merge("a\r\nb", "a\r\nB", "A\nb")
    assert (merged, conflicts) == ("A\nB", False)
    merged, conflicts = merge("", "mine", "theirs")
    assert conflicts
    assert merged == "<<<<<<< mine\nmine\n=======\ntheirs\n>>>>>>> theirs"


def test_has_markers_needs_the_three_kinds():
    assert not has_markers("<<<<<<< x\nonly the start")
    assert not has_markers("======= is a heading underline")
    assert has_markers("<<<<<<< a\nx\n=======\ny\n>>>>>>> b")
