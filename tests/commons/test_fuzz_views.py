"""Every address of the commons (search and the API aside, tested on their own), as every
persona, fed hostile input: huge strings, NUL bytes, numbers that are not numbers, repeated
keys, unknown or odd slugs, path traversal in file names, other people's revisions, double
submits, posts without a CSRF token, missing fields, wrong methods.

Whatever is sent: never a 5xx; a write that is refused answers with the right status
(302 to the login page, 400, 403, 404, 405, 409, 422, 429) and changes nothing in the
database (row counts, each page's revision number, protection and place in its tree, the
hidden flags, the watches, the uses)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone
from PIL import Image

from tiers.accounts.models import User
from tiers.commons import attachments, services, wanted
from tiers.commons import urls as commons_urls
from tiers.commons.errors import CommonsError
from tiers.commons.facts import Kind
from tiers.commons.licences import Licence
from tiers.commons.models import (
    Attachment,
    Comment,
    FeedKey,
    Page,
    PageAlias,
    PageLink,
    PageUse,
    Revision,
    Tag,
    Watch,
)
from tiers.places.models import Membership

from .conftest import edit

pytestmark = pytest.mark.django_db

HUGE = "x" * (1024 * 1024)
NUL = "a\x00b"
PERSONAS = ["anonymous", "member_a", "member_b", "manager_a", "coordinator", "staff", "unverified"]
NOT_TESTED_HERE = {"search"}
"""Tested by their own suites."""


def png(name: str = "plan.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 90, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class World:
    """The places, people and pages every test below acts on."""

    def __init__(self, **items: Any) -> None:
        self.__dict__.update(items)

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self, persona)


@pytest.fixture
def world(make_user, make_page, place_a, place_b, network, member_a, manager_a, coordinator):
    member_b = make_user("Member B")
    Membership.objects.create(
        user=member_b, place=place_b, started_on=timezone.localdate(),
        state=Membership.State.ACTIVE, status=Membership.Status.USER,
    )  # fmt: skip
    unverified = make_user("Unverified", verified=False)
    Membership.objects.create(
        user=unverified, place=place_a, started_on=timezone.localdate(),
        state=Membership.State.ACTIVE, status=Membership.Status.USER,
    )  # fmt: skip
    staff = make_user("Staff", is_staff=True)
    author = make_user("Author")
    common = make_page("Page commune", "Voir [[Fiche du quai]] et [[Page manquante]].",
                       author=author, tags=["partage"])  # fmt: skip
    sheet = make_page(
        "Fiche du quai", "Texte **un**.", author=author, place=place_a, kind=Kind.COMMONS,
        tags=["partage"],
    )  # fmt: skip
    child = make_page("Sous-page du quai", "Enfant.", author=author, place=place_a, parent=sheet)
    sibling = make_page("Autre page du quai", "Soeur.", author=author, place=place_a)
    edit(member_a, sheet, body="Texte **deux**.", comment="deuxième")
    edit(member_a, sheet, body="Texte **trois** secret.", comment="troisième")
    edit(member_a, sheet, body="Texte **quatre**.", comment="quatrième")
    services.hide_revision(manager_a, sheet.revisions.get(number=3), hidden=True, reason="privé")
    page_b = make_page("Page de la fabrique", "B.", author=author, place=place_b)
    make_page("Autre page de la fabrique", "B2.", author=author, place=place_b)
    page_n = make_page("Page du réseau", "N.", author=author, network=network)
    page_n2 = make_page("Autre page du réseau", "N2.", author=author, network=network)
    attachments.attach(manager_a, sheet, png(), "Un plan")
    comment = services.add_comment(author, sheet, "Une question", "Sujet")
    key = FeedKey.objects.create(user=member_a, key=FeedKey.new_key())
    services.watch(member_a, sheet)
    for page in (common, sheet, child, sibling, page_b, page_n):
        page.refresh_from_db()
    return World(
        anonymous=None, member_a=member_a, member_b=member_b, manager_a=manager_a,
        coordinator=coordinator, staff=staff, unverified=unverified, author=author,
        place_a=place_a, place_b=place_b, network=network, common=common, sheet=sheet,
        child=child, sibling=sibling, page_b=page_b, page_n=page_n, page_n2=page_n2,
        comment=comment, key=key,
    )  # fmt: skip


MODELS = (Page, Revision, PageAlias, PageLink, Attachment, Comment, Watch, FeedKey, PageUse, Tag)


def snapshot() -> dict[str, Any]:
    """What a refused write must leave as it was."""
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "pages": sorted(
            Page.objects.values_list(
                "pk", "slug", "revision_number", "protected", "parent_id", "position", "title"
            )
        ),
        "hidden": sorted(Revision.objects.filter(hidden=True).values_list("pk", flat=True)),
        "comments": sorted(Comment.objects.values_list("pk", "hidden")),
        "watches": sorted(Watch.objects.values_list("user_id", "page_id", "email")),
        "keys": sorted(FeedKey.objects.values_list("user_id", "key")),
        "uses": sorted(PageUse.objects.values_list("page_id", "place_id", "note")),
    }


def client(user: User | None, *, csrf: bool = False) -> Client:
    made = Client(
        enforce_csrf_checks=csrf, raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en"
    )
    if user is not None:
        made.force_login(user)
    return made


def addresses(w: World) -> dict[str, str]:
    """One address per URL name, on place A's commons sheet where a page is needed."""
    s = w.sheet.slug
    return {
        "index": reverse("commons:index"),
        "create": reverse("commons:create"),
        "tag": reverse("commons:tag", args=["partage"]),
        "recent": reverse("commons:recent"),
        "recent_rss": reverse("commons:recent_rss"),
        "recent_atom": reverse("commons:recent_atom"),
        "wanted": reverse("commons:wanted"),
        "watchlist": reverse("commons:watchlist"),
        "watchlist_feed": reverse("commons:watchlist_feed", args=[w.key.key]),
        "contributions": reverse("commons:contributions", args=[w.member_a.pk]),
        "page": reverse("commons:page", args=[s]),
        "edit": reverse("commons:edit", args=[s]),
        "protect": reverse("commons:protect", args=[s]),
        "watch": reverse("commons:watch", args=[s]),
        "discussion": reverse("commons:discussion", args=[s]),
        "attachments": reverse("commons:attachments", args=[s]),
        "attachment": reverse("commons:attachment", args=[s, "plan.png"]),
        "attachment_delete": reverse("commons:attachment_delete", args=[s, "plan.png"]),
        "use": reverse("commons:use", args=[s]),
        "history": reverse("commons:history", args=[s]),
        "page_atom": reverse("commons:page_atom", args=[s]),
        "revision": reverse("commons:revision", args=[s, 2]),
        "revert": reverse("commons:revert", args=[s, 2]),
        "hide": reverse("commons:hide", args=[s, 2]),
        "diff": reverse("commons:diff", args=[s]),
        "rollback": reverse("commons:rollback", args=[s]),
        "backlinks": reverse("commons:backlinks", args=[s]),
        "remix": reverse("commons:remix", args=[s]),
        "export_markdown": reverse("commons:export_markdown", args=[s]),
        "export_zip": reverse("commons:export_zip", args=[s]),
        "print": reverse("commons:print", args=[s]),
        "qr_svg": reverse("commons:qr_svg", args=[s]),
        "qr_png": reverse("commons:qr_png", args=[s]),
        "poster": reverse("commons:poster", args=[s]),
        "place_tree": reverse("commons:place_tree", args=[w.place_a.slug]),
        "network_tree": reverse("commons:network_tree", args=[w.network.slug]),
    }


