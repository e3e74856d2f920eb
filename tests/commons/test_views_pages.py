"""Reading the commons: the home, a page with everything around its text (breadcrumbs,
licence, facts, tags, files, sub-pages, adaptations, uses, tools), tags, a place's and a
network's documentation tree with its reordering, the sections on the place and network
pages, following and protecting a page, and its discussion."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiers.commons import services
from tiers.commons.facts import Kind
from tiers.commons.licences import Licence
from tiers.commons.models import Comment, Page, PageUse, Watch

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


def page_url(page: Page) -> str:
    return reverse("commons:page", args=[page.slug])


def adapt(source: Page, title: str, place, attribution: dict | None = None) -> Page:
    """An adaptation as the remix writes it (the remix itself is tested elsewhere)."""
    return services.create_page(
        None, services.PageData(title=title, body=source.body), place=place,
        remixed_from=source, attribution=attribution or {"title": source.title}, check=False,
    )  # fmt: skip


# The home and tags ------------------------------------------------------------------------------


def test_the_home_has_search_recent_pages_tags_and_links(client_for, make_page, member_a):
    make_page("Monter un repair café", summary="Pas à pas", tags=["réparation", "café"])
    make_page("Gouvernance partagée", tags=["gouvernance"])

    response = client_for(None).get(reverse("commons:index"))

    assert response.status_code == 200
    text = html(response)
    assert f'action="{reverse("commons:search")}"' in text
    assert 'name="q"' in text
    assert "Monter un repair café" in text and "Pas à pas" in text
    assert reverse("commons:tag", args=["reparation"]) in text
    assert reverse("commons:recent") in text and reverse("commons:wanted") in text
    assert reverse("commons:create") not in text  # anonymous: a link to log in instead
    assert "Log in to write" in text

    text = html(client_for(member_a).get(reverse("commons:index")))
    assert reverse("commons:create") in text


def test_a_tag_lists_its_pages_paginated(client_for, make_page):
    for number in range(35):
        make_page(f"Fiche {number:02d}", tags=["atelier"])
    make_page("Sans étiquette")

    response = client_for(None).get(reverse("commons:tag", args=["atelier"]))
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 35
    assert "Fiche 00" in html(response) and "Sans étiquette" not in html(response)
    second = client_for(None).get(reverse("commons:tag", args=["atelier"]) + "?page=2")
    assert [p.title for p in second.context["page_obj"]] == [f"Fiche {n}" for n in range(30, 35)]
    assert client_for(None).get(reverse("commons:tag", args=["inconnue"])).status_code == 404


# A page -----------------------------------------------------------------------------------------


def test_a_page_shows_its_text_licence_facts_tags_and_last_change(client_for, make_page, member_a):
    page = make_page(
        "Recette du pain", "Il faut [[Levain]] et [[Farine|de la farine]].\n\n## Étapes",
        author=member_a, summary="Un pain simple", kind=Kind.RECIPE, licence=Licence.CC_BY,
        tags=["cuisine"], facts={"needs": ["farine", "eau"], "duration": "3 heures"},
    )  # fmt: skip
    make_page("Farine")

    response = client_for(None).get(page_url(page))

    assert response.status_code == 200
    text = html(response)
    assert "<h1" in text and "Recette du pain</h1>" in text
    assert "Un pain simple" in text
    assert "Recipe / social code" in text
    # licence: badge, link, full name
    assert "commons/licences/cc-by.svg" in text
    assert "https://creativecommons.org/licenses/by/4.0/deed.fr" in text
    assert "Creative Commons Attribution 4.0 International" in text
    # facts box
    assert "What you need" in text and "<li>farine</li>" in text and "3 heures" in text
    # wiki links: an existing page, and one to create
    assert f'class="wikilink" href="{reverse("commons:page", args=["farine"])}"' in text
    assert 'class="wikilink wikilink--new"' in text and "titre=Levain" in text
    assert '<h2 id="etapes">' in text or "<h2" in text
    assert reverse("commons:tag", args=["cuisine"]) in text
    assert "Last changed by Member A" in text
    for name in ("history", "discussion", "backlinks", "export_markdown", "export_zip",
                 "print", "qr_svg", "poster"):  # fmt: skip
        assert reverse(f"commons:{name}", args=[page.slug]) in text
    # anonymous: nothing to write with
    assert reverse("commons:edit", args=[page.slug]) not in text
    assert reverse("commons:watch", args=[page.slug]) not in text
    assert reverse("commons:remix", args=[page.slug]) not in text


def test_breadcrumbs_follow_the_owner_and_the_parents(client_for, make_page, place_a):
    top = make_page("Accueil du lieu", place=place_a)
    middle = make_page("Fonctionnement", place=place_a, parent=top)
    low = make_page("Conciergerie", place=place_a, parent=middle)
    lowest = make_page("Planning", place=place_a, parent=low)
    deepest = make_page("Samedi", place=place_a, parent=lowest)

    text = html(client_for(None).get(page_url(deepest)))

    nav = text.split('class="meta breadcrumbs"')[1].split("</nav>")[0]
    positions = [nav.index(name) for name in
                 ("Le Quai", "Accueil du lieu", "Fonctionnement", "Conciergerie", "Planning")]  # fmt: skip
    assert positions == sorted(positions)
    assert reverse("commons:place_tree", args=[place_a.slug]) in nav
    assert 'aria-current="page">Samedi' in nav


def test_a_page_lists_sub_pages_files_and_the_discussion_count(client_for, make_page, member_a):
    page = make_page("Guide")
    make_page("Chapitre 2", parent=page)
    make_page("Chapitre 1", parent=page)
    services.reorder(member_a, list(Page.objects.filter(parent=page).order_by("-title")))
    services.add_comment(member_a, page, "Une question")
    hidden = services.add_comment(member_a, page, "Spam")
    Comment.objects.filter(pk=hidden.pk).update(hidden=True)

    text = html(client_for(None).get(page_url(page)))

    assert text.index("Chapitre 2") < text.index("Chapitre 1")  # by position
    assert "Discussion (1 message)" in text


def test_an_unknown_page_is_404_and_an_old_title_redirects(client_for, make_page, member_a):
    page = make_page("Ancien titre")
    services.edit_page(member_a, page, services.PageData(title="Nouveau titre", body="x"),
                       base=page.revision_number)  # fmt: skip

    assert client_for(None).get(reverse("commons:page", args=["inconnue"])).status_code == 404
    response = client_for(None).get(reverse("commons:page", args=["ancien-titre"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("commons:page", args=["nouveau-titre"])


def test_the_page_view_reads_few_queries_whatever_the_page_holds(
    client_for, make_page, member_a, place_a, django_assert_max_num_queries
):
    def build(title: str, size: int) -> Page:
        page = make_page(title, "[[A]] [[B]] [[C]]", place=place_a, kind=Kind.COMMONS,
                         tags=[f"t{n}" for n in range(size)])  # fmt: skip
        for n in range(size):
            make_page(f"{title} enfant {n}", place=place_a, parent=page)
            adapt(page, f"{title} adaptation {n}", place_a if n % 2 else None)
            Comment.objects.create(page=page, author=member_a, body=f"Message {n}")
        return page

    small, big = build("Petite", 1), build("Grande", 15)
    for page in (small, big):
        client_for(None).get(page_url(page))  # the HTML is rendered once, then kept
        assert Page.objects.get(pk=page.pk).html

    anonymous, member = client_for(None), client_for(member_a)
    services.watch(member_a, big)
    for page in (small, big):
        with django_assert_max_num_queries(7):
            assert anonymous.get(page_url(page)).status_code == 200
        with django_assert_max_num_queries(15):
            assert member.get(page_url(page)).status_code == 200


def test_the_rendered_html_is_kept_and_redone_after_an_edit(client_for, make_page, member_a):
    page = make_page("Cache", "Premier texte")
    client_for(None).get(page_url(page))
    Page.objects.filter(pk=page.pk).update(html="<p>from the cache</p>")
    assert "from the cache" in html(client_for(None).get(page_url(page)))

    services.edit_page(member_a, page, services.PageData(title="Cache", body="Second texte"),
                       base=page.revision_number)  # fmt: skip
    text = html(client_for(None).get(page_url(page)))
    assert "Second texte" in text and "from the cache" not in text


def test_an_adaptation_credits_its_source_and_the_source_counts_its_places(
    client_for, make_page, place_a, place_b
):
    source = make_page("Repair café", licence=Licence.CC_BY_SA)
    attribution = {
        "title": "Repair café", "path": source.get_absolute_url(), "licence": "cc-by-sa-4.0",
        "revision": 1, "authors": ["Alice", "Bob"],
    }  # fmt: skip
    adapt(source, "Repair café du Quai", place_a, attribution)
    adapt(source, "Repair café du Quai 2", place_a, attribution)
    adaptation = adapt(source, "Repair café de la Fabrique", place_b, attribution)

    text = html(client_for(None).get(page_url(source)))
    assert "Adapted by 2 places" in text
    assert "Le Quai" in text and "La Fabrique" in text

    text = html(client_for(None).get(page_url(adaptation)))
    box = text.split('class="attribution"')[1].split("</aside>")[0]
    assert f'href="{source.get_absolute_url()}">Repair café</a>' in box
    assert "Alice, Bob" in box and "CC BY-SA 4.0" in box


def test_tools_for_editors_moderators_and_writers(client_for, make_page, member_a, manager_a,
                                                  place_a):  # fmt: skip
    page = make_page("Règlement", place=place_a)

    text = html(client_for(member_a).get(page_url(page)))
    assert reverse("commons:edit", args=[page.slug]) in text
    assert reverse("commons:remix", args=[page.slug]) in text
    assert reverse("commons:watch", args=[page.slug]) in text
    assert reverse("commons:protect", args=[page.slug]) not in text  # members do not moderate
    assert f"parent={page.slug}" in text

    text = html(client_for(manager_a).get(page_url(page)))
    assert reverse("commons:protect", args=[page.slug]) in text


# Watch, protect, use ----------------------------------------------------------------------------


def test_follow_and_stop_following(client_for, make_page, member_a):
    page = make_page("Suivie")
    client = client_for(member_a)

    assert client.get(reverse("commons:watch", args=[page.slug])).status_code == 405
    client.post(reverse("commons:watch", args=[page.slug]), {"watch": "1"})
    assert Watch.objects.filter(user=member_a, page=page).exists()
    assert "Stop following" in html(client.get(page_url(page)))
    client.post(reverse("commons:watch", args=[page.slug]), {"watch": "0"})
    assert not Watch.objects.filter(user=member_a, page=page).exists()

    response = client_for(None).post(reverse("commons:watch", args=[page.slug]), {"watch": "1"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_opening_a_watched_page_marks_it_seen(client_for, make_page, member_a):
    from django.utils import timezone

    page = make_page("Vue")
    services.watch(member_a, page)
    Watch.objects.filter(user=member_a, page=page).update(notified_at=timezone.now())

    client_for(member_a).get(page_url(page))

    assert Watch.objects.get(user=member_a, page=page).notified_at is None


def test_moderators_protect_and_unprotect(client_for, make_page, member_a, manager_a, place_a):
    page = make_page("Charte", place=place_a)
    url = reverse("commons:protect", args=[page.slug])

    assert client_for(member_a).post(url, {"protected": "1"}).status_code == 403
    client_for(manager_a).post(url, {"protected": "1"})
    page.refresh_from_db()
    assert page.protected
    assert "Protected" in html(client_for(None).get(page_url(page)))
    client_for(manager_a).post(url, {"protected": "0"})
    page.refresh_from_db()
    assert not page.protected


def test_a_place_manager_says_the_place_uses_a_commons(client_for, make_page, manager_a,
                                                       member_a, place_a):  # fmt: skip
    commons = make_page("Outil de réservation libre", kind=Kind.COMMONS)
    url = reverse("commons:use", args=[commons.slug])

    text = html(client_for(manager_a).get(page_url(commons)))
    assert "Our place uses it (Le Quai)" in text
    assert "No place says it uses it yet." in text

    client_for(manager_a).post(
        url, {"lieu": place_a.slug, "action": "add", "note": "Tous les jours"}
    )
    use = PageUse.objects.get(page=commons, place=place_a)
    assert use.note == "Tous les jours"
    text = html(client_for(None).get(page_url(commons)))
    assert "Le Quai" in text and "Tous les jours" in text

    assert (
        client_for(member_a).post(url, {"lieu": place_a.slug, "action": "remove"}).status_code
        == 403
    )
    client_for(manager_a).post(url, {"lieu": place_a.slug, "action": "remove"})
    assert not PageUse.objects.filter(page=commons).exists()

    recipe = make_page("Une recette", kind=Kind.RECIPE)
    response = client_for(manager_a).post(
        reverse("commons:use", args=[recipe.slug]), {"lieu": place_a.slug, "action": "add"}
    )
    assert response.status_code == 404


# Discussion -------------------------------------------------------------------------------------


def test_the_discussion_shows_messages_and_takes_new_ones(client_for, make_page, member_a,
                                                          manager_a, place_a):  # fmt: skip
    page = make_page("Débattue", place=place_a)
    services.add_comment(member_a, page, "**Bonjour**, une question", "Horaires")
    hidden = services.add_comment(member_a, page, "Message masqué")
    Comment.objects.filter(pk=hidden.pk).update(hidden=True)
    url = reverse("commons:discussion", args=[page.slug])

    text = html(client_for(None).get(url))
    assert "<strong>Bonjour</strong>" in text and "Horaires" in text
    assert "Message masqué" not in text
    assert "Log in to take part" in text
    assert "Message masqué" in html(client_for(manager_a).get(url))  # a moderator

    response = client_for(member_a).post(url, {"topic": "Idée", "body": "Et si *on* ouvrait ?"})
    assert response.status_code == 302
    comment = Comment.objects.get(topic="Idée")
    assert response["Location"].endswith(f"#message-{comment.pk}")

    response = client_for(member_a).post(url, {"body": "  "})
    assert response.status_code == 422
    assert "Write a message." in html(response)

    response = client_for(None).post(url, {"body": "Anonyme"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not Comment.objects.filter(body="Anonyme").exists()


def test_too_many_messages_is_a_429_that_keeps_the_text(client_for, make_page, member_a, settings):
    settings.COMMONS_EDITS_PER_HOUR = 1
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 1
    page = make_page("Bavarde")
    url = reverse("commons:discussion", args=[page.slug])
    client_for(member_a).post(url, {"body": "Un"})

    response = client_for(member_a).post(url, {"body": "Deux, à garder"})

    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Deux, à garder" in html(response)
    assert Comment.objects.filter(page=page).count() == 1


# Trees and sections -----------------------------------------------------------------------------


def test_a_place_tree_nests_pages_and_its_editors_reorder_them(client_for, make_page, member_a,
                                                               manager_b, place_a):  # fmt: skip
    first = make_page("Premier", place=place_a)
    second = make_page("Second", place=place_a)
    make_page("Sous-page", place=place_a, parent=first)
    make_page("Ailleurs")  # the commons: not in the place's tree
    url = reverse("commons:place_tree", args=[place_a.slug])

    response = client_for(None).get(url)
    text = html(response)
    assert response.status_code == 200
    assert text.index("Premier") < text.index("Sous-page") < text.index("Second")
    assert text.count('<ul class="page-tree">') == 2  # the sub-page is a nested list
    assert "Ailleurs" not in text
    assert 'name="direction"' not in text  # no reordering for visitors

    text = html(client_for(member_a).get(url))
    assert 'name="direction" value="down"' in text
    assert f"{reverse('commons:create')}?lieu={place_a.slug}" in text

    response = client_for(member_a).post(url, {"page": second.pk, "direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#page-{second.pk}")
    assert list(
        Page.objects.filter(place=place_a, parent=None)
        .order_by("position")
        .values_list("title", flat=True)
    ) == ["Second", "Premier"]

    assert client_for(manager_b).post(url, {"page": first.pk, "direction": "up"}).status_code == 403
    response = client_for(None).post(url, {"page": first.pk, "direction": "up"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client_for(member_a).post(url, {"page": "x", "direction": "up"}).status_code == 404


def test_a_network_tree(client_for, make_page, network, member_a):
    make_page("Charte du réseau", network=network)
    url = reverse("commons:network_tree", args=[network.slug])
    text = html(client_for(member_a).get(url))  # member of a place of the network
    assert "Charte du réseau" in text
    assert f"?reseau={network.slug}" in text
    assert client_for(None).get(reverse("commons:network_tree", args=["x"])).status_code == 404


def test_the_place_page_shows_its_documentation(client_for, make_page, place_a, place_b, member_a):
    make_page("Accueil du Quai", place=place_a, summary="Bienvenue")
    place_url = place_a.get_absolute_url()

    text = html(client_for(None).get(place_url))
    assert "Accueil du Quai" in text
    assert reverse("commons:place_tree", args=[place_a.slug]) in text

    # no pages: nothing for visitors, the way to start for members
    assert "commons-pages-title" not in html(client_for(None).get(place_b.get_absolute_url()))
    member_b_text = html(client_for(member_a).get(place_b.get_absolute_url()))
    assert "commons-pages-title" not in member_b_text


def test_the_network_page_shows_its_documentation(client_for, make_page, network, coordinator):
    assert "commons-pages-title" not in html(client_for(None).get(network.get_absolute_url()))
    text = html(client_for(coordinator).get(network.get_absolute_url()))
    assert f"?reseau={network.slug}" in text
    make_page("Charte du réseau", network=network)
    assert "Charte du réseau" in html(client_for(None).get(network.get_absolute_url()))


def test_moderators_hide_and_show_discussion_messages(make_page, member_a, manager_a, client_for):
    from tiers.commons.models import Comment

    page = make_page("Page du Quai", place=member_a.memberships.first().place)
    comment = services.add_comment(member_a, page, "Message déplacé")
    url = reverse("commons:discussion", args=[page.slug])
    assert client_for(member_a).post(url, {"hide": comment.pk}).status_code == 403
    response = client_for(manager_a).post(url, {"hide": comment.pk})
    assert response.status_code == 302
    assert Comment.objects.get(pk=comment.pk).hidden
    assert "Message déplacé" not in client_for(None).get(url).content.decode()
    assert "Message déplacé" in client_for(manager_a).get(url).content.decode()
    client_for(manager_a).post(url, {"show": comment.pk})
    assert not Comment.objects.get(pk=comment.pk).hidden
    assert client_for(manager_a).post(url, {"hide": "x"}).status_code == 404


def test_a_request_too_large_to_read_gets_a_page(client_for, member_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(member_a).post(reverse("commons:create"), {"body": "é" * 2000})
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_ancestors_come_top_first_three_levels_a_query_and_stop_at_a_loop(
    make_page, django_assert_num_queries
):
    from tiers.commons.models import Page

    pages = [make_page("Niveau 0", "x")]
    for level in range(1, 6):
        pages.append(make_page(f"Niveau {level}", "x", parent=pages[-1]))
    deepest = Page.objects.get(pk=pages[-1].pk)
    with django_assert_num_queries(2):
        assert [p.title for p in deepest.ancestors()] == [f"Niveau {n}" for n in range(5)]
    assert [p.title for p in deepest.ancestors(limit=2)] == ["Niveau 3", "Niveau 4"]
    assert Page.objects.get(pk=pages[0].pk).ancestors() == []
    Page.objects.filter(pk=pages[0].pk).update(parent=pages[3])  # a loop the data may hold
    chain = Page.objects.get(pk=pages[5].pk).ancestors()
    assert [p.title for p in chain] == ["Niveau 0", "Niveau 1", "Niveau 2", "Niveau 3", "Niveau 4"][
        -len(chain) :
    ]
    assert len({p.pk for p in chain}) == len(chain)
