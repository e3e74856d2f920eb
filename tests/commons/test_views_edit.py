"""Creating and editing pages through the forms, and the edit conflict: two people open the
same revision; the second to save sees a merge view and nothing of theirs is saved; saving
from the merge view then works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiers.commons import services
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


def html(response) -> str:
    return response.content.decode()


def form_data(page: Page | None = None, **changes) -> dict[str, str]:
    """What the edit form posts for `page` as it is now (or an empty new page)."""
    data = {
        "title": "", "summary": "", "kind": Kind.PAGE, "licence": Licence.CC_BY_SA, "tags": "",
        "body": "", "comment": "", "base": "", "parent": "",
    }  # fmt: skip
    if page is not None:
        page.refresh_from_db()
        data.update(
            title=page.title, summary=page.summary, kind=page.kind, licence=page.licence,
            tags=", ".join(t.name for t in page.tags.all()), body=page.body,
            base=str(page.revision_number), parent=str(page.parent_id or ""),
        )  # fmt: skip
    data.update(changes)
    return data


# Create -------------------------------------------------------------------------------------------


def test_create_a_commons_page_with_everything(client_for, member_a):
    client = client_for(member_a)
    response = client.get(reverse("commons:create") + "?titre=Jardin+partagé&kind=recette")
    assert response.status_code == 200
    text = html(response)
    assert 'value="Jardin partagé"' in text
    assert "[[Title|text shown]]" in text  # the help on wiki links
    assert "CC BY-SA 4.0 — Creative Commons Attribution - Share Alike 4.0 International" in text
    assert '<details class="fact-group" open>' in text  # the recipe's facts are open

    response = client.post(
        reverse("commons:create") + "?titre=Jardin+partagé",
        form_data(
            title="Jardin partagé", summary="Cultiver ensemble", kind=Kind.RECIPE,
            licence=Licence.CC0, tags="jardin, partage", body="Voir [[Compost]].",
            fact_recette_needs="Des graines\nUn terrain", fact_recette_duration="Une saison",
            fact_compte_rendu_date="2020-01-01",  # another kind's facts are not kept
            comment="Première version",
        ),
    )  # fmt: skip

    page = Page.objects.get(slug="jardin-partage")
    assert response.status_code == 302 and response["Location"] == page.get_absolute_url()
    assert (page.title, page.summary, page.kind, page.licence) == (
        "Jardin partagé",
        "Cultiver ensemble",
        Kind.RECIPE,
        Licence.CC0,
    )
    assert sorted(t.name for t in page.tags.all()) == ["jardin", "partage"]
    assert page.facts == {"needs": ["Des graines", "Un terrain"], "duration": "Une saison"}
    assert page.place is None and page.network is None
    revision = page.current_revision
    assert revision.comment == "Première version" and revision.author == member_a
    assert page.watches.filter(user=member_a).exists()


def test_create_in_a_place_under_a_parent(client_for, member_a, place_a, make_page):
    parent = make_page("Fonctionnement", place=place_a)
    url = reverse("commons:create") + f"?lieu={place_a.slug}&parent={parent.slug}"

    response = client_for(member_a).get(url)
    assert f'<option value="{parent.pk}" selected>Fonctionnement</option>' in html(response)

    response = client_for(member_a).post(url, form_data(title="Horaires", parent=str(parent.pk)))

    page = Page.objects.get(slug="horaires")
    assert response.status_code == 302
    assert page.place == place_a and page.parent == parent


def test_create_a_network_page(client_for, coordinator, network):
    url = reverse("commons:create") + f"?reseau={network.slug}"
    response = client_for(coordinator).post(url, form_data(title="Charte du réseau"))
    assert response.status_code == 302
    assert Page.objects.get(slug="charte-du-reseau").network == network


def test_a_commons_page_is_put_under_a_parent_by_its_title(client_for, member_a, make_page):
    parent = make_page("Guides")
    response = client_for(member_a).post(
        reverse("commons:create"), form_data(title="Guide du compost", parent="guides")
    )
    assert response.status_code == 302
    assert Page.objects.get(slug="guide-du-compost").parent == parent

    response = client_for(member_a).post(
        reverse("commons:create"), form_data(title="Orphelin", parent="Inexistante")
    )
    assert response.status_code == 422
    assert "No page titled “Inexistante” here" in html(response)


# Edit ---------------------------------------------------------------------------------------------


def test_edit_a_page(client_for, member_a, make_page):
    page = make_page("Compost", "Premier jet", kind=Kind.GUIDE, facts={"audience": "Tous"})
    url = reverse("commons:edit", args=[page.slug])

    response = client_for(member_a).get(url)
    text = html(response)
    assert response.status_code == 200
    assert 'name="base" value="1"' in text
    assert "Premier jet</textarea>" in text
    assert 'value="Tous"' in text

    response = client_for(member_a).post(
        url,
        form_data(
            page,
            body="Deuxième jet",
            title="Le compost",
            comment="Plus clair",
            fact_guide_audience="Débutants",
        ),
    )

    page.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("commons:page", args=["le-compost"])
    assert (page.title, page.body, page.revision_number) == ("Le compost", "Deuxième jet", 2)
    assert page.facts == {"audience": "Débutants"}
    assert page.current_revision.comment == "Plus clair"


def test_saving_without_a_change_writes_no_revision(client_for, member_a, make_page):
    page = make_page("Stable")
    response = client_for(member_a).post(
        reverse("commons:edit", args=[page.slug]), form_data(page), follow=True
    )
    assert "Nothing changed" in html(response)
    assert Revision.objects.filter(page=page).count() == 1


def test_edit_moves_a_page_in_its_tree(client_for, member_a, place_a, make_page):
    top = make_page("Haut", place=place_a)
    page = make_page("Bas", place=place_a, parent=top)
    client_for(member_a).post(reverse("commons:edit", args=[page.slug]), form_data(page, parent=""))
    page.refresh_from_db()
    assert page.parent is None

    response = client_for(member_a).post(
        reverse("commons:edit", args=[top.slug]), form_data(top, parent=str(top.pk))
    )
    assert response.status_code == 422  # not under itself


# The edit conflict --------------------------------------------------------------------------------


def test_an_edit_conflict_shows_the_merge_view_then_saving_it_works(
    client_for, member_a, make_user, make_page
):
    body = "# Café\n\nIntro.\n\n- sucre\n- farine\n\nFin."
    page = make_page("Café réparation", body)
    alice, bob = client_for(member_a), client_for(make_user("Bob"))
    url = reverse("commons:edit", args=[page.slug])
    # both open the form at revision 1
    opened = form_data(page)
    assert 'name="base" value="1"' in html(alice.get(url))

    response = alice.post(url, {**opened, "body": body.replace("- sucre", "- miel"),
                                "comment": "Moins de sucre"})  # fmt: skip
    assert response.status_code == 302

    mine = body.replace("- sucre", "- sucre roux").replace("Fin.", "Fin, bon appétit.")
    response = bob.post(url, {**opened, "body": mine, "summary": "Le résumé de Bob"})

    # nothing of Bob's is saved
    page.refresh_from_db()
    assert response.status_code == 409
    assert page.revision_number == 2 and "miel" in page.body and "roux" not in page.body
    assert page.summary == ""
    text = html(response)
    assert "Someone else saved this page" in text
    assert "Member A" in text and "Moins de sucre" in text  # who changed it, and why
    form = response.context["form"]
    merged = form.initial["body"]
    assert form.initial["base"] == "2"  # saving again starts from the current revision
    assert form.initial["merged"] == "1"
    assert form.initial["summary"] == "Le résumé de Bob"
    assert "<<<<<<< your version\n- sucre roux\n=======\n- miel\n>>>>>>> current version" in merged
    assert "Fin, bon appétit." in merged  # Bob's change elsewhere is merged in
    assert "<summary>The current text of the page (revision 2)</summary>" in text
    assert "- miel" in text.split("<summary>The current text")[1]

    # saving the merge with its markers is refused, nothing saved
    post = {**opened, "body": merged, "base": "2", "merged": "1", "summary": "Le résumé de Bob"}
    response = bob.post(url, post)
    assert response.status_code == 422
    assert "still holds conflict markers" in html(response)
    page.refresh_from_db()
    assert page.revision_number == 2

    # once resolved, it saves
    resolved = body.replace("- sucre", "- miel roux").replace("Fin.", "Fin, bon appétit.")
    response = bob.post(url, {**post, "body": resolved})
    page.refresh_from_db()
    assert response.status_code == 302
    assert page.revision_number == 3 and page.body == resolved
    assert page.summary == "Le résumé de Bob"


def test_a_conflict_without_overlap_is_merged_without_markers(client_for, member_a, make_user,
                                                              make_page):  # fmt: skip
    body = "Premier paragraphe.\n\nSecond paragraphe."
    page = make_page("Deux paragraphes", body, tags=["a"])
    opened = form_data(page)
    url = reverse("commons:edit", args=[page.slug])
    client_for(member_a).post(url, {**opened, "body": body.replace("Premier", "1er"),
                                    "tags": "a, b"})  # fmt: skip

    response = client_for(make_user("Bob")).post(
        url, {**opened, "body": body.replace("Second", "2e")}
    )

    assert response.status_code == 409
    form = response.context["form"]
    assert form.initial["body"] == "1er paragraphe.\n\n2e paragraphe."
    assert form.initial["tags"] == "a, b"  # Bob left the tags alone: theirs are kept
    assert response.context["fields_differ"] == []


def test_fields_both_changed_differently_are_named(client_for, member_a, make_user, make_page):
    page = make_page("Résumée", "Texte", summary="Avant", tags=["b", "a"])
    opened = form_data(page)  # the form lists the tags in another order than the revision
    url = reverse("commons:edit", args=[page.slug])
    client_for(member_a).post(url, {**opened, "summary": "Celui d'Alice"})

    response = client_for(make_user("Bob")).post(url, {**opened, "summary": "Celui de Bob"})

    assert response.status_code == 409
    assert response.context["form"].initial["summary"] == "Celui de Bob"
    assert response.context["fields_differ"] == ["summary"]
    assert "You both changed: summary." in html(response)
    assert "both are merged below" in html(response)


def test_the_conflict_view_shows_the_word_diff_when_it_exists(client_for, member_a, make_user,
                                                              make_page):  # fmt: skip
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        from tiers.commons.diffs import word_diff  # noqa: F401

        get_template("commons/_diff.html")
    except (ImportError, TemplateDoesNotExist):
        pytest.skip("the history's diff is not installed")
    page = make_page("Diff", "un deux trois")
    opened = form_data(page)
    url = reverse("commons:edit", args=[page.slug])
    client_for(member_a).post(url, {**opened, "body": "un deux trois quatre"})
    response = client_for(make_user("Bob")).post(url, {**opened, "body": "un DEUX trois"})
    assert response.status_code == 409
    assert response.context["diff"] is not None
    assert "What your version changes in the current text" in html(response)


def test_a_rate_limited_edit_is_a_429_that_keeps_the_text(client_for, member_a, make_page,
                                                          settings):  # fmt: skip
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 1
    settings.COMMONS_EDITS_PER_HOUR = 1
    page = make_page("Limitée")
    services.edit_page(member_a, page, services.PageData(title="Limitée", body="un"),
                       base=page.revision_number)  # fmt: skip

    response = client_for(member_a).post(
        reverse("commons:edit", args=[page.slug]), form_data(page, body="Mon long texte à garder")
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Mon long texte à garder" in html(response)
    page.refresh_from_db()
    assert page.body == "un"

    response = client_for(member_a).post(reverse("commons:create"), form_data(title="Nouvelle"))
    assert response.status_code == 429
    assert not Page.objects.filter(slug="nouvelle").exists()