HOSTILE_QUERIES = [
    "?de=x&a=1e99",
    "?de=-1&a=-5",
    "?de=99999999999999999999&a=1",
    "?de=2&a=3",  # 3 is hidden
    "?taille=-1",
    "?taille=99999999999",
    "?page=999999999999",
    "?page=-3",
    "?page=x",
    "?page=1&page=2&page=abc",
    "?kind=x&kind=y&lieu=nope&reseau=%00&sans_imports=%00",
    "?lieu=%00&reseau=%00&parent=%00&titre=%00&kind=%00",
    "?lieu=la-fabrique&parent=page-de-la-fabrique",
    "?reseau=nope",
    "?titre=" + "x" * 5000 + "&parent=" + "y" * 5000 + "&lieu=" + "z" * 5000,
    "?arbre=%00&arbre=0",
    "?q=%00",
    "?%00=%00",
    "?next=javascript:alert(1)",
    "?de=%F0%9F%92%A9&a=%ff",
]

ODD_SLUGS = [
    "nope",
    "%00",
    "a%00b",
    "caf%C3%A9",
    "%E6%97%A5%E6%9C%AC",
    "..%2F..%2Fetc%2Fpasswd",
    "..",
    "%2e%2e",
    "x" * 3000,
    "%F0%9F%92%A9",
    "%ff%fe",
    "page%20commune",
    "PAGE-COMMUNE",
]


