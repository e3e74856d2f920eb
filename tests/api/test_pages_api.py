"""The pages API: list and search, read, create, edit against a base revision (409 on a
stale one, also under real concurrent requests), history; persona rights and bad input."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from tiers.accounts.models import ApiToken
from tiers.commons import services
from tiers.commons.models import Page, Revision
from tiers.commons.services import PageData

from .conftest import assert_problem, error_fields

PAGES = "/api/v1/pages"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def make_page(db):
    def make(title="Recette du café", body="Du texte.", *, author=None, place=None,
             network=None, **fields) -> Page:  # fmt: skip
        return services.create_page(
            author, PageData(title=title, body=body, **fields), place=place, network=network,
            check=False,
        )  # fmt: skip

    return make


def body_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return json.loads(response.content)


# --- reading ------------------------------------------------------------------------------


def test_anyone_lists_the_pages_by_title(api_as, make_page, place_a):
    make_page("Zèbre", "z", place=place_a, kind="guide")
    make_page("Abeille", "a")
    response = api_as(None).get(PAGES)
    assert response.status_code == 200
    data = body_of(response)
    assert data["count"] == 2 and data["count_exact"] is True
    assert [p["title"] for p in data["results"]] == ["Abeille", "Zèbre"]
    first = data["results"][0]
    assert first["snippet"] is None and first["title_match"] is None
    assert first["licence"] == {
        "code": "cc-by-sa-4.0",
        "name": "CC BY-SA 4.0",
        "url": "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
    }
    assert first["api_url"].endswith("/api/v1/pages/abeille")
    assert first["url"].endswith("/communs/pages/abeille/")
    zebre = data["results"][1]
    assert zebre["owner"] == {"type": "place", "slug": "le-quai", "name": "Le Quai"}
    assert zebre["kind"] == "guide"
    assert body_of(api_as(None).get(PAGES, {"kind": "guide"}))["count"] == 1


def test_pagination(api_as, make_page):
    for i in range(5):
        make_page(f"Page {i}", "x")
    data = body_of(api_as(None).get(PAGES, {"limit": 2}))
    assert data["count"] == 5 and len(data["results"]) == 2
    assert data["previous"] is None and "offset=2" in data["next"]
    data = body_of(api_as(None).get(PAGES, {"limit": 2, "page": 3}))
    assert [p["title"] for p in data["results"]] == ["Page 4"] and data["next"] is None


def test_search(api_as, make_page):
    make_page("Notes", "Avant <script>alert(1)</script> nous voulons documenter le lieu.")
    make_page("Documentation du fablab", "Les machines.")
    make_page("Recette", "Farine.")
    data = body_of(api_as(None).get(PAGES, {"q": "documenter"}))
    assert data["count"] == 2
    assert [p["title"] for p in data["results"]] == ["Documentation du fablab", "Notes"]
    assert [p["title_match"] for p in data["results"]] == [True, False]
    notes = data["results"][1]
    assert "nous voulons documenter le lieu." in notes["snippet"]
    assert "<mark>" not in notes["snippet"]
    assert "<mark>documenter</mark>" in notes["snippet_html"]
    assert "<script" not in notes["snippet_html"]


def test_a_search_counts_up_to_a_limit(api_as, make_page, monkeypatch):
    from tiers.commons import search

    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    monkeypatch.setattr(search, "RANK_ALL", 3)
    for i in range(5):
        make_page(f"Atelier {i}", "x")
    data = body_of(api_as(None).get(PAGES, {"q": "atelier", "limit": 2}))
    assert data["count"] == 3 and data["count_exact"] is False
    assert len(data["results"]) == 2 and "offset=2" in data["next"]
    data = body_of(api_as(None).get(PAGES, {"q": "atelier", "limit": 2, "offset": 2}))
    assert [p["title"] for p in data["results"]] == ["Atelier 2"] and data["next"] is None
    assert body_of(api_as(None).get(PAGES, {"q": "atelier", "offset": 4}))["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "nope"}, "kind"),
        ({"licence": "gpl"}, "licence"),
        ({"q": "x" * 201}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"q": "compost\x00"}, "q"),
        ({"page": "1", "offset": "3"}, "page"),
    ],
)
def test_bad_list_parameters(api_as, params, field):
    assert field in error_fields(api_as(None).get(PAGES, params))


@pytest.mark.parametrize("q", ['"', "NEAR(a b)", "le la les", "a:* & !b", "*"])
def test_search_syntax_is_harmless(api_as, make_page, q):
    make_page("Compost", "bac")
    response = api_as(None).get(PAGES, {"q": q})
    assert response.status_code == 200
    assert body_of(response)["count"] == 0


def test_one_page(api_as, make_page, member_a, place_a):
    parent = make_page("Le lieu", "Racine.", place=place_a)
    page = make_page(
        "Recette du pain", "# Étapes\n\nVoir [[Le lieu]].", place=place_a, kind="recette",
        summary="Du bon pain", tags=["Cuisine"], facts={"needs": ["farine", "eau"]},
        author=member_a,
    )  # fmt: skip
    Page.objects.filter(pk=page.pk).update(parent=parent)
    data = body_of(api_as(None).get(f"{PAGES}/{page.slug}"))
    assert data["title"] == "Recette du pain" and data["slug"] == "recette-du-pain"
    assert data["body"].startswith("# Étapes")
    assert 'class="wikilink"' in data["html"] and "<script" not in data["html"]
    assert data["facts"] == {"needs": ["farine", "eau"]}
    assert data["revision"] == 1
    assert data["tags"] == [{"slug": "cuisine", "name": "Cuisine"}]
    assert data["parent"]["slug"] == "le-lieu"
    assert data["authors"] == ["Member A"]
    assert data["protected"] is False and data["remixed_from"] is None
    assert data["can_edit"] is False  # anonymous
    assert body_of(api_as(member_a).get(f"{PAGES}/{page.slug}"))["can_edit"] is True


def test_an_old_title_answers_with_the_page(api_as, make_page, member_a):
    page = make_page("Ancien titre", "x")
    services.edit_page(member_a, page, PageData(title="Nouveau titre", body="x"), base=1)
    data = body_of(api_as(None).get(f"{PAGES}/ancien-titre"))
    assert data["slug"] == "nouveau-titre"


def test_unknown_page(api_as):
    assert_problem(api_as(None).get(f"{PAGES}/nowhere"), 404)
    assert_problem(api_as(None).get(f"{PAGES}/nowhere/revisions"), 404)


def test_a_wrong_token_is_refused_even_to_read(make_page):
    make_page("Compost", "x")
    response = Client().get(PAGES, headers={"Authorization": "Bearer nope"})
    assert_problem(response, 401)


# --- history ------------------------------------------------------------------------------


def test_revisions(api_as, make_page, member_a, manager_a, place_a):
    page = make_page("Four", "Un.", place=place_a, author=member_a)
    services.edit_page(
        member_a, page, PageData(title="Four", body="Deux deux.", comment="Mon adresse"), base=1
    )
    services.edit_page(
        manager_a, page, PageData(title="Four", body="Trois.", comment="Fix"), base=2
    )
    services.hide_revision(manager_a, Revision.objects.get(page=page, number=2), hidden=True,
                           reason="spam")  # fmt: skip
    data = body_of(api_as(None).get(f"{PAGES}/four/revisions"))
    assert data["count"] == 3
    assert [r["number"] for r in data["results"]] == [3, 2, 1]
    top = data["results"][0]
    assert top["author_name"] == "Manager A" and top["comment"] == "Fix"
    assert top["action"] == "edit" and top["size"] == 6 and top["size_delta"] == -4
    assert [r["hidden"] for r in data["results"]] == [False, True, False]
    assert "body" not in data["results"][1]
    assert data["results"][1]["comment"] is None  # withheld with the content
    listed = body_of(api_as(manager_a).get(f"{PAGES}/four/revisions"))["results"][1]
    assert listed["comment"] == "Mon adresse"  # a moderator sees it
    # one revision: its content, withheld when hidden except from moderators
    one = body_of(api_as(None).get(f"{PAGES}/four/revisions/1"))
    assert one["body"] == "Un." and one["title"] == "Four"
    hidden = body_of(api_as(member_a).get(f"{PAGES}/four/revisions/2"))
    assert hidden["hidden"] is True and hidden["body"] is None and hidden["hidden_reason"] is None
    assert hidden["comment"] is None and "adresse" not in json.dumps(hidden)
    seen = body_of(api_as(manager_a).get(f"{PAGES}/four/revisions/2"))
    assert seen["body"] == "Deux deux." and seen["hidden_reason"] == "spam"
    assert_problem(api_as(None).get(f"{PAGES}/four/revisions/9"), 404)
    page2 = body_of(api_as(None).get(f"{PAGES}/four/revisions", {"limit": 2, "offset": 2}))
    assert [r["number"] for r in page2["results"]] == [1]


# --- creating -----------------------------------------------------------------------------


def test_a_member_creates_a_page_of_their_place(api_as, member_a, place_a):
    response = api_as(member_a).post(
        PAGES,
        {
            "title": "Notre charte", "body": "Les règles.", "place": "le-quai",
            "kind": "commun", "licence": "cc-by-4.0", "tags": ["Gouvernance"],
            "summary": "Comment on vit ensemble", "comment": "Premier jet",
            "facts": {"maintainers": "Le collectif"},
        },
    )  # fmt: skip
    assert response.status_code == 201, response.content
    data = body_of(response)
    assert response["Location"] == data["api_url"]
    assert data["slug"] == "notre-charte" and data["revision"] == 1
    assert data["owner"]["slug"] == "le-quai" and data["licence"]["code"] == "cc-by-4.0"
    assert data["facts"] == {"maintainers": "Le collectif"}
    page = Page.objects.get(slug="notre-charte")
    assert page.place == place_a and page.current_revision.comment == "Premier jet"
    # found by the search at once
    assert body_of(api_as(None).get(PAGES, {"q": "charte"}))["count"] == 1


def test_creating_under_a_parent(api_as, member_a, make_page, place_a):
    make_page("Racine", "x", place=place_a)
    response = api_as(member_a).post(
        PAGES, {"title": "Feuille", "place": "le-quai", "parent": "racine"}
    )
    assert response.status_code == 201
    assert body_of(response)["parent"]["slug"] == "racine"


def test_anonymous_cannot_write(api_as, make_page):
    make_page("Compost", "x")
    assert_problem(api_as(None).post(PAGES, {"title": "X"}), 401)
    assert_problem(api_as(None).put(f"{PAGES}/compost", {"base_revision": 1, "body": "y"}), 401)


def test_the_session_needs_the_csrf_token(session_api, member_a):
    assert_problem(session_api(member_a, csrf=False).post(PAGES, {"title": "X"}), 403, "csrf")
    assert session_api(member_a).post(PAGES, {"title": "X"}).status_code == 201


def test_a_member_of_b_cannot_create_in_a(api_as, manager_b, place_a):
    body = assert_problem(api_as(manager_b).post(PAGES, {"title": "X", "place": "le-quai"}), 403)
    assert body["code"] == "forbidden"
    assert not Page.objects.exists()


def test_an_unverified_account_cannot_write(api_as, make_user):
    user = make_user("New", verified=False)
    assert_problem(api_as(user).post(PAGES, {"title": "X"}), 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "A\x00B"}, "title"),
        ({"title": "X", "body": "a\x00"}, "body"),
        ({"title": "X", "body": ["a"]}, "body"),
        ({"title": "X", "body": "x" * 500_001}, "body"),
        ({"title": "x" * 201}, "title"),
        ({"title": "!!!"}, "title"),
        ({"title": "Fichier:truc.png"}, "title"),
        ({"title": "X", "kind": "roman"}, "kind"),
        ({"title": "X", "licence": "gpl"}, "licence"),
        ({"title": "X", "tags": "a,b"}, "tags"),
        ({"title": "X", "tags": ["a"] * 21}, "tags"),
        ({"title": "X", "tags": ["!!!"]}, "tags"),
        ({"title": "X", "facts": []}, "facts"),
        ({"title": "X", "kind": "compte-rendu", "facts": {"date": "hier"}}, "facts"),
        ({"title": "X", "place": "nowhere"}, "place"),
        ({"title": "X", "network": "nowhere"}, "network"),
        ({"title": "X", "parent": "nowhere"}, "parent"),
        ({"title": "X", "surprise": 1}, "surprise"),
        ({"title": "X", "summary": "s" * 301}, "summary"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api_as, member_a, body, field):
    assert field in error_fields(api_as(member_a).post(PAGES, body))
    assert not Page.objects.exists()


def test_a_parent_of_another_place_is_refused(api_as, member_a, make_page, place_b):
    make_page("Ailleurs", "x", place=place_b)
    response = api_as(member_a).post(PAGES, {"title": "X", "parent": "ailleurs"})
    assert "parent" in error_fields(response)


def test_not_json(api_as, member_a):
    assert "body" in error_fields(api_as(member_a).post(PAGES, raw="{nope"))


def test_a_title_taken_once_slugified(api_as, member_a, make_page):
    make_page("Café réparation", "x")
    body = assert_problem(api_as(member_a).post(PAGES, {"title": "cafe_Reparation"}), 409)
    assert body["code"] == "title_taken"
    assert body["errors"][0]["field"] == "title"


# --- editing ------------------------------------------------------------------------------


def test_edit_with_the_current_base(api_as, member_a, make_page, place_a):
    page = make_page("Four", "Un.", place=place_a)
    response = api_as(member_a).put(
        f"{PAGES}/four", {"base_revision": 1, "body": "Deux.", "comment": "Mieux"}
    )
    assert response.status_code == 200, response.content
    data = body_of(response)
    assert data["revision"] == 2 and data["body"] == "Deux."
    assert data["title"] == "Four"  # left out: kept
    page.refresh_from_db()
    assert page.revision_number == 2 and page.current_revision.comment == "Mieux"
    # nothing changed: the same revision, nothing written
    again = api_as(member_a).put(f"{PAGES}/four", {"base_revision": 2, "body": "Deux."})
    assert again.status_code == 200 and body_of(again)["revision"] == 2
    assert Revision.objects.filter(page=page).count() == 2


def test_a_stale_base_is_a_409_with_the_current_text(api_as, member_a, concierge_a, make_page,
                                                     place_a):  # fmt: skip
    make_page("Four", "Un.", place=place_a)
    assert api_as(concierge_a).put(f"{PAGES}/four", {"base_revision": 1, "body": "Deux."}).status_code == 200  # fmt: skip
    response = api_as(member_a).put(f"{PAGES}/four", {"base_revision": 1, "body": "Trois."})
    body = assert_problem(response, 409, "edit_conflict")
    assert body["code"] == "edit_conflict"
    assert body["current_revision"] == 2 and body["base_revision"] == 1
    assert body["current_body"] == "Deux."
    assert body["current"]["author_name"] == "Concierge A"
    assert Page.objects.get(slug="four").body == "Deux."
    # merged and sent again on the current base: saved
    merged = api_as(member_a).put(f"{PAGES}/four", {"base_revision": 2, "body": "Deux. Trois."})
    assert body_of(merged)["revision"] == 3


def test_rename_and_move(api_as, member_a, make_page, place_a):
    make_page("Racine", "x", place=place_a)
    make_page("Four", "x", place=place_a)
    response = api_as(member_a).put(
        f"{PAGES}/four", {"base_revision": 1, "title": "Four à pain", "parent": "racine"}
    )
    data = body_of(response)
    assert data["slug"] == "four-a-pain" and data["parent"]["slug"] == "racine"
    back = api_as(member_a).put(f"{PAGES}/four", {"base_revision": 2, "parent": None})  # alias
    assert body_of(back)["parent"] is None


def test_a_member_of_b_cannot_edit_a_page_of_a(api_as, manager_b, make_page, place_a):
    make_page("Four", "Un.", place=place_a)
    body = assert_problem(
        api_as(manager_b).put(f"{PAGES}/four", {"base_revision": 1, "body": "Vandale"}), 403
    )
    assert body["code"] == "forbidden"
    assert Page.objects.get(slug="four").body == "Un."


def test_a_protected_page(api_as, member_a, manager_a, make_page, place_a):
    page = make_page("Charte", "Un.", place=place_a)
    services.set_protected(manager_a, page, True)
    assert_problem(api_as(member_a).put(f"{PAGES}/charte", {"base_revision": 1, "body": "X"}), 403)
    response = api_as(manager_a).put(f"{PAGES}/charte", {"base_revision": 1, "body": "Deux."})
    assert response.status_code == 200
    assert body_of(response)["protected"] is True


def test_the_whole_commons_is_a_wiki(api_as, member_a, manager_b, make_page):
    make_page("Commun", "Un.")
    response = api_as(manager_b).put(f"{PAGES}/commun", {"base_revision": 1, "body": "Deux."})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "x"}, "base_revision"),
        ({"base_revision": "1", "body": "x"}, "base_revision"),
        ({"base_revision": -1}, "base_revision"),
        ({"base_revision": 1, "title": ""}, "title"),
        ({"base_revision": 1, "title": None, "body": 3}, "body"),
        ({"base_revision": 1, "parent": "nowhere"}, "parent"),
        ({"base_revision": 1, "parent": "four"}, "parent"),  # under itself
        ({"base_revision": 1, "body": "\x00"}, "body"),
    ],
)
def test_bad_edits(api_as, member_a, make_page, place_a, body, field):
    make_page("Four", "Un.", place=place_a)
    assert field in error_fields(api_as(member_a).put(f"{PAGES}/four", body))
    assert Page.objects.get(slug="four").revision_number == 1


def test_unknown_page_to_edit(api_as, member_a):
    assert_problem(api_as(member_a).put(f"{PAGES}/nowhere", {"base_revision": 1}), 404)


def test_rate_limit(api_as, make_user, make_page, settings):
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 2
    newcomer = make_user("Newcomer")
    make_page("Commun", "0")
    client = api_as(newcomer)
    for number in (1, 2):
        assert client.put(f"{PAGES}/commun", {"base_revision": number, "body": str(number)}).status_code == 200  # fmt: skip
    response = client.put(f"{PAGES}/commun", {"base_revision": 3, "body": "3"})
    body = assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    assert body["code"] == "throttled"
    assert Page.objects.get(slug="commun").revision_number == 3


# --- concurrent edits -----------------------------------------------------------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_with_the_same_base(make_user, settings):
    """Eight people send an edit based on revision 1 at the same instant, each through
    its own connection: exactly one is saved, the others get 409 and nothing else is
    written."""
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 1000
    settings.COMMONS_EDITS_PER_HOUR = 1000
    people = [make_user(f"Editor {i}") for i in range(8)]
    page = services.create_page(None, PageData(title="Four", body="Un."), check=False)
    tokens = [ApiToken.issue(user=person, name="race")[1] for person in people]
    barrier = threading.Barrier(len(tokens))
    outcomes: Counter[int | str] = Counter()
    lock = threading.Lock()

    def edit(index: int, token: str) -> None:
        try:
            client = Client()
            barrier.wait()
            response = client.put(
                f"{PAGES}/four",
                json.dumps({"base_revision": 1, "body": f"Version {index}"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            outcome: int | str = response.status_code
        except Exception as exc:  # any failure must show in the counts
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=edit, args=(i, t)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes == Counter({200: 1, 409: len(tokens) - 1})
    page.refresh_from_db()
    assert page.revision_number == 2
    assert Revision.objects.filter(page=page).count() == 2
    assert page.body.startswith("Version ")
