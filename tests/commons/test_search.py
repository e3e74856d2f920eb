"""Full-text search of the commons: French stems, accents, ranking, snippets, filters, hostile
queries, and an index that follows every write. Runs on SQLite (FTS5) and, with
DATABASE_URL=postgres://..., on PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from tiers.commons import search, services
from tiers.commons.search import Query, plain_text, stems

from .conftest import edit


def titles(query: str, **filters) -> list[str]:
    _count, hits = search.search(query, **filters)
    return [hit.page.title for hit in hits]


def entries() -> int:
    table = "commons_page_search" if connection.vendor == "postgresql" else "commons_page_fts"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


# --- words -----------------------------------------------------------------------------------


def test_words_are_folded_stemmed_and_stop_words_dropped():
    assert stems("Documenter la documentation") == ["document", "document"]
    assert stems("L'Équipe des équipes") == ["equip", "equip"]
    assert stems("le la les et ou de du") == []
    # plurals meet their singular, even where the stemmer alone keeps them apart
    assert stems("vélos usagers tiers-lieux") == stems("vélo usager tiers-lieu")


def test_plain_text_leaves_out_markup_and_addresses():
    text = plain_text(
        "# Titre\n\n**Gras** et [un lien](https://example.org/x) vers [[Autre page|cette page]]"
        " et [[Fichier:plan.png]], ![une image](a.png) <b>html</b>\n\n| a | b |\n|---|---|\n"
    )
    assert text == "Titre Gras et un lien vers cette page et , une image html a b"


def test_query_parsing():
    assert Query.parse("Documenter l'équipe").terms == ("document", "equip")
    assert Query.parse("documen").prefix  # still typing: a prefix
    assert not Query.parse("documentation ").prefix
    assert not Query.parse("ab").prefix  # too short to be a useful prefix
    assert not Query.parse("vélo de").prefix  # the last word typed is a stop word
    assert not Query.parse("le la les")
    assert len(Query.parse(" ".join(f"mot{i}" for i in range(100))).terms) == search.MAX_TERMS


# --- finding -----------------------------------------------------------------------------------


def test_documenter_finds_documentation(make_page):
    make_page("Documentation du fablab", "Comment nous travaillons.")
    make_page("Recette du pain", "Farine, eau, sel.")
    assert titles("documenter") == ["Documentation du fablab"]


def test_accents_are_ignored_both_ways(make_page):
    make_page("Équipe d'animation", "La vie du lieu.")
    make_page("Cafe reparation", "Reparer ensemble.")
    assert titles("equipe") == ["Équipe d'animation"]
    assert titles("ÉQUIPES") == ["Équipe d'animation"]
    assert titles("café réparation") == ["Cafe reparation"]


def test_every_word_must_be_found(make_page):
    make_page("Atelier vélo", "On répare les vélos.")
    make_page("Atelier couture", "On coud.")
    assert titles("atelier vélo") == ["Atelier vélo"]
    assert sorted(titles("atelier")) == ["Atelier couture", "Atelier vélo"]


def test_the_last_word_is_a_prefix_while_typing(make_page):
    make_page("Notre poulailler", "Des œufs.")
    assert titles("poula") == ["Notre poulailler"]
    assert titles("poula ") == []  # a finished word is a whole word


def test_summary_tags_and_body_are_searched(make_page):
    make_page("Page A", "Rien ici.", summary="Un compost collectif")
    make_page("Page B", "Rien ici.", tags=["Jardinage"])
    make_page("Page C", "Nous avons un poulailler.")
    assert titles("compost") == ["Page A"]
    assert titles("jardinage") == ["Page B"]
    assert titles("poulaillers") == ["Page C"]


def test_title_matches_come_first_then_rank(make_page):
    # "Bbb" says "compost" many times, "Aaa" once in a longer text: ranked, not by title.
    make_page("Aaa notes", "Le jardin, les outils, les graines et un peu de compost. " * 3)
    make_page("Bbb notes", "compost compost compost compost compost " * 5)
    make_page("Zzz Compost collectif", "Un bac au fond du jardin.")
    make_page("Yyy tas", "Rien ici.", summary="Notre compost")
    assert titles("compost") == ["Zzz Compost collectif", "Yyy tas", "Bbb notes", "Aaa notes"]


@pytest.mark.parametrize("walk", [4000, 40], ids=["titles walked", "tiers sorted"])
def test_many_results_come_in_tiers_and_stop_at_the_cap(make_page, monkeypatch, walk):
    # Past RANK_ALL pages found, each tier is listed by title, not ranked ("Eee" says
    # "compost" more often than "Ddd"); past MAX_RESULTS, the count says "more" and no result
    # lies beyond.
    monkeypatch.setattr(search, "RANK_ALL", 2)
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    monkeypatch.setattr(search, "TITLE_WALK", walk)  # PostgreSQL: how each tier is fetched
    make_page("Fff", "compost")
    make_page("Ddd", "compost, du jardin au potager, et bien d'autres choses")
    make_page("Eee", "compost compost compost")
    make_page("Ccc", "x", tags=["Compost"])
    make_page("Bbb compost", "x")
    make_page("Aaa compost", "x")
    count, hits = search.search("compost")
    assert count == 6  # more than MAX_RESULTS
    assert [h.page.title for h in hits] == ["Aaa compost", "Bbb compost", "Ccc", "Ddd", "Eee"]
    assert [h.title_match for h in hits] == [True, True, False, False, False]
    assert [h.page.title for h in search.search("compost", offset=3, limit=10)[1]] == ["Ddd", "Eee"]
    assert [h.page.title for h in search.search("compost", offset=1, limit=1)[1]] == ["Bbb compost"]
    assert [h.page.title for h in search.search("compost", offset=2, limit=1)[1]] == ["Ccc"]
    assert search.search("compost", offset=5)[1] == []
    monkeypatch.setattr(search, "RANK_ALL", 100)
    assert [h.page.title for h in search.search("compost")[1]][3:] == ["Eee", "Fff"]


@pytest.mark.parametrize("walk", [4000, 40], ids=["titles walked", "tiers sorted"])
def test_many_results_in_tiers_keep_the_filters(make_page, place_a, monkeypatch, walk):
    monkeypatch.setattr(search, "RANK_ALL", 1)
    monkeypatch.setattr(search, "TITLE_WALK", walk)
    for title in ["Bbb", "Aaa", "Ccc compost"]:
        make_page(title, "compost", place=place_a)
    make_page("Aab compost", "x", tags=["Jardin"], place=place_a)
    make_page("Aaa compost ailleurs", "compost")
    count, hits = search.search("compost", place=place_a.slug)
    assert count == 4
    assert [h.page.title for h in hits] == ["Aab compost", "Ccc compost", "Aaa", "Bbb"]
    assert [h.page.title for h in search.search("compost", tag="jardin")[1]] == ["Aab compost"]


def test_count_and_pages_of_results(make_page):
    for i in range(25):
        make_page(f"Fiche atelier {i:02d}", "Un atelier.")
    count, first = search.search("atelier", limit=10)
    count2, last = search.search("atelier", offset=20, limit=10)
    assert count == count2 == 25
    assert len(first) == 10 and len(last) == 5
    assert {h.page.pk for h in first}.isdisjoint({h.page.pk for h in last})
    assert search.search("atelier", offset=100)[0] == 25
    assert search.search("atelier", offset=100)[1] == []


def test_only_the_page_of_results_is_loaded(make_page, django_assert_max_num_queries):
    for i in range(30):
        make_page(f"Fiche {i:02d}", "Un atelier de réparation.", tags=["Atelier"])
    # count, ids, pages, their tags (and on PostgreSQL, a planner setting on and off, and the
    # count in the heads first)
    with django_assert_max_num_queries(7):
        count, hits = search.search("réparation", limit=5)
    assert count == 30 and len(hits) == 5


# --- snippets -----------------------------------------------------------------------------------


def test_snippet_marks_the_words_found(make_page):
    body = (
        " ".join(["Du texte sans rapport, gouvernance."] * 30)
        + " Ici la documentation de la Gouvernance. "
        + " ".join(["Encore du texte."] * 30)
    )
    make_page("Notre lieu", body)
    [hit] = search.search("documenter gouvernance")[1]
    # the passage with both words, not the first one with one of them
    assert "<mark>documentation</mark>" in hit.snippet
    assert "<mark>gouvernance</mark>" in hit.snippet
    assert hit.snippet.startswith("… ") and hit.snippet.endswith(" …")
    assert "Ici la documentation" in hit.text and "<mark>" not in hit.text
    assert len(hit.text.split()) <= search.SNIPPET_WORDS + 2


def test_snippet_escapes_everything_else(make_page):
    make_page(
        "Sécurité",
        "Avant <script>alert('x')</script> le compost & co <img src=x onerror=alert(1)> "
        'a < b > c "compost"',
    )
    [hit] = search.search("compost")[1]
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert "onerror=alert(1)>" not in hit.snippet
    assert "&amp; co" in hit.snippet
    assert "a &lt; b &gt; c" in hit.snippet
    assert "&quot;<mark>compost</mark>&quot;" in hit.snippet
    # Only <mark> is markup: nothing else opens a tag.
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippet_of_a_title_match_is_the_summary_or_the_start(make_page):
    make_page("Compost", "Un bac au fond du jardin.", summary="Le résumé <b>ici</b>.")
    [hit] = search.search("compost")[1]
    assert hit.snippet == "Le résumé &lt;b&gt;ici&lt;/b&gt;."
    make_page("Poulailler", "Des poules et des œufs.")
    [hit] = search.search("poulailler")[1]
    assert hit.snippet == "Des poules et des œufs."


# --- filters -----------------------------------------------------------------------------------


def test_filters(make_page, place_a, place_b, network):
    make_page("Recette compost A", "compost", kind="recette", place=place_a, tags=["Jardin"])
    make_page("Guide compost B", "compost", kind="guide", place=place_b, licence="cc0-1.0")
    make_page("Compost du réseau", "compost", network=network)
    make_page("Compost commun", "compost")
    assert titles("compost", kind="recette") == ["Recette compost A"]
    assert titles("compost", licence="cc0-1.0") == ["Guide compost B"]
    assert titles("compost", place=place_b.slug) == ["Guide compost B"]
    assert titles("compost", tag="jardin") == ["Recette compost A"]
    # a network: its pages and its places' pages
    assert sorted(titles("compost", network=network.slug)) == [
        "Compost du réseau",
        "Recette compost A",
    ]
    assert titles("compost", place="nowhere") == []
    assert titles("compost", kind="recette", place=place_b.slug) == []


def test_empty_query_with_filters_lists_by_title(make_page, place_a):
    make_page("Zèbre", "z", place=place_a)
    make_page("Abeille", "a", place=place_a)
    make_page("Ailleurs", "b")
    count, hits = search.search("", place=place_a.slug)
    assert count == 2
    assert [h.page.title for h in hits] == ["Abeille", "Zèbre"]
    assert hits[0].snippet == "a"


# --- hostile queries -------------------------------------------------------------------------


FOUND = ["Compost"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', []),
        ('""', []),
        ("*", []),
        ("compost*", FOUND),
        ('"compost', FOUND),
        ("NEAR(compost bac)", []),
        ("NEAR(compost, bac)", []),
        ("compost -bac", FOUND),
        ("title:compost", []),
        ("{title}: compost bac", []),
        ("compost AND OR NOT", []),
        ("^compost", FOUND),
        ("compost + bac", FOUND),
        ("(compost", FOUND),
        ("compost)", FOUND),
        ("'", []),
        ("\\", []),
        ("compost\x00", FOUND),
        ("%", []),
        ("_", []),
        ("compost' OR 1=1 --", []),
        ("':* & !", []),
        ("compost:*A", FOUND),
        ("compost | bac", FOUND),
        ("compost:* & bac", FOUND),
        ("compost bac:A", FOUND),
    ],
)
def test_search_syntax_in_queries_is_harmless(make_page, query, expected):
    make_page("Compost", "Un bac de compost.")
    make_page("Autre", "Rien à voir.")
    count, hits = search.search(query)
    assert count == len(hits)
    assert [h.page.title for h in hits] == expected


@pytest.mark.parametrize("query", ["le la les", "!!! ... ???", "de, du, des", "\x00", "l' d'"])
def test_stop_words_or_punctuation_find_nothing(make_page, query):
    make_page("Le lieu", "De la vie.")
    assert search.search(query) == (0, [])


def test_very_long_queries(make_page):
    make_page("Compost", "Un bac.")
    assert titles("compost " + "x" * 100_000) == ["Compost"]
    assert titles(" ".join(["compost"] * 10_000)) == ["Compost"]
    assert search.search(" ".join(f"mot{i}" for i in range(1000)))[0] == 0
    assert search.search("é" * 5000)[0] == 0


def test_a_very_long_page_is_indexed(make_page):
    # More words than PostgreSQL has positions (16,383), one of them 20,000 times (it keeps
    # 256 positions a word): every word is found all the same.
    words = " ".join(["pain"] * 20_000 + [f"mot{i}" for i in range(2000)])
    make_page("Long", words + " compost")
    assert titles("pain") == ["Long"]
    assert titles("mot1999") == ["Long"]
    assert titles("compost") == ["Long"]


# --- the index follows the writes ---------------------------------------------------------------


def test_the_index_follows_edits(make_page, member_a):
    page = make_page("Le four à pain", "Nous cuisons le pain.")
    edit(member_a, page, body="Nous faisons des pizzas.")
    assert titles("pain") == ["Le four à pain"]  # still in the title
    assert titles("cuisons") == []
    assert titles("pizza") == ["Le four à pain"]
    edit(member_a, page, tags=["Boulangerie"])
    assert titles("boulangerie") == ["Le four à pain"]


def test_the_index_follows_renames(make_page, member_a):
    page = make_page("Ancien titre", "Du texte.")
    edit(member_a, page, title="Nouvelle gouvernance")
    assert titles("ancien") == []
    assert titles("gouvernance") == ["Nouvelle gouvernance"]


def test_the_index_follows_reverts(make_page, member_a):
    page = make_page("Le four", "Pain au levain.")
    edit(member_a, page, body="Pizza.")
    services.revert(member_a, page, 1)
    assert titles("levain") == ["Le four"]
    assert titles("pizza") == []


def test_a_rollback_deleting_a_page_removes_it_from_the_index(make_page, make_user, admin):
    vandal = make_user("Vandal")
    page = make_page("Page de spam", "Achetez du spam.", author=vandal)
    make_page("Autre spam", "Encore du spam.")
    before = entries()
    assert services.rollback(admin, page, author_id=vandal.pk) is None
    assert titles("spam") == ["Autre spam"]
    assert entries() == before - 1


def test_a_page_deleted_directly_leaves_the_index(make_page):
    page = make_page("Compost", "bac")
    before = entries()
    page.delete()
    assert entries() == before - 1
    assert titles("compost") == []


def test_reindex_all(make_page):
    for i in range(7):
        make_page(f"Compost {i}", "bac", tags=["Jardin"])
    with connection.cursor() as cursor:
        table = "commons_page_search" if connection.vendor == "postgresql" else "commons_page_fts"
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert titles("compost") == []
    calls = []
    assert search.reindex_all(batch=3, progress=lambda done, total: calls.append(done)) == 7
    assert calls == [3, 6, 7]
    assert len(titles("compost")) == 7
    assert len(titles("jardin")) == 7


def test_reindex_command(make_page, capsys):
    make_page("Compost", "bac")
    call_command("reindex_commons")
    assert "1" in capsys.readouterr().out
    assert titles("compost") == ["Compost"]


def test_a_page_of_many_distinct_words_stays_within_the_database_limits(make_page):
    # 15,000 distinct words of thirty CJK characters: 1.3 MB of stems, more than a
    # PostgreSQL tsvector holds; the page is saved and searchable all the same.
    words = [chr(0x4E00 + i // 200) + chr(0x4E00 + i % 200) + "字" * 28 for i in range(15_000)]
    make_page("Beaucoup de mots", "compost " + " ".join(words))
    assert titles("compost") == ["Beaucoup de mots"]
    assert titles(words[10]) == ["Beaucoup de mots"]


def test_the_snippet_of_a_long_page_is_looked_for_at_its_beginning_then_further(make_page):
    filler = "Un atelier ouvert à tous les habitants du quartier. " * 200  # 10,000 characters
    make_page("Loin", filler + "Le poulailler est au fond du jardin.")
    make_page("Partout", "Notre poulailler au début. " + filler + "Le poulailler encore.")
    hits = {hit.page.title: hit.text for hit in search.search("poulailler")[1]}
    assert "poulailler est au fond" in hits["Loin"]
    assert "Notre poulailler au début" in hits["Partout"]
