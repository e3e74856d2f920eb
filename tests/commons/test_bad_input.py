"""Bad input on the page forms: each gets a clear message (422, the form again with what was
typed) and nothing is written, no revision, no page, no 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiers.commons.facts import Kind
from tiers.commons.licences import Licence
from tiers.commons.models import Page, Revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def data(**changes) -> dict[str, str]:
    base = {"title": "Une page", "kind": Kind.PAGE, "licence": Licence.CC_BY_SA, "body": "",
            "tags": "", "summary": "", "parent": ""}  # fmt: skip
    return {**base, **changes}


@pytest.fixture
def create(client_for, member_a):
    client = client_for(member_a)

    def post(query: str = "", **changes):
        return client.post(reverse("commons:create") + query, data(**changes))

    return post


def refused(response, message: str) -> None:
    assert response.status_code == 422, response.status_code
    assert message in response.content.decode()


def nothing_written(count: int = 0) -> None:
    assert Page.objects.count() == count
    assert Revision.objects.count() == count


def test_an_empty_title(create):
    refused(create(title="   "), "A page needs a title.")
    refused(create(title="!!! ???"), "A title needs at least one letter or digit.")
    refused(create(title="x" * 201), "at most 200 characters")
    refused(create(title="Fichier:plan.png"), "A title cannot start with “Fichier:”.")
    nothing_written()


def test_a_title_colliding_after_slugification(create, make_page):
    make_page("Café")
    response = create(title="cafe", body="Mon texte")
    refused(response, "A page with a similar title already exists: “Café”.")
    assert "Mon texte</textarea>" in response.content.decode()  # nothing typed is lost
    nothing_written(1)


def test_renaming_onto_another_title_is_refused(client_for, member_a, make_page):
    make_page("Café")
    page = make_page("Thé")
    response = client_for(member_a).post(
        reverse("commons:edit", args=[page.slug]),
        data(title="CAFÉ", base=str(page.revision_number)),
    )
    refused(response, "A page with a similar title already exists")
    page.refresh_from_db()
    assert page.title == "Thé" and page.revision_number == 1


def test_a_5_mb_body(create):
    response = create(body="a" * (5 * 1024 * 1024))
    refused(response, "The text is too long: at most 500 000 characters.")
    nothing_written()


def test_a_body_that_is_only_an_iframe_is_shown_as_text(client_for, create):
    response = create(title="Iframe", body='<iframe src="https://evil.example/"></iframe>')
    assert response.status_code == 302
    text = client_for(None).get(reverse("commons:page", args=["iframe"])).content.decode()
    assert "<iframe" not in text
    assert '&lt;iframe src="https://evil.example/"&gt;&lt;/iframe&gt;' in text


def test_nul_characters(create):
    refused(create(title="Nul\x00"), "Null characters are not allowed.")
    refused(create(body="Texte\x00nul"), "Null characters are not allowed.")
    refused(create(tags="a\x00b"), "Null characters are not allowed.")
    nothing_written()


def test_huge_tags(create):
    refused(create(tags="x" * 61), "A tag has 1 to 60 characters")
    refused(create(tags=", ".join(f"t{n}" for n in range(21))), "At most 20 tags.")
    refused(create(tags="a," * 1500), "at most 2000 characters")
    nothing_written()


def test_bad_facts(create):
    refused(create(kind=Kind.MINUTES, fact_compte_rendu_date="hier"), "must be a date (YYYY-MM-DD)")
    refused(create(kind=Kind.RECIPE, fact_recette_needs="\n".join(["x"] * 101)),
            "at most 100 lines")  # fmt: skip
    refused(create(kind=Kind.RECIPE, fact_recette_duration="x" * 301), "at most 300 characters")
    nothing_written()


def test_unknown_kind_and_licence(create):
    refused(create(kind="hack"), "Select a valid choice.")
    refused(create(licence="all-rights-reserved"), "Select a valid choice.")
    nothing_written()


@pytest.mark.parametrize("base", ["abc", "-1", "1.5", "9" * 30, ""])
def test_a_base_that_is_not_a_number(client_for, member_a, make_page, base):
    page = make_page("Base", "Texte")
    response = client_for(member_a).post(
        reverse("commons:edit", args=[page.slug]), data(title="Base", body="Changé", base=base)
    )
    refused(response, "This form is out of date or damaged")
    page.refresh_from_db()
    assert page.body == "Texte" and page.revision_number == 1


def test_a_base_from_the_future_is_a_conflict_not_a_save(client_for, member_a, make_page):
    page = make_page("Futur", "Texte")
    response = client_for(member_a).post(
        reverse("commons:edit", args=[page.slug]), data(title="Futur", body="Changé", base="99")
    )
    assert response.status_code == 409
    page.refresh_from_db()
    assert page.body == "Texte"


def test_a_parent_from_another_place(client_for, member_a, make_page, place_a, place_b):
    elsewhere = make_page("Chez B", place=place_b)
    commons = make_page("Dans les communs")
    for parent in (elsewhere, commons):
        response = client_for(member_a).post(
            reverse("commons:create") + f"?lieu={place_a.slug}",
            data(title="Sous-page", parent=str(parent.pk)),
        )
        refused(response, "Choose a page of the same place or network.")
    assert not Page.objects.filter(slug="sous-page").exists()
    page = make_page("Au Quai", place=place_a)
    response = client_for(member_a).post(
        reverse("commons:edit", args=[page.slug]),
        data(title="Au Quai", base=str(page.revision_number), parent=str(elsewhere.pk)),
    )
    refused(response, "Choose a page of the same place or network.")
    page.refresh_from_db()
    assert page.parent is None


def test_odd_query_strings_do_not_break_the_create_form(client_for, member_a):
    client = client_for(member_a)
    response = client.get(
        reverse("commons:create") + "?titre=" + "x" * 5000 + "&kind=zzz&parent=none"
    )
    assert response.status_code == 200
    response = client.get(reverse("commons:create") + "?titre=%00nul")
    assert response.status_code == 200


def test_bad_discussion_and_tree_input(client_for, member_a, make_page, place_a):
    page = make_page("Débat", place=place_a)
    client = client_for(member_a)
    refused(client.post(reverse("commons:discussion", args=[page.slug]), {"body": "x\x00"}),
            "Null characters are not allowed.")  # fmt: skip
    refused(client.post(reverse("commons:discussion", args=[page.slug]), {"body": "x" * 20_001}),
            "at most 20000 characters")  # fmt: skip
    tree = reverse("commons:place_tree", args=[place_a.slug])
    assert client.post(tree, {"page": "1 OR 1=1", "direction": "up"}).status_code == 404
    response = client.post(tree, {"page": str(page.pk), "direction": "sideways"})
    assert response.status_code == 302  # alone among its siblings: nothing moves
