"""Who may write what, as personas: everybody reads; the commons is a wiki for anyone signed
in with a confirmed e-mail; a place's pages are its members'; a network's pages its places'
members'; a protected page its moderators' only. Refusals change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiers.commons import services
from tiers.commons.licences import Licence
from tiers.commons.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def post_edit(client, page: Page, body: str):
    page.refresh_from_db()
    return client.post(
        reverse("commons:edit", args=[page.slug]),
        {
            "title": page.title,
            "kind": page.kind,
            "licence": page.licence,
            "body": body,
            "base": str(page.revision_number),
        },
    )


def body_of(page: Page) -> str:
    page.refresh_from_db()
    return page.body


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_anonymous_reads_everything_but_writes_nothing(client_for, make_page, place_a):
    page = make_page("Lisible", "Texte", place=place_a)
    client = client_for(None)
    for name in ("page", "history", "discussion", "attachments"):
        assert client.get(reverse(f"commons:{name}", args=[page.slug])).status_code == 200
    assert client.get(reverse("commons:place_tree", args=[place_a.slug])).status_code == 200

    assert is_login_redirect(client.get(reverse("commons:edit", args=[page.slug])))
    assert is_login_redirect(post_edit(client, page, "Vandale"))
    assert is_login_redirect(client.get(reverse("commons:create")))
    assert is_login_redirect(client.post(reverse("commons:create"), {"title": "Anonyme"}))
    assert is_login_redirect(client.post(reverse("commons:protect", args=[page.slug])))
    assert is_login_redirect(client.post(reverse("commons:discussion", args=[page.slug]),
                                         {"body": "x"}))  # fmt: skip
    assert is_login_redirect(client.post(reverse("commons:attachments", args=[page.slug])))
    assert body_of(page) == "Texte"
    assert not Page.objects.filter(slug="anonyme").exists()


def test_a_member_of_b_cannot_edit_a_place_page_of_a(client_for, make_page, make_user, place_a,
                                                     place_b, manager_b):  # fmt: skip
    from tests.conftest import _member

    member_b = make_user("Member B")
    _member(member_b, place_b)
    page = make_page("Règles du Quai", "Texte", place=place_a)
    for person in (member_b, manager_b):
        client = client_for(person)
        assert client.get(reverse("commons:edit", args=[page.slug])).status_code == 403
        assert post_edit(client, page, "Changé par B").status_code == 403
        response = client.get(reverse("commons:create") + f"?lieu={place_a.slug}")
        assert response.status_code == 403
        response = client.post(reverse("commons:create") + f"?lieu={place_a.slug}",
                               {"title": "Page de B", "kind": "page", "licence": Licence.CC_BY_SA})  # fmt: skip
        assert response.status_code == 403
        assert (
            "Edit"
            not in client.get(page.get_absolute_url())
            .content.decode()
            .split('class="page-tools"')[1]
            .split("</nav>")[0]
        )
    assert body_of(page) == "Texte"
    assert not Page.objects.filter(slug="page-de-b").exists()


@pytest.mark.parametrize(
    "persona", ["member_a", "concierge_a", "manager_a", "coordinator", "admin"]
)
def test_people_of_a_and_its_network_edit_a_place_page(request, client_for, make_page, place_a,
                                                       persona):  # fmt: skip
    user = request.getfixturevalue(persona)
    page = make_page("Règles du Quai", "Texte", place=place_a)
    assert post_edit(client_for(user), page, f"Changé par {persona}").status_code == 302
    assert body_of(page) == f"Changé par {persona}"


def test_anyone_verified_edits_the_commons_but_not_the_unverified(client_for, make_page,
                                                                  make_user):  # fmt: skip
    page = make_page("Wiki", "Texte")
    newcomer = make_user("Newcomer")
    assert post_edit(client_for(newcomer), page, "Amélioré").status_code == 302
    assert body_of(page) == "Amélioré"

    unverified = make_user("Unverified", verified=False)
    response = post_edit(client_for(unverified), page, "Pas encore")
    assert response.status_code == 403
    assert "confirm your e-mail address" in response.content.decode()
    assert client_for(unverified).get(reverse("commons:create")).status_code == 403
    assert body_of(page) == "Amélioré"


def test_a_protected_page_is_edited_by_its_moderators_only(client_for, make_page, member_a,
                                                           manager_a, coordinator, place_a,
                                                           make_user):  # fmt: skip
    page = make_page("Charte", "Texte", place=place_a)
    services.set_protected(manager_a, page, True)
    assert post_edit(client_for(member_a), page, "Membre").status_code == 403
    assert body_of(page) == "Texte"
    assert post_edit(client_for(manager_a), page, "Gestionnaire").status_code == 302
    assert post_edit(client_for(coordinator), page, "Coordination").status_code == 302
    assert body_of(page) == "Coordination"

    commons = make_page("Charte des communs", "Texte")
    services.set_protected(coordinator, commons, True)
    assert post_edit(client_for(make_user("Anyone")), commons, "x").status_code == 403
    assert post_edit(client_for(coordinator), commons, "Par la coordination").status_code == 302


def test_network_pages_are_written_by_the_network_members(client_for, make_page, network,
                                                          member_a, manager_b, coordinator):  # fmt: skip
    page = make_page("Charte du réseau", "Texte", network=network)
    assert post_edit(client_for(manager_b), page, "B").status_code == 403  # B is not in it
    assert post_edit(client_for(member_a), page, "A").status_code == 302
    assert post_edit(client_for(coordinator), page, "Coordination").status_code == 302
    assert body_of(page) == "Coordination"
    url = reverse("commons:create") + f"?reseau={network.slug}"
    assert client_for(manager_b).get(url).status_code == 403
    assert client_for(member_a).get(url).status_code == 200


def test_unknown_owners_are_404(client_for, member_a):
    assert (
        client_for(member_a).get(reverse("commons:create") + "?lieu=nulle-part").status_code == 404
    )
    assert client_for(member_a).get(reverse("commons:create") + "?reseau=aucun").status_code == 404


def test_writes_are_post_only(client_for, make_page, manager_a, place_a):
    page = make_page("Get", place=place_a)
    client = client_for(manager_a)
    for name in ("protect", "watch", "use"):
        assert client.get(reverse(f"commons:{name}", args=[page.slug])).status_code == 405
    page.refresh_from_db()
    assert not page.protected