def test_every_url_name_is_covered(world):
    names = {p.name for p in commons_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names - NOT_TESTED_HERE == set(addresses(world)), names ^ set(addresses(world))


def _server_errors(c: Client, method: str, urls: list[str], data: Any = None) -> list[str]:
    bad = []
    for url in urls:
        response = getattr(c, method)(url, data) if data is not None else getattr(c, method)(url)
        if response.status_code >= 500:
            bad.append(f"{method.upper()} {url[:120]} -> {response.status_code}")
    return bad


@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_with_hostile_queries_never_fails_nor_writes(world, persona):
    c = client(world.user(persona))
    before = snapshot()
    urls = list(addresses(world).values())
    bad = []
    for query in HOSTILE_QUERIES:
        bad += _server_errors(c, "get", [url + query for url in urls])
    bad += _server_errors(c, "head", urls)
    assert not bad, bad
    assert snapshot() == before


def _with_slug(w: World, slug: str) -> list[str]:
    """Every address that takes a page's slug, with `slug` (already percent-encoded)."""
    sheet = quote(w.sheet.slug)
    return [
        url.replace(f"/{sheet}/", f"/{slug}/", 1)
        for name, url in addresses(w).items()
        if f"/{sheet}/" in url
    ] + [
        f"/communs/etiquettes/{slug}/",
        f"/lieux/{slug}/documentation/",
        f"/reseaux/{slug}/documentation/",
        f"/communs/suivi/{slug}.atom",
    ]


@pytest.mark.parametrize("persona", ["anonymous", "member_a", "staff"])
def test_unknown_and_odd_slugs_are_404_never_500(world, persona):
    c = client(world.user(persona))
    before = snapshot()
    bad = []
    for slug in ODD_SLUGS:
        for url in _with_slug(world, slug):
            for method in ("get", "post"):
                response = getattr(c, method)(url)
                # 405: a GET of an address that only takes a POST
                if response.status_code not in (200, 301, 302, 400, 404, 405):
                    bad.append(f"{method} {url[:100]} -> {response.status_code}")
    assert not bad, bad
    assert snapshot() == before


ATTACHMENT_NAMES = [
    "..", "...", "%2e%2e%2fsettings.py", "..%5C..%5Cwin.ini", "%00", "plan.png%00.txt",
    "PLAN.PNG", "plan.png%20", "x" * 3000, "%C3%A9t%C3%A9.png", "%252e%252e",
]  # fmt: skip


def test_attachment_names_cannot_leave_the_page(world, settings):
    c = client(world.member_a)
    before = snapshot()
    for name in ATTACHMENT_NAMES:
        base = f"/communs/pages/{world.sheet.slug}/fichiers/{name}"
        response = c.get(base)
        # only the file's own name (whatever its case) reaches it; "plan.png%00.txt" once did
        # on SQLite, whose LIKE stops at a NUL
        assert response.status_code == (200 if name == "PLAN.PNG" else 404), name
        if name != "PLAN.PNG":  # the file itself, whatever the case: its deletion is allowed
            assert c.post(base + "/supprimer").status_code == 404, name
    # the name of another page's file does not reach it
    other = client(world.member_a).get(f"/communs/pages/{world.common.slug}/fichiers/plan.png")
    assert other.status_code == 404
    assert snapshot() == before


# Writes -------------------------------------------------------------------------------------


def write_requests(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, address, data) of every write, each with content that would change something
    were it accepted."""
    a = addresses(w)
    page_form = {
        "title": "Titre changé", "summary": "r", "kind": Kind.COMMONS,
        "licence": Licence.CC_BY_SA, "body": "Changé", "tags": "t", "comment": "c",
        "base": str(w.sheet.revision_number), "parent": "",
    }  # fmt: skip
    return [
        (
            "create",
            a["create"] + f"?lieu={w.place_a.slug}",
            {**page_form, "title": "Créée dans A", "base": ""},
        ),
        ("create-commons", a["create"], {**page_form, "title": "Nouvelle", "base": ""}),
        ("create-network", a["create"] + f"?reseau={w.network.slug}", {**page_form, "title": "N2"}),
        ("edit", a["edit"], page_form),
        ("protect", a["protect"], {"protected": "1"}),
        ("discussion", a["discussion"], {"topic": "t", "body": "b"}),
        ("discussion-hide", a["discussion"], {"hide": str(w.comment.pk)}),
        ("attachments", a["attachments"], {"file": png("autre.png"), "alt": "a"}),
        ("attachment_delete", a["attachment_delete"], {}),
        ("use", a["use"], {"lieu": w.place_a.slug, "note": "n"}),
        ("revert", a["revert"], {"comment": "c"}),
        ("hide", a["hide"], {"hidden": "1", "reason": "r"}),
        ("rollback", a["rollback"], {"version": str(w.sheet.revision_number)}),
        ("remix", a["remix"], {"place": w.place_a.slug, "title": "Copie", "licence": "cc-by-sa"}),
        ("place_tree", a["place_tree"], {"page": str(w.sibling.pk), "direction": "up"}),
        ("network_tree", a["network_tree"], {"page": str(w.page_n2.pk), "direction": "up"}),
        ("contributions", a["contributions"], {"confirm": "1"}),
    ]


ALLOWED = {
    # who may do each write on place A's protected-or-not commons sheet (staff: everything)
    "create": {"member_a", "manager_a", "coordinator", "staff"},
    "create-commons": {"member_a", "member_b", "manager_a", "coordinator", "staff"},
    "create-network": {"member_a", "manager_a", "coordinator", "staff"},
    "edit": {"member_a", "manager_a", "coordinator", "staff"},
    "protect": {"manager_a", "coordinator", "staff"},
    "discussion": {"member_a", "member_b", "manager_a", "coordinator", "staff"},
    "discussion-hide": {"manager_a", "coordinator", "staff"},
    "attachments": {"member_a", "manager_a", "coordinator", "staff"},
    "attachment_delete": {"member_a", "manager_a", "coordinator", "staff"},
    "use": {"manager_a", "staff"},
    "revert": {"member_a", "manager_a", "coordinator", "staff"},
    "hide": {"manager_a", "coordinator", "staff"},
    "rollback": {"manager_a", "coordinator", "staff"},
    "remix": {"member_a", "manager_a", "staff"},
    "place_tree": {"member_a", "manager_a", "coordinator", "staff"},
    "network_tree": {"member_a", "manager_a", "coordinator", "staff"},
    "contributions": {"coordinator", "staff"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_writes_without_a_csrf_token_are_refused(world, persona):
    for name, url, data in write_requests(world):
        before = snapshot()
        response = client(world.user(persona), csrf=True).post(url, data)
        assert response.status_code == 403, (name, response.status_code)
        assert snapshot() == before, name


@pytest.mark.parametrize("persona", PERSONAS)
def test_writes_by_people_who_may_not_are_refused_and_change_nothing(world, persona):
    c = client(world.user(persona))
    for name, url, data in write_requests(world):
        if persona in ALLOWED[name]:
            continue
        before = snapshot()
        response = c.post(url, data)
        if persona == "anonymous":
            assert response.status_code == 302, (name, response.status_code)
            assert response["Location"].startswith(reverse("accounts:login")), name
        else:
            # 422: a place one may not write in is not among the choices of the remix form
            expected = (403, 404, 422) if name == "remix" else (403, 404)
            assert response.status_code in expected, (name, persona, response.status_code)
        assert snapshot() == before, (name, persona)


@pytest.mark.parametrize("persona", sorted({p for names in ALLOWED.values() for p in names}))
def test_the_same_writes_by_people_who_may_are_accepted(world, persona, settings):
    """The other side of the test above: the requests are well made, so a refusal there is
    the permission's, not a broken request's."""
    settings.COMMONS_EDITS_PER_HOUR = settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 10_000
    for name in [name for name, _url, _data in write_requests(world)]:
        if persona not in ALLOWED[name]:
            continue
        world.sheet.refresh_from_db()
        _name, url, data = next(r for r in write_requests(world) if r[0] == name)
        before = snapshot()
        response = client(world.user(persona)).post(url, data)
        assert response.status_code in (200, 302), (name, persona, response.status_code)
        if name != "contributions":  # a confirmation page first
            assert snapshot() != before, (name, persona)
        for page in (world.sheet, world.sibling, world.page_n2):
            if Page.objects.filter(pk=page.pk).exists():
                page.refresh_from_db()
        PageUse.objects.all().delete()
        Revision.objects.filter(page=world.sheet, number=3).update(hidden=True)


# Hostile content from people who may write ------------------------------------------------


def _page_form(w: World, **changes: Any) -> dict[str, Any]:
    return {
        "title": w.sheet.title, "summary": "", "kind": Kind.COMMONS, "licence": Licence.CC_BY_SA,
        "body": "Texte **quatre**.", "tags": "partage", "comment": "",
        "base": str(w.sheet.revision_number), "parent": "", **changes,
    }  # fmt: skip


def _create_form(w: World, **changes: Any) -> dict[str, Any]:
    return _page_form(w, **{"base": "", "title": "Toute nouvelle", **changes})


def hostile_writes(w: World) -> list[tuple[str, str, Any]]:
    """(what, address, data): each one bad in some way, none may change anything."""
    a = addresses(w)
    s = w.sheet.slug
    create_a = a["create"] + f"?lieu={w.place_a.slug}"
    page_fields = ["title", "summary", "body", "tags", "comment", "parent",
                   "fact_commun_maintainers", "fact_commun_where"]  # fmt: skip
    writes: list[tuple[str, str, Any]] = []
    for field in page_fields:
        writes += [
            (f"create {field} NUL", create_a, _create_form(w, **{field: NUL})),
            (f"edit {field} NUL", a["edit"], _page_form(w, **{field: "x" + NUL})),
        ]
        if field != "body":
            writes += [
                (f"create {field} huge", create_a, _create_form(w, **{field: HUGE})),
                (f"edit {field} huge", a["edit"], _page_form(w, **{field: HUGE})),
            ]
    writes += [
        ("create body 6 MB", create_a, _create_form(w, body=HUGE * 6)),
        ("edit body 6 MB", a["edit"], _page_form(w, body=HUGE * 6)),
        ("create nothing", create_a, {}),
        ("edit nothing", a["edit"], {}),
        ("edit without base", a["edit"], _page_form(w, base="", body="autre")),
        ("edit base -1", a["edit"], _page_form(w, base="-1", body="autre")),
        ("edit base 1e99", a["edit"], _page_form(w, base="1e99", body="autre")),
        ("edit base huge", a["edit"], _page_form(w, base="9" * 30, body="autre")),
        ("edit base future", a["edit"], _page_form(w, base="999999", body="autre")),
        ("edit base old", a["edit"], _page_form(w, base="1", body="autre")),
        ("edit base hidden", a["edit"], _page_form(w, base="3", body="autre")),
        ("edit base array", a["edit"], {**_page_form(w, body="autre"), "base": ["1", "2"]}),
        ("edit kind", a["edit"], _page_form(w, kind="x", body="autre")),
        ("edit licence", a["edit"], _page_form(w, licence=["x", "y"], body="autre")),
        ("edit title empty", a["edit"], _page_form(w, title=" ", body="autre")),
        ("edit title symbols", a["edit"], _page_form(w, title="!!!", body="autre")),
        ("edit title taken", a["edit"], _page_form(w, title="PAGE commune", body="autre")),
        ("edit title file:", a["edit"], _page_form(w, title="Fichier:x", body="autre")),
        ("edit parent of B", a["edit"], _page_form(w, parent=str(w.page_b.pk), body="autre")),
        ("edit parent itself", a["edit"], _page_form(w, parent=str(w.sheet.pk), body="autre")),
        ("edit parent its child", a["edit"], _page_form(w, parent=str(w.child.pk), body="x")),
        ("edit parent -1", a["edit"], _page_form(w, parent="-1", body="autre")),
        ("edit parent 1e99", a["edit"], _page_form(w, parent="9" * 30, body="autre")),
        (
            "edit markers",
            a["edit"],
            _page_form(w, merged="1", body="<<<<<<< a\nx\n=======\ny\n>>>>>>> b"),
        ),
        ("create parent of B", create_a, _create_form(w, parent=str(w.page_b.pk))),
        ("create in commons under a page of A", a["create"], _create_form(w, parent=w.sheet.title)),
        (
            "create facts too long",
            create_a,
            _create_form(w, kind=Kind.RECIPE, fact_recette_steps="x\n" * 5000),
        ),
        (
            "create tags too many",
            create_a,
            _create_form(w, tags=",".join(f"t{i}" for i in range(50))),
        ),
        (
            "create minutes bad date",
            create_a,
            _create_form(w, kind=Kind.MINUTES, fact_compte_rendu_date="31/02/2020"),
        ),
        ("discussion empty", a["discussion"], {"topic": "t", "body": "  "}),
        ("discussion missing", a["discussion"], {}),
        ("discussion NUL", a["discussion"], {"topic": "t", "body": NUL}),
        ("discussion topic NUL", a["discussion"], {"topic": NUL, "body": "b"}),
        ("discussion huge", a["discussion"], {"topic": "t", "body": HUGE}),
        ("discussion topic huge", a["discussion"], {"topic": HUGE, "body": "b"}),
        ("discussion hide x", a["discussion"], {"hide": "x"}),
        ("discussion hide -1", a["discussion"], {"hide": "-1"}),
        ("discussion hide huge", a["discussion"], {"hide": "9" * 30}),
        ("discussion hide NUL", a["discussion"], {"show": NUL}),
        (
            "discussion hide another page's",
            reverse("commons:discussion", args=[w.common.slug]),
            {"hide": str(w.comment.pk)},
        ),
        ("attachments no file", a["attachments"], {"alt": "a"}),
        (
            "attachments svg",
            a["attachments"],
            {"file": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>"), "alt": ""},
        ),
        (
            "attachments fake png",
            a["attachments"],
            {"file": SimpleUploadedFile("x.png", b"<script>alert(1)</script>"), "alt": ""},
        ),
        (
            "attachments traversal",
            a["attachments"],
            {"file": SimpleUploadedFile("../../x.html", b"<script>"), "alt": ""},
        ),
        ("attachments empty", a["attachments"], {"file": SimpleUploadedFile("e.txt", b"")}),
        ("attachments alt NUL", a["attachments"], {"file": png("a.png"), "alt": NUL}),
        ("attachments alt huge", a["attachments"], {"file": png("a.png"), "alt": HUGE}),
        ("attachment_delete unknown", reverse("commons:attachment_delete", args=[s, "no.png"]), {}),
        ("use lieu NUL", a["use"], {"lieu": NUL}),
        ("use lieu huge", a["use"], {"lieu": HUGE}),
        ("use lieu unknown", a["use"], {"lieu": "nope"}),
        ("use lieu missing", a["use"], {}),
        ("use note NUL", a["use"], {"lieu": w.place_a.slug, "note": NUL}),
        ("use note huge", a["use"], {"lieu": w.place_a.slug, "note": HUGE}),
        (
            "use not a commons sheet",
            reverse("commons:use", args=[w.common.slug]),
            {"lieu": w.place_a.slug},
        ),
        ("use another place", a["use"], {"lieu": w.place_b.slug}),
        ("revert huge", reverse("commons:revert", args=[s, 99999999999]), {}),
        ("revert 0", reverse("commons:revert", args=[s, 0]), {}),
        ("revert unknown", reverse("commons:revert", args=[s, 99]), {}),
        ("revert current", reverse("commons:revert", args=[s, w.sheet.revision_number]), {}),
        ("revert comment NUL", a["revert"], {"comment": NUL}),
        ("hide huge", reverse("commons:hide", args=[s, 99999999999]), {"hidden": "1"}),
        ("hide unknown", reverse("commons:hide", args=[s, 99]), {"hidden": "1"}),
        (
            "hide current",
            reverse("commons:hide", args=[s, w.sheet.revision_number]),
            {"hidden": "1"},
        ),
        ("hide reason NUL", a["hide"], {"hidden": "1", "reason": NUL}),
        ("rollback no version", a["rollback"], {}),
        ("rollback version x", a["rollback"], {"version": "x"}),
        ("rollback version -1", a["rollback"], {"version": "-1"}),
        ("rollback version huge", a["rollback"], {"version": "9" * 30}),
        ("rollback version NUL", a["rollback"], {"version": NUL}),
        ("rollback old version", a["rollback"], {"version": "2"}),
        ("remix place NUL", a["remix"], {"place": NUL}),
        ("remix place huge", a["remix"], {"place": HUGE}),
        ("remix place B", a["remix"], {"place": w.place_b.slug}),
        ("remix place missing", a["remix"], {}),
        ("remix title NUL", a["remix"], {"place": w.place_a.slug, "title": NUL}),
        ("remix title huge", a["remix"], {"place": w.place_a.slug, "title": HUGE}),
        ("remix title taken", a["remix"], {"place": w.place_a.slug, "title": "Page commune"}),
        ("tree page x", a["place_tree"], {"page": "x", "direction": "up"}),
        ("tree page NUL", a["place_tree"], {"page": NUL, "direction": "up"}),
        ("tree page huge", a["place_tree"], {"page": "9" * 30, "direction": "up"}),
        ("tree page of B", a["place_tree"], {"page": str(w.page_b.pk), "direction": "up"}),
        ("tree page of network", a["place_tree"], {"page": str(w.page_n2.pk), "direction": "up"}),
        ("tree page missing", a["place_tree"], {"direction": "up"}),
        ("tree direction odd", a["place_tree"], {"page": str(w.sibling.pk), "direction": "x"}),
        ("tree direction missing", a["place_tree"], {"page": str(w.sheet.pk)}),
        ("tree first up", a["place_tree"], {"page": str(w.sheet.pk), "direction": "up"}),
        ("contributions no confirm", a["contributions"], {}),
        ("contributions confirm NUL", a["contributions"], {"confirm": NUL}),
        ("watchlist action x", a["watchlist"], {"action": "x"}),
        ("watchlist action missing", a["watchlist"], {}),
        ("watchlist unwatch NUL", a["watchlist"], {"action": "unwatch", "page": NUL}),
        ("watchlist unwatch huge", a["watchlist"], {"action": "unwatch", "page": "9" * 30}),
        ("watchlist unwatch -1", a["watchlist"], {"action": "unwatch", "page": "-1"}),
        (
            "watchlist unwatch unwatched",
            a["watchlist"],
            {"action": "unwatch", "page": str(w.page_b.pk)},
        ),
        (
            "watchlist email unwatched",
            a["watchlist"],
            {"action": "email", "page": str(w.page_b.pk), "email": "0"},
        ),
        ("watch unknown", reverse("commons:watch", args=["nope"]), {"watch": "1"}),
        ("protect page of B", reverse("commons:protect", args=[w.page_b.slug]), {"protected": "1"}),
        ("revert page of B", reverse("commons:revert", args=[w.page_b.slug, 1]), {}),
        ("hide page of B", reverse("commons:hide", args=[w.page_b.slug, 1]), {"hidden": "1"}),
        (
            "edit page of B",
            reverse("commons:edit", args=[w.page_b.slug]),
            {**_page_form(w, body="autre"), "base": "1", "title": w.page_b.title},
        ),
        (
            "attach to page of B",
            reverse("commons:attachments", args=[w.page_b.slug]),
            {"file": png("b.png")},
        ),
        ("create in B", a["create"] + f"?lieu={w.place_b.slug}", _create_form(w)),
    ]
    return writes


REFUSED = {302, 400, 403, 404, 405, 409, 422, 429}


@pytest.mark.parametrize("persona", ["member_a", "manager_a", "staff"])
def test_hostile_writes_are_refused_and_change_nothing(world, persona, settings):
    """Run as people who may write on place A: the refusals are the input's fault. Staff
    may touch place B, so B's pages are left out for them."""
    settings.COMMONS_EDITS_PER_HOUR = settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 10_000
    c = client(world.user(persona))
    problems = []
    for what, url, data in hostile_writes(world):
        if persona == "staff" and ("of B" in what or "in B" in what or "place B" in what
                                   or "another place" in what or what.startswith("use lieu")
                                   or "network" in what or "protect" in what):  # fmt: skip
            continue
        for item in data.values() if isinstance(data, dict) else []:
            if hasattr(item, "seek"):
                item.seek(0)
        before = snapshot()
        response = c.post(url, data)
        if response.status_code not in REFUSED and not (
            what.startswith("contributions") and response.status_code == 200  # to confirm
        ):
            problems.append(f"{what}: {response.status_code}")
        elif snapshot() != before:
            problems.append(f"{what}: changed the database")
    assert not problems, problems


def test_refusals_say_why(world):
    """A few of the above, read: the reason is on the page (translated), the form keeps
    what was typed."""
    c = client(world.member_a)
    response = c.post(addresses(world)["edit"], _page_form(world, title="x" + NUL))
    assert response.status_code == 422
    assert "Null characters are not allowed." in response.content.decode()
    response = c.post(addresses(world)["edit"], _page_form(world, base="-1"))
    assert response.status_code == 422
    assert "This form is out of date or damaged" in response.content.decode()
    fr = Client(HTTP_ACCEPT_LANGUAGE="fr")
    fr.force_login(world.member_a)
    response = fr.post(addresses(world)["edit"], _page_form(world, title=" "))
    assert response.status_code == 422
    assert "Une page a besoin d’un titre." in response.content.decode()  # noqa: RUF001
    assert "Rien n’a été enregistré." in response.content.decode()  # noqa: RUF001


def test_a_use_note_too_long_is_refused_with_a_message(world):
    c = client(world.manager_a)
    url = addresses(world)["use"]
    response = c.post(url, {"lieu": world.place_a.slug, "note": "n" * 301}, follow=True)
    assert "at most 300 characters" in response.content.decode()
    assert not PageUse.objects.exists()
    response = c.post(url, {"lieu": world.place_a.slug, "note": NUL}, follow=True)
    assert "Null characters are not allowed." in response.content.decode()
    assert not PageUse.objects.exists()
    c.post(url, {"lieu": world.place_a.slug, "note": "On s'en sert."})
    assert PageUse.objects.get().note == "On s'en sert."


def test_moving_a_page_neither_up_nor_down_is_refused(world):
    c = client(world.member_a)
    url = addresses(world)["place_tree"]
    before = snapshot()
    response = c.post(url, {"page": str(world.sheet.pk), "direction": "sideways"}, follow=True)
    assert "This action is not understood." in response.content.decode()
    assert snapshot() == before
    c.post(url, {"page": str(world.sheet.pk), "direction": "down"})
    assert snapshot() != before


def test_adapting_refusals_answer_422_or_403(world, make_user):
    url = addresses(world)["remix"]
    response = client(world.member_a).post(url, {"place": world.place_b.slug})
    assert response.status_code == 422
    response = client(world.member_a).post(
        url, {"place": world.place_a.slug, "title": "Page commune"}
    )
    assert response.status_code == 422
    assert "A page with a similar title already exists" in response.content.decode()
    loner = make_user("Loner")
    assert client(loner).post(url, {"place": world.place_a.slug}).status_code == 403
    assert client(world.unverified).post(url, {"place": world.place_a.slug}).status_code == 403
    assert client(loner).get(url).status_code == 200
    assert not Page.objects.filter(remixed_from=world.sheet).exists()


# Double submits -----------------------------------------------------------------------------


def test_double_submits_write_once(world):
    c = client(world.member_a)
    a = addresses(world)
    form = _page_form(world, title="Deux fois", base="")
    first = c.post(a["create"] + f"?lieu={world.place_a.slug}", form)
    second = c.post(a["create"] + f"?lieu={world.place_a.slug}", form)
    assert first.status_code == 302 and second.status_code == 422
    assert Page.objects.filter(title="Deux fois").count() == 1
    form = _page_form(world, body="Une fois")
    assert c.post(a["edit"], form).status_code == 302
    assert c.post(a["edit"], form).status_code == 409  # from a revision that is no more
    world.sheet.refresh_from_db()
    assert world.sheet.revisions.filter(body="Une fois").count() == 1
    remix = {"place": world.place_a.slug}
    assert c.post(a["remix"], remix).status_code == 302
    assert c.post(a["remix"], remix).status_code == 422
    assert Page.objects.filter(remixed_from=world.sheet).count() == 1
    assert c.post(a["discussion"], {"topic": "t", "body": "Bonjour"}).status_code == 302
    assert c.post(a["discussion"], {"topic": "t", "body": "Bonjour"}).status_code == 302
    assert Comment.objects.filter(body="Bonjour").count() == 1


# Methods ------------------------------------------------------------------------------------

POST_ONLY = {"protect", "watch", "attachment_delete", "use", "revert", "hide", "rollback"}


def test_wrong_methods_are_405(world):
    c = client(world.staff)
    before = snapshot()
    problems = []
    for name, url in addresses(world).items():
        for method in ("put", "patch", "delete", "options", "trace"):
            status = getattr(c, method)(url).status_code
            if status != 405 and not (method == "options" and status == 200):
                problems.append(f"{method} {name}: {status}")
        if name in POST_ONLY:
            status = c.get(url).status_code
            if status != 405:
                problems.append(f"get {name}: {status}")
    assert not problems, problems
    assert snapshot() == before


def test_anonymous_wrong_methods_never_write(world):
    c = client(None)
    before = snapshot()
    for url in addresses(world).values():
        for method in ("put", "delete"):
            assert getattr(c, method)(url).status_code in (302, 405), (method, url)
    assert snapshot() == before


# Logic --------------------------------------------------------------------------------------


def test_a_hidden_revision_shows_nothing_of_its_content_to_readers(make_page, member_a,
                                                                   manager_a, place_a):  # fmt: skip
    """Not even its title, in the window's title: only moderators see it."""
    page = make_page("Numéro privé 06 12 34 56 78", "Texte privé.", place=place_a,
                     summary="Résumé privé", tags=["étiquette privée"])  # fmt: skip
    edit(member_a, page, title="Page publique", body="Texte.", summary="", tags=[])
    services.hide_revision(manager_a, page.revisions.get(number=1), hidden=True)
    page.refresh_from_db()
    for who in [None, member_a]:
        c = client(who)
        for url in [
            reverse("commons:revision", args=[page.slug, 1]),
            reverse("commons:diff", args=[page.slug]) + "?de=1&a=2",
            reverse("commons:history", args=[page.slug]),
            reverse("commons:page_atom", args=[page.slug]),
            reverse("commons:recent"),
            reverse("commons:export_markdown", args=[page.slug]),
            reverse("commons:print", args=[page.slug]),
        ]:
            text = c.get(url).content.decode()
            assert "privé" not in text and "priv&eacute;" not in text, (url, who)
    text = client(manager_a).get(reverse("commons:revision", args=[page.slug, 1])).content
    assert "Numéro privé" in text.decode()


def test_unverified_watchers_get_no_email(make_page, make_user, member_a, mailoutbox,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    """Anyone may sign up with someone else's address: until it is confirmed, following a
    page must not send that person e-mails."""
    page = make_page("Suivie", "Texte.")
    stranger = make_user("Stranger", verified=False)
    verified = make_user("Verified")
    for who in (stranger, verified):
        response = client(who).post(reverse("commons:watch", args=[page.slug]), {"watch": "1"})
        assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        edit(member_a, page, body="Changé.")
    assert [message.to for message in mailoutbox] == [[verified.email]]


def test_renaming_and_reverting_keep_every_old_address(make_page, member_a, client_for):
    page = make_page("Titre A", "Texte.")
    edit(member_a, page, title="Titre B")
    edit(member_a, page, title="Titre C")
    page.refresh_from_db()
    services.revert(member_a, page, 1)
    page.refresh_from_db()
    assert page.slug == "titre-a"
    assert set(page.aliases.values_list("slug", flat=True)) == {"titre-b", "titre-c"}
    c = client(None)
    for slug in ("titre-b", "titre-c", "Titre_B"):
        response = c.get(reverse("commons:page", args=[slug]))
        assert response.status_code == 302 and response["Location"] == page.get_absolute_url()
    assert c.get(page.get_absolute_url()).status_code == 200
    # an old title of this page cannot be taken by another one
    with pytest.raises(CommonsError):
        services.create_page(member_a, services.PageData(title="Titre B"))


def _queries(c: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = c.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _grow(w: World, count: int, start: int) -> None:
    """`count` more pages in place A, the network and the commons, each edited twice by two
    people, its first revision hidden, a tag, a link to a missing page, a sub-page, a
    message, a watch."""
    for n in range(start, start + count):
        owner = [{"place": w.place_a}, {"network": w.network}, {}][n % 3]
        page = services.create_page(
            w.author, services.PageData(title=f"Page {n}", body=f"[[Manque {n}]] [[Fiche du quai]]",
                                        tags=["partage", f"t{n}"]),
            check=False, **owner,
        )  # fmt: skip
        services.create_page(w.author, services.PageData(title=f"Sous {n}"), parent=page,
                             check=False, **owner)  # fmt: skip
        edit(w.member_a, page, body=f"Deux {n} [[Manque {n}]] [[Fiche du quai]]")
        edit(w.staff, page, body=f"Trois {n} [[Manque {n}]] [[Fiche du quai]]")
        services.hide_revision(w.staff, page.revisions.get(number=1), hidden=True)
        services.add_comment(w.member_a, w.sheet, f"Message {n}")
        services.watch(w.member_a, page)
        services.watch(w.coordinator, page)


@pytest.mark.parametrize("persona", ["anonymous", "member_a", "coordinator"])
def test_lists_read_the_same_number_of_queries_whatever_their_length(world, persona, settings):
    settings.COMMONS_EDITS_PER_HOUR = settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 10_000
    a = addresses(world)
    user = world.user(persona)
    urls = [
        a["index"],
        a["tag"],
        a["recent"],
        a["recent_rss"],
        a["recent_atom"],
        a["wanted"],
        a["contributions"],
        a["place_tree"],
        a["network_tree"],
        a["discussion"],
        a["backlinks"],
        reverse("commons:contributions", args=[world.staff.pk]),
        reverse("commons:recent") + f"?lieu={world.place_a.slug}",
        reverse("commons:recent") + f"?reseau={world.network.slug}",
    ]
    if user is not None:
        urls += [a["watchlist"], reverse("commons:watchlist_feed", args=[world.key.key])]
    _grow(world, 4, 0)
    c = client(user)
    for url in urls:
        c.get(url)  # warm what is cached once (sessions, content types)
    # the wanted pages are cached until the wanted links change: both lists are computed
    cache.delete(wanted.VERSION_KEY)
    small = {url: _queries(c, url) for url in urls}
    _grow(world, 12, 4)
    cache.delete(wanted.VERSION_KEY)
    large = {url: _queries(c, url) for url in urls}
    assert small == large
    assert small[a["wanted"]] > 0


def test_a_long_history_reads_few_queries(world, django_assert_max_num_queries, settings):
    settings.COMMONS_EDITS_PER_HOUR = settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 10_000
    for n in range(60):
        edit([world.member_a, world.staff][n % 2], world.sheet, body=f"Version {n}")
    c = client(world.coordinator)
    url = addresses(world)["history"]
    c.get(url)
    with django_assert_max_num_queries(20):
        assert c.get(url).status_code == 200
    with django_assert_max_num_queries(20):
        assert c.get(url + "?page=2").status_code == 200


def test_who_sees_hidden_changes_in_lists_follows_the_moderation_rule(world, make_page):
    """The lists ask for all their pages at once what `permissions.can_moderate` answers for
    each: both must agree, for every persona and every kind of owner."""
    from django.test import RequestFactory

    from tiers.commons import permissions
    from tiers.commons.views_history import _moderated

    pages = [world.sheet, world.common, world.page_b, world.page_n, world.child]
    for page in pages:
        page.refresh_from_db()
        edit(world.staff, page, body=page.body + " encore")
        services.hide_revision(world.staff, page.revisions.get(number=1), hidden=True)
    changes = list(Revision.objects.filter(hidden=True).select_related("page"))
    for persona in PERSONAS:
        request = RequestFactory().get("/")
        user = world.user(persona)
        request.user = user if user is not None else AnonymousUser()
        expected = {
            change.page_id for change in changes
            if permissions.can_moderate(request.user, change.page)
        }  # fmt: skip
        assert _moderated(request, changes) == expected, persona


def test_printing_and_exporting_a_tree_read_the_same_number_of_queries(world, make_page,
                                                                        settings):  # fmt: skip
    settings.COMMONS_EDITS_PER_HOUR = settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 10_000
    c = client(None)
    urls = [
        reverse("commons:print", args=[world.sheet.slug]) + "?arbre=1",
        reverse("commons:export_zip", args=[world.sheet.slug]),
    ]
    counts = []
    for total in (3, 12):
        while world.sheet.children.count() < total:
            n = world.sheet.children.count()
            child = make_page(f"Enfant {n}", f"[[Fiche du quai]] {n}", author=world.author,
                              place=world.place_a, parent=world.sheet)  # fmt: skip
            edit(world.member_a, child, body=f"Deux {n}")
        for url in urls:
            c.get(url)
        counts.append([_queries(c, url) for url in urls])
    assert counts[0] == counts[1]


def test_files_count_in_the_rate_limit_of_new_accounts(world, make_user, settings):
    """A new account may not fill the disk: past the limit of changes an hour, adding a file
    is a 429 that keeps nothing; the files copied by one adaptation count as that one
    change."""
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 3
    newcomer = make_user("Newcomer")
    Membership.objects.create(
        user=newcomer, place=world.place_a, started_on=timezone.localdate(),
        state=Membership.State.ACTIVE, status=Membership.Status.USER,
    )  # fmt: skip
    c = client(newcomer)
    url = addresses(world)["attachments"]
    for n in range(3):
        assert c.post(url, {"file": png(f"f{n}.png")}).status_code == 302
    before = snapshot()
    response = c.post(url, {"file": png("trop.png")})
    assert response.status_code == 429
    assert response["Retry-After"]
    assert "New accounts are limited to 3 an hour" in response.content.decode()
    assert snapshot() == before
    # an adaptation copies the files of its pages, and counts once
    settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR = 2
    other = make_user("Other")
    Membership.objects.create(
        user=other, place=world.place_b, started_on=timezone.localdate(),
        state=Membership.State.ACTIVE, status=Membership.Status.USER,
    )  # fmt: skip
    response = client(other).post(addresses(world)["remix"], {"place": world.place_b.slug})
    assert response.status_code == 302
    copy = Page.objects.get(remixed_from=world.sheet)
    assert copy.attachments.count() == world.sheet.attachments.count() > 1
    services.check_rate(other)  # one change done, one left


def test_an_edit_claiming_a_hidden_base_shows_nothing_of_it(world):
    """The merge view of a conflict starts from the revision the form names: naming a hidden
    one (revision 3 here) must not show its text, nor its edit summary."""
    response = client(world.member_a).post(
        addresses(world)["edit"], _page_form(world, base="3", body="Autre texte")
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "secret" not in text and "troisième" not in text
    assert "Texte **quatre**." in text  # the current text, to merge with
