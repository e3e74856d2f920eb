"""The search page: a GET form anyone can use, ranked results with escaped, highlighted
passages, filters, pagination, and no error whatever the query string holds."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

URL = reverse("commons:search")


@pytest.fixture
def english(client_for):
    client = client_for(None)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def result_titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/communs/pages/[^"]+/">([^<]+)</a></h3>', html)


def test_the_form_alone(english, make_page):
    make_page("Compost", "bac")
    response = english.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="search"' in html
    assert '<label for="search-q">' in html and 'id="search-q"' in html
    assert result_titles(html) == []  # nothing listed before a search


def test_anyone_searches_and_sees_ranked_highlighted_results(english, make_page, place_a):
    make_page("Notes diverses", "Nous voulons documenter nos outils.", place=place_a)
    make_page("Documentation du fablab", "Le fablab et ses machines.", kind="guide")
    make_page("Recette du pain", "Farine.")
    response = english.get(URL, {"q": "documenter"})
    html = response.content.decode()
    assert response.status_code == 200
    assert result_titles(html) == ["Documentation du fablab", "Notes diverses"]
    assert "2 pages found" in html
    assert "<mark>documenter</mark>" in html
    assert "Le Quai" in html  # the owning place
    assert "CC BY-SA 4.0" in html
    assert "<title>Search: “documenter” (2 pages found)" in html


def test_snippets_and_queries_are_escaped(english, make_page):
    make_page("Sécurité", "Avant <script>alert('x')</script> le compost <b>gras</b>.")
    response = english.get(URL, {"q": 'compost "><script>alert(1)</script>'})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "&quot;&gt;&lt;script&gt;" in html  # the query, shown back escaped


def test_filters(english, make_page, place_a, place_b):
    make_page("Compost A", "bac", kind="recette", place=place_a, tags=["Jardin"])
    make_page("Compost B", "bac", kind="guide", place=place_b, licence="cc0-1.0")
    assert result_titles(english.get(URL, {"q": "compost", "kind": "guide"}).content.decode()) == [
        "Compost B"
    ]
    assert result_titles(
        english.get(URL, {"q": "compost", "place": "le-quai"}).content.decode()
    ) == ["Compost A"]
    assert result_titles(english.get(URL, {"q": "compost", "tag": "jardin"}).content.decode()) == [
        "Compost A"
    ]
    html = english.get(URL, {"licence": "cc0-1.0"}).content.decode()  # filters without words
    assert result_titles(html) == ["Compost B"]
    # the options: the places and tags that have pages
    assert '<option value="le-quai">Le Quai</option>' in html
    assert '<option value="jardin">Jardin</option>' in html


def test_unknown_filter_values_are_ignored_with_a_message(english, make_page):
    make_page("Compost", "bac")
    html = english.get(URL, {"q": "compost", "kind": "nope", "licence": "x"}).content.decode()
    assert "Some filters are not understood and are ignored." in html
    assert result_titles(html) == ["Compost"]


def test_pagination(english, make_page):
    for i in range(25):
        make_page(f"Fiche atelier {i:02d}", "Un atelier.")
    html = english.get(URL, {"q": "atelier"}).content.decode()
    assert len(result_titles(html)) == 20
    assert "Page 1 of 2" in html and 'rel="next"' in html
    html = english.get(URL, {"q": "atelier", "page": "2"}).content.decode()
    assert result_titles(html) == [f"Fiche atelier {i}" for i in range(20, 25)]
    assert '<ol class="search-results" start="21"' in html
    # past the end or nonsense: the last or the first page, never an error
    assert (
        len(result_titles(english.get(URL, {"q": "atelier", "page": "99"}).content.decode())) == 5
    )
    assert (
        len(result_titles(english.get(URL, {"q": "atelier", "page": "x"}).content.decode())) == 20
    )
    assert english.get(URL, {"q": "atelier", "page": "-5"}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "compost\x00"},
        {"q": "x" * 100_000},
        {"q": '"*NEAR(a b) -c title:d'},
        {"q": "le la les"},
        {"kind": "\x00"},
        {"tag": "é" * 500},
        {"place": "../.."},
        {"network": "'; DROP TABLE commons_page; --"},
        {"page": "9" * 50},
    ],
)
def test_no_query_string_makes_an_error(english, make_page, params):
    make_page("Compost", "bac")
    assert english.get(URL, params).status_code == 200


def test_stop_words_only(english, make_page):
    make_page("Le lieu", "De la vie.")
    html = english.get(URL, {"q": "le la les"}).content.decode()
    assert "too common to be searched for" in html
    assert result_titles(html) == []


def test_nothing_found(english, make_page):
    make_page("Compost", "bac")
    html = english.get(URL, {"q": "<b>poulailler</b>"}).content.decode()
    assert "0 pages found" in html
    assert "No page holds all the words “&lt;b&gt;poulailler&lt;/b&gt;”" in html


def test_the_query_count_does_not_grow_with_the_results(
    english, make_page, django_assert_max_num_queries
):
    for i in range(30):
        make_page(f"Fiche {i:02d}", "Un atelier.", tags=["Atelier", f"Tag {i}"])
    # filters' options (tags, places, networks), count, ids, pages, their tags, session
    with django_assert_max_num_queries(12):
        response = english.get(URL, {"q": "atelier"})
    assert len(result_titles(response.content.decode())) == 20


def test_more_results_than_counted(english, make_page, monkeypatch):
    from tiers.commons import search

    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    monkeypatch.setattr(search, "RANK_ALL", 3)
    for i in range(5):
        make_page(f"Fiche atelier {i}", "Un atelier.")
    monkeypatch.setattr("tiers.commons.views_search.PAGE_SIZE", 2)
    html = english.get(URL, {"q": "atelier"}).content.decode()
    assert "More than 3 pages found" in html
    assert "The first 3 are shown" in html
    assert "Page 1 of 2" in html
    html = english.get(URL, {"q": "atelier", "page": "2"}).content.decode()
    assert result_titles(html) == ["Fiche atelier 2"]
    assert 'rel="next"' not in html


def test_a_final_space_makes_the_last_word_whole(english, make_page):
    make_page("Notre poulailler", "Des œufs.")
    assert result_titles(english.get(URL, {"q": "poula"}).content.decode()) == ["Notre poulailler"]
    assert result_titles(english.get(URL, {"q": "poula "}).content.decode()) == []
