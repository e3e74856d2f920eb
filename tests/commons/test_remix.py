"""“Adapter ce commun pour mon lieu”: a page (and its sub-pages) copied into a place with its
attribution, under the licence rules, all or nothing."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from tiers.commons import remix as remix_module
from tiers.commons import services
from tiers.commons.errors import CommonsError
from tiers.commons.licences import Licence
from tiers.commons.models import Attachment, Page, Revision
from tiers.core.ratelimit import RateLimitExceeded

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def adapt(user, source, place, **options):
    options.setdefault("title", "")
    options.setdefault("licence", "")
    options.setdefault("include_children", False)
    options.setdefault("acknowledge_restrictions", False)
    return remix_module.remix(user, source, place, **options)


def change(user, page: Page, **changes) -> None:
    """Edit `page` as `user` (as the site itself: no permission check)."""
    page.refresh_from_db()
    data = services.PageData.of_page(page)
    for name, value in changes.items():
        setattr(data, name, value)
    services.edit_page(user, page, data, base=page.revision_number, check=False)
    page.refresh_from_db()


def attach(page: Page, name: str, data: bytes, content_type: str = "image/png") -> Attachment:
    attachment = Attachment(page=page, name=name, content_type=content_type, size=len(data))
    attachment.file.save("upload.bin", ContentFile(data), save=False)
    attachment.save()
    services.attachments_changed(page)
    return attachment


@pytest.fixture
def author(make_user):
    return make_user("Alice Autrice")


@pytest.fixture
def source(make_page, author, place_b):
    return make_page(
        "Recette du café", "Du **café** pour tous.\n\n[[Fichier:plan.png|Le plan]]",
        author=author, place=place_b, summary="Comment faire le café.", kind="recette",
        tags=["café", "accueil"], facts={"needs": ["Une cafetière"], "duration": "10 min"},
    )  # fmt: skip


# The copy and its attribution ----------------------------------------------------------------


def test_member_adapts_a_page_into_their_place_with_attribution(source, member_a, place_a,
                                                               place_b, author, make_user):  # fmt: skip
    change(make_user("Bob"), source, body="Du **café** pour tous, mieux.")
    copy = adapt(member_a, source, place_a)

    assert copy.place == place_a
    assert copy.title == "Recette du café (Le Quai)"
    assert copy.remixed_from == source
    assert copy.body == source.body
    assert copy.summary == "Comment faire le café."
    assert copy.kind == "recette"
    assert copy.facts == {"needs": ["Une cafetière"], "duration": "10 min"}
    assert sorted(tag.name for tag in copy.tags.all()) == ["accueil", "café"]
    assert copy.licence == Licence.CC_BY_SA
    revision = copy.current_revision
    assert revision is not None
    assert revision.action == Revision.Action.REMIX
    assert revision.author == member_a
    assert revision.comment == gettext("Adapted from “%(title)s” (revision %(number)d)") % {
        "title": "Recette du café", "number": 2,
    }  # fmt: skip
    attribution = copy.attribution
    assert attribution["title"] == "Recette du café"
    assert attribution["slug"] == source.slug
    assert attribution["path"] == source.get_absolute_url()
    assert not attribution["path"].startswith("http")
    assert attribution["licence"] == Licence.CC_BY_SA
    assert attribution["revision"] == 2
    assert attribution["authors"] == ["Alice Autrice", "Bob"]
    assert attribution["owner"] == place_b.name
    assert attribution["owner_kind"] == "place"
    assert attribution["date"] == timezone.localdate().isoformat()
    assert "chain" not in attribution
    # the source did not change
    source.refresh_from_db()
    assert source.place == place_b
    assert source.revision_number == 2


def test_the_remix_view_makes_the_copy_and_goes_to_it(source, member_a, place_a, client_for):
    client = client_for(member_a)
    url = reverse("commons:remix", args=[source.slug])
    page = client.get(url, **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="place"' in html and place_a.name in html
    assert 'name="title"' in html
    response = client.post(url, {"place": place_a.slug, "title": ""}, **EN)
    copy = Page.objects.get(remixed_from=source)
    assert response.status_code == 302
    assert response["Location"] == copy.get_absolute_url()
    assert copy.place == place_a and copy.title == "Recette du café (Le Quai)"


def test_a_chosen_title_is_used_and_a_taken_title_is_a_clear_error(source, member_a, place_a,
                                                                   client_for):  # fmt: skip
    first = adapt(member_a, source, place_a, title="  Notre   café ")
    assert first.title == "Notre café"
    with pytest.raises(CommonsError) as error:
        adapt(member_a, source, place_a, title="Notre café")
    assert error.value.code == "title_taken"
    assert error.value.field == "title"
    response = client_for(member_a).post(
        reverse("commons:remix", args=[source.slug]),
        {"place": place_a.slug, "title": "notre-cafe"}, **EN,
    )  # fmt: skip
    assert response.status_code == 422
    assert "A page with a similar title already exists" in response.content.decode()
    assert Page.objects.filter(remixed_from=source).count() == 1


# Licences ------------------------------------------------------------------------------------


def test_a_share_alike_page_cannot_be_relicensed(source, member_a, place_a):
    before = Page.objects.count()
    for other in (Licence.CC_BY, Licence.CC0, Licence.ETALAB, Licence.CC_BY_NC_SA):
        with pytest.raises(CommonsError) as error:
            adapt(member_a, source, place_a, licence=other, acknowledge_restrictions=True)
        assert error.value.code == "licence_incompatible"
        assert error.value.field == "licence"
        assert "under CC BY-SA 4.0: its adaptations stay under CC BY-SA 4.0" in str(
            error.value.message
        )
    assert Page.objects.count() == before


def test_the_form_of_a_share_alike_page_shows_its_licence_as_fixed(source, member_a, client_for):
    html = client_for(member_a).get(reverse("commons:remix", args=[source.slug]), **EN)
    text = html.content.decode()
    assert 'name="licence"' not in text
    assert "CC BY-SA 4.0" in text and "share-alike" in text


def test_a_cc_by_page_may_become_share_alike_but_not_cc0(make_page, member_a, place_a):
    page = make_page("Charte du lieu", "Texte.", licence=Licence.CC_BY)
    assert remix_module.allowed_licences(page)[0] == Licence.CC_BY
    copy = adapt(member_a, page, place_a, licence=Licence.CC_BY_SA)
    assert copy.licence == Licence.CC_BY_SA
    with pytest.raises(CommonsError) as error:
        adapt(member_a, page, place_a, title="Autre", licence=Licence.CC0)
    assert error.value.code == "licence_incompatible"
    assert "credit its authors" in str(error.value.message)
    with pytest.raises(CommonsError) as error:
        adapt(member_a, page, place_a, title="Encore", licence="gpl")
    assert error.value.code == "invalid_licence"


def test_the_form_offers_the_allowed_licences_and_applies_the_choice(make_page, member_a,
                                                                     place_a, client_for):  # fmt: skip
    page = make_page("Charte du lieu", "Texte.", licence=Licence.CC_BY)
    client = client_for(member_a)
    url = reverse("commons:remix", args=[page.slug])
    html = client.get(url, **EN).content.decode()
    assert f'value="{Licence.CC_BY_SA}"' in html and f'value="{Licence.CC0}"' not in html
    response = client.post(url, {"place": place_a.slug, "licence": Licence.CC0}, **EN)
    assert response.status_code == 422
    assert not Page.objects.filter(remixed_from=page).exists()
    response = client.post(url, {"place": place_a.slug, "licence": Licence.CC_BY_SA}, **EN)
    assert response.status_code == 302
    assert Page.objects.get(remixed_from=page).licence == Licence.CC_BY_SA


def test_a_non_commercial_page_needs_the_acknowledgement(make_page, member_a, place_a,
                                                        client_for):  # fmt: skip
    page = make_page("Atelier vélo", "Texte.", licence=Licence.CC_BY_NC_SA)
    with pytest.raises(CommonsError) as error:
        adapt(member_a, page, place_a)
    assert error.value.code == "licence_restrictions"
    assert "commercial" in str(error.value.message)
    assert not Page.objects.filter(remixed_from=page).exists()

    client = client_for(member_a)
    url = reverse("commons:remix", args=[page.slug])
    html = client.get(url, **EN).content.decode()
    assert "Non-commercial use only." in html
    assert 'name="acknowledge_restrictions"' in html
    response = client.post(url, {"place": place_a.slug}, **EN)
    assert response.status_code == 422
    assert "Confirm that you have read this limit" in response.content.decode()
    assert not Page.objects.filter(remixed_from=page).exists()
    response = client.post(url, {"place": place_a.slug, "acknowledge_restrictions": "on"}, **EN)
    assert response.status_code == 302
    assert Page.objects.get(remixed_from=page).licence == Licence.CC_BY_NC_SA


# Sub-pages -----------------------------------------------------------------------------------


@pytest.fixture
def tree(make_page, place_b):
    root = make_page("Guide du repair café", "Racine.", place=place_b, licence=Licence.CC_BY)
    first = make_page("Accueil des visiteurs", "Un.", place=place_b, parent=root,
                      licence=Licence.CC_BY)  # fmt: skip
    second = make_page("Outils", "Deux.", place=place_b, parent=root, licence=Licence.CC_BY_SA)
    deep = make_page("Fiche sécurité", "Trois.", place=place_b, parent=first,
                     licence=Licence.CC0)  # fmt: skip
    return root, first, second, deep


def test_a_sub_tree_is_copied_with_its_structure_and_licences(tree, member_a, place_a):
    root, first, second, deep = tree
    copy = adapt(member_a, root, place_a, licence=Licence.ETALAB, include_children=True)
    copies = {page.remixed_from_id: page for page in Page.objects.filter(place=place_a)}
    assert len(copies) == 4
    assert copy == copies[root.pk] and copy.parent is None
    assert copies[first.pk].title == "Accueil des visiteurs (Le Quai)"
    assert copies[first.pk].parent == copy
    assert copies[second.pk].parent == copy
    assert copies[deep.pk].parent == copies[first.pk]
    assert copies[deep.pk].title == "Fiche sécurité (Le Quai)"
    # order of the siblings kept
    assert copies[first.pk].position < copies[second.pk].position
    # the chosen licence where allowed; a share-alike sub-page keeps its own
    assert copy.licence == Licence.ETALAB
    assert copies[first.pk].licence == Licence.ETALAB
    assert copies[second.pk].licence == Licence.CC_BY_SA
    assert copies[deep.pk].licence == Licence.ETALAB
    # each copy credits its own source
    assert copies[deep.pk].attribution["title"] == "Fiche sécurité"
    assert copies[deep.pk].remixed_from == deep


def test_without_the_sub_pages_only_the_page_is_copied(tree, member_a, place_a):
    root, *_rest = tree
    adapt(member_a, root, place_a)
    assert Page.objects.filter(place=place_a).count() == 1


def test_one_taken_title_in_the_sub_tree_creates_nothing(tree, member_a, place_a, make_page):
    root, *_rest = tree
    attach(root, "plan.png", b"\x89PNG fake")
    make_page("Outils (Le Quai)", "Déjà là.", place=place_a)
    pages, revisions, files = Page.objects.count(), Revision.objects.count(), _stored_files()
    with pytest.raises(CommonsError) as error:
        adapt(member_a, root, place_a, include_children=True)
    assert error.value.code == "title_taken"
    assert "Outils" in str(error.value.message)
    assert Page.objects.count() == pages
    assert Revision.objects.count() == revisions
    assert Attachment.objects.count() == 1
    assert _stored_files() == files


def test_the_view_shows_the_sub_page_error(tree, member_a, place_a, make_page, client_for):
    root, *_rest = tree
    make_page("Outils (Le Quai)", "Déjà là.", place=place_a)
    client = client_for(member_a)
    url = reverse("commons:remix", args=[root.slug])
    assert "Also adapt its 3 sub-pages" in client.get(url, **EN).content.decode()
    response = client.post(url, {"place": place_a.slug, "licence": Licence.CC_BY,
                                 "include_children": "on"}, **EN)  # fmt: skip
    assert response.status_code == 422
    assert "The sub-page “Outils” cannot be copied" in response.content.decode()
    assert Page.objects.filter(place=place_a).count() == 1


def test_a_non_commercial_sub_page_needs_the_acknowledgement(tree, member_a, place_a,
                                                             make_page):  # fmt: skip
    root, first, *_rest = tree
    make_page("Tarifs", "NC.", place=first.place, parent=first, licence=Licence.CC_BY_NC_SA)
    with pytest.raises(CommonsError) as error:
        adapt(member_a, root, place_a, include_children=True)
    assert error.value.code == "licence_restrictions"
    assert "Tarifs" in str(error.value.message)
    adapt(member_a, root, place_a, include_children=True, acknowledge_restrictions=True)
    copy = Page.objects.get(place=place_a, title="Tarifs (Le Quai)")
    assert copy.licence == Licence.CC_BY_NC_SA


def _stored_files() -> set[str]:
    found: set[str] = set()
    if not default_storage.exists("commons"):
        return found
    folders, _files = default_storage.listdir("commons")
    for folder in folders:
        found |= {f"{folder}/{name}" for name in default_storage.listdir(f"commons/{folder}")[1]}
    return found


# Attachments ---------------------------------------------------------------------------------


def test_attachments_are_copied_as_new_files(source, member_a, place_a, client_for):
    original = attach(source, "plan.png", b"\x89PNG the plan", content_type="image/png")
    original.alt = "Le plan du café"
    original.save(update_fields=["alt"])
    copy = adapt(member_a, source, place_a)
    copied = Attachment.objects.get(page=copy)
    assert copied.name == "plan.png"
    assert copied.alt == "Le plan du café"
    assert copied.content_type == "image/png"
    assert copied.file.name != original.file.name
    with copied.file.open("rb") as handle:
        assert handle.read() == b"\x89PNG the plan"
    # the copy's text shows its own file
    html = services.page_html(Page.objects.get(pk=copy.pk))
    assert reverse("commons:attachment", args=[copy.slug, "plan.png"]) in html
    # deleting the source's file leaves the copy's
    original.file.delete(save=False)
    assert copied.file.storage.exists(copied.file.name)


def test_an_attachment_name_with_slashes_is_stored_safely(source, member_a, place_a):
    attach(source, "../../etc/passwd", b"not really")
    copy = adapt(member_a, source, place_a)
    copied = Attachment.objects.get(page=copy)
    assert copied.name == "../../etc/passwd"
    assert ".." not in copied.file.name
    assert copied.file.name.startswith(f"commons/{copy.pk}/")


def test_a_lost_file_does_not_stop_the_adaptation(source, member_a, place_a):
    original = attach(source, "plan.png", b"data")
    default_storage.delete(original.file.name)
    copy = adapt(member_a, source, place_a)
    assert not Attachment.objects.filter(page=copy).exists()


# Chains and counts ---------------------------------------------------------------------------


def test_an_adaptation_of_an_adaptation_keeps_the_chain(source, member_a, manager_b, place_a,
                                                        place_b):  # fmt: skip
    first = adapt(member_a, source, place_a)
    second = adapt(manager_b, first, place_b)
    assert second.remixed_from == first
    assert second.attribution["title"] == first.title
    assert second.attribution["owner"] == place_a.name
    assert second.attribution["authors"] == ["Member A"]
    chain = second.attribution["chain"]
    assert [item["title"] for item in chain] == ["Recette du café"]
    assert chain[0]["authors"] == ["Alice Autrice"]
    assert "chain" not in chain[0]
    third = adapt(member_a, second, place_a, title="Troisième")
    assert [item["title"] for item in third.attribution["chain"]] == [
        first.title, "Recette du café",
    ]  # fmt: skip


def test_the_source_knows_the_places_that_adapted_it(source, member_a, manager_b, place_a,
                                                     place_b):  # fmt: skip
    adapt(member_a, source, place_a)
    adapt(member_a, source, place_a, title="Une deuxième version")
    adapt(manager_b, source, place_b)
    assert source.adaptations.count() == 3
    assert source.adaptations.values("place").distinct().count() == 2
    assert remix_module.adapted_by(source) == sorted([place_a, place_b], key=lambda p: p.name)


def test_a_commons_page_credits_the_commons_as_owner(make_page, member_a, place_a):
    page = make_page("Page commune", "Texte.")
    copy = adapt(member_a, page, place_a)
    assert copy.attribution["owner_kind"] == "commons"
    assert copy.attribution["owner"] == ""


def test_a_long_title_is_shortened_to_fit_the_place_name(make_page, member_a, place_a):
    page = make_page("x" * 200, "Texte.")
    copy = adapt(member_a, page, place_a)
    assert len(copy.title) <= 200 and copy.title.endswith("… (Le Quai)")


# Permissions ---------------------------------------------------------------------------------


def test_a_member_of_b_cannot_adapt_into_a(source, manager_b, place_a, client_for):
    with pytest.raises(CommonsError) as error:
        adapt(manager_b, source, place_a)
    assert error.value.code == "forbidden"
    client = client_for(manager_b)
    url = reverse("commons:remix", args=[source.slug])
    assert place_a.slug not in client.get(url, **EN).content.decode()
    response = client.post(url, {"place": place_a.slug}, **EN)
    assert response.status_code == 422  # not a choice offered
    assert not Page.objects.filter(remixed_from=source).exists()


def test_anonymous_is_sent_to_log_in(source, client_for):
    url = reverse("commons:remix", args=[source.slug])
    for response in (client_for(None).get(url), client_for(None).post(url, {"place": "x"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert not Page.objects.filter(remixed_from=source).exists()


def test_someone_without_a_place_is_told_to_join_one(source, make_user, client_for):
    loner = make_user("Loner")
    response = client_for(loner).get(reverse("commons:remix", args=[source.slug]), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "join one first" in text
    assert reverse("places:directory") in text
    assert '<form method="post" class="form"' not in text


def test_an_unverified_account_is_told_to_confirm_its_address(source, make_user, place_a,
                                                             client_for):  # fmt: skip
    from tiers.places.models import Membership

    person = make_user("Unverified", verified=False)
    Membership.objects.create(user=person, place=place_a, started_on=timezone.localdate(),
                              state=Membership.State.ACTIVE)  # fmt: skip
    response = client_for(person).get(reverse("commons:remix", args=[source.slug]), **EN)
    assert "Confirm your e-mail address first" in response.content.decode()


def test_too_many_changes_answer_429(source, member_a, place_a, client_for, settings):
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 0
    with pytest.raises(RateLimitExceeded):
        adapt(member_a, source, place_a)
    response = client_for(member_a).post(
        reverse("commons:remix", args=[source.slug]), {"place": place_a.slug}, **EN
    )
    assert response.status_code == 429
    assert response["Retry-After"]
    assert not Page.objects.filter(remixed_from=source).exists()


def test_unknown_page_is_404_and_an_old_title_redirects(source, member_a, client_for):
    client = client_for(member_a)
    assert client.get(reverse("commons:remix", args=["nope"])).status_code == 404
    change(member_a, source, title="Café")
    response = client.get(reverse("commons:remix", args=["recette-du-cafe"]))
    assert response.status_code == 301
    assert response["Location"] == reverse("commons:remix", args=["cafe"])


def test_the_form_escapes_the_source_title(make_page, member_a, client_for):
    page = make_page('Titre "><script>alert(1)</script>', "Texte.")
    text = client_for(member_a).get(reverse("commons:remix", args=[page.slug]), **EN)
    assert "<script>alert(1)</script>" not in text.content.decode()
