"""The documentation commons: pages (list and search, read, create, edit with a base
revision), and their history.

Everybody reads; writing takes a personal token or the session (with its CSRF token) and the
rights of the web pages (a place's pages: its members; a network's: its members; the whole
commons: anyone signed in with a verified address; protected pages: their moderators).

An edit names the revision it started from (`base_revision`): when the page has changed
since, nothing is saved and the answer is 409 `edit_conflict` with the current revision, so
that the client can merge and send again. The services decide; this module translates HTTP.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from tiers.api.auth import TokenAuth, caller, token_or_session
from tiers.api.problems import problem
from tiers.api.schemas import InputSchema, PageBase, PageParams, Problem, page_bounds, page_links
from tiers.commons import licences, permissions, search, services
from tiers.commons.errors import EditConflict
from tiers.commons.facts import Kind
from tiers.commons.models import MAX_BODY, MAX_TITLE, Page, PageAlias, Revision
from tiers.commons.services import MAX_COMMENT, MAX_TAG_LENGTH, MAX_TAGS, PageData
from tiers.core.errors import DomainError
from tiers.core.ratelimit import RateLimitExceeded
from tiers.places.models import Network, Place
from tiers.places.permissions import AnyUser

router = Router(tags=["pages"])


# --- input types ------------------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul", _("This value contains a NUL character."))
    return value


Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), AfterValidator(_no_nul)]
Body = Annotated[str, Field(max_length=MAX_BODY), AfterValidator(_no_nul)]
Summary = Annotated[str, Field(max_length=300), AfterValidator(_no_nul)]
Comment = Annotated[str, Field(max_length=MAX_COMMENT), AfterValidator(_no_nul)]
TagName = Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH), AfterValidator(_no_nul)]
FactText = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]
Slug = Annotated[str, Field(min_length=1, max_length=220), AfterValidator(_no_nul)]
KindCode = Annotated[
    Kind,
    Field(strict=False),
    WithJsonSchema(
        {
            "type": "string",
            "enum": Kind.values,
            "description": "Kind of page: " + ", ".join(Kind.values),
        }
    ),
]
LicenceCode = Annotated[
    licences.Licence,
    Field(strict=False),
    WithJsonSchema(
        {"type": "string", "enum": licences.Licence.values, "description": "Licence code."}
    ),
]
Facts = Annotated[
    dict[Annotated[str, Field(max_length=40)], FactText | list[FactText]],
    Field(
        max_length=20,
        description="Structured facts of the kind (see the documentation): text, a date "
        "(YYYY-MM-DD) or a list of lines, by name. Unknown names are ignored.",
    ),
]


class PageFields(InputSchema):
    """The content of a page. In a PUT, a field left out keeps its current value."""

    title: Title | None = None
    body: Body | None = Field(None, description="Markdown, with wiki links [[Title]].")
    summary: Summary | None = Field(None, description="In one sentence.")
    kind: KindCode | None = None
    licence: LicenceCode | None = None
    tags: list[TagName] | None = Field(None, max_length=MAX_TAGS)
    facts: Facts | None = None
    parent: Slug | None = Field(
        None, description="Slug of the parent page (same place, network or commons)."
    )
    comment: Comment = Field("", description="Edit summary, shown in the history.")


class PageCreate(PageFields):
    title: Title
    body: Body = Field("", description="Markdown, with wiki links [[Title]].")
    place: Slug | None = Field(None, description="Slug of the owning place.")
    network: Slug | None = Field(
        None, description="Slug of the owning network (neither: the whole commons)."
    )


class PageUpdate(PageFields):
    base_revision: int = Field(
        ge=0,
        le=2**31 - 1,
        description="The `revision` the edit started from: 409 `edit_conflict` when the "
        "page has a newer one.",
    )
    parent: Slug | None = Field(
        None,
        description="Slug of the parent page; null puts the page at the top of its tree; "
        "left out, the page stays where it is.",
    )


class PageFilter(Schema):
    q: str | None = Field(
        None,
        max_length=search.MAX_QUERY_CHARS,
        description="Words to find (French-aware: stems, accents ignored; the last word "
        "is also a prefix). Without it, the pages are listed by title.",
    )
    kind: str | None = Field(None, max_length=40, description="Values: " + ", ".join(Kind.values))
    tag: str | None = Field(None, max_length=100, description="Slug of a tag.")
    place: str | None = Field(None, max_length=220, description="Slug of a place.")
    network: str | None = Field(
        None,
        max_length=220,
        description="Slug of a network: its own pages and those of its places.",
    )
    licence: str | None = Field(
        None, max_length=40, description="Values: " + ", ".join(licences.Licence.values)
    )


# --- output schemas (the documentation of the answers) ----------------------------------


class LicenceOut(Schema):
    code: str
    name: str
    url: str


class PageTag(Schema):
    slug: str
    name: str


class OwnerOut(Schema):
    type: str = Field(description="place or network")
    slug: str
    name: str


class PageRef(Schema):
    slug: str
    title: str
    api_url: str


class PageItem(Schema):
    slug: str
    title: str
    summary: str
    kind: KindCode
    licence: LicenceOut
    tags: list[PageTag]
    owner: OwnerOut | None = Field(description="null: the whole commons.")
    revision: int
    updated_at: str
    url: str = Field(description="The page on the website.")
    api_url: str
    snippet: str | None = Field(
        description="With `q`: the passage holding the words, as plain text (null otherwise)."
    )
    snippet_html: str | None = Field(
        description="The same passage as HTML: the text escaped, the words found in <mark>."
    )
    title_match: bool | None = Field(description="With `q`: the title holds every word.")


class PageList(PageBase):
    count_exact: bool = Field(
        description="false when a search found more pages than it counts (1,000): `count` "
        "is then that limit, and no page of results goes further."
    )
    results: list[PageItem]


class PageDetail(PageItem):
    body: str = Field(description="Markdown source text.")
    html: str = Field(description="The text rendered and sanitised.")
    facts: dict[str, Any]
    parent: PageRef | None
    protected: bool = Field(description="Only the page's moderators may change it.")
    remixed_from: PageRef | None = Field(description="The page this one adapts.")
    attribution: dict[str, Any] = Field(
        description="For an adaptation: the source's title, address, licence, revision and "
        "authors, as they were."
    )
    authors: list[str]
    created_at: str
    can_edit: bool = Field(description="The caller may edit it.")


class RevisionItem(Schema):
    number: int
    time: str
    author_name: str
    comment: str | None = Field(description="null when hidden (moderators see it).")
    size: int = Field(description="Bytes of text.")
    size_delta: int
    action: str = Field(description="create, edit, revert, rollback, remix or import.")
    reverted_to: int | None
    hidden: bool = Field(description="Hidden by a moderator: its content is withheld.")
    api_url: str


class RevisionList(PageBase):
    results: list[RevisionItem]


class RevisionDetail(RevisionItem):
    title: str | None
    summary: str | None
    kind: str | None
    licence: str | None
    tags: list[str] | None
    facts: dict[str, Any] | None
    body: str | None = Field(description="null when hidden (moderators see it).")
    hidden_reason: str | None = Field(description="Moderators only.")


class PageProblem(Problem):
    code: str | None = Field(
        None,
        description="The rule that refused: edit_conflict, title_taken, forbidden, "
        "throttled, invalid_parent, title_invalid, body_too_long, invalid_tag, "
        "invalid_facts...",
    )
    current_revision: int | None = Field(None, description="edit_conflict: the page's revision.")
    current_body: str | None = Field(None, description="edit_conflict: its current text.")
    current: dict[str, Any] | None = Field(
        None,
        description="edit_conflict: the current revision's content (title, summary, kind, "
        "licence, tags, facts, body) and who made it when.",
    )


READ: dict[int, type[Schema]] = {401: Problem, 404: Problem, 422: Problem}
ERRORS: dict[int, type[Schema]] = {
    401: Problem,
    403: PageProblem,
    404: Problem,
    409: PageProblem,
    422: PageProblem,
    429: Problem,
}


# --- helpers ------------------------------------------------------------------------------


def _json(data: Any, status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type="application/json",
    )
    if location:
        response["Location"] = location
    return response


def _reader(request: HttpRequest) -> AnyUser:
    """Who reads: the token's owner (a wrong token is a 401), the session's person, or
    anonymous."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        if user is not None:
            return user
    return request.user


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError([{"loc": ("body", field), "msg": message, "type": code}])


# 422 (a value), 403 (the caller may not), 404, 409 (the state of things).
STATUS_OF_CODE = {"forbidden": 403, "revision_hidden": 403, "not_found": 404,
                  "title_taken": 409, "current_revision": 409}  # fmt: skip


def _refused(exc: DomainError) -> HttpResponse:
    if isinstance(exc, RateLimitExceeded):
        return problem(
            429,
            _("Too many requests."),
            str(exc.message),
            code="throttled",
            headers={"Retry-After": str(exc.retry_after)},
            extra={"code": "throttled"},
        )
    if isinstance(exc, EditConflict):
        current = exc.current
        return problem(
            409,
            _("The page has changed."),
            str(exc.message),
            code="edit_conflict",
            extra={
                "code": "edit_conflict",
                "base_revision": exc.base,
                "current_revision": current.number,
                "current_body": current.body,
                "current": {
                    "title": current.title, "summary": current.summary,
                    "kind": current.kind, "licence": current.licence,
                    "tags": list(current.tags), "facts": dict(current.facts),
                    "body": current.body, "author_name": current.author_name,
                    "time": current.created_at.isoformat(), "comment": current.comment,
                },
            },
        )  # fmt: skip
    code = exc.code
    field = getattr(exc, "field", "") or ""
    status = STATUS_OF_CODE.get(code, 422 if field or code.startswith("invalid") else exc.status)
    errors = [{"field": field or "__all__", "message": str(exc.message), "code": code}]
    if status == 422:
        # A value refused by a rule of the commons: a validation problem like the others,
        # the rule in `code` (and in the field's error).
        return problem(
            422,
            _("The request is not valid."),
            f"{errors[0]['field']}: {exc.message}",
            code="validation",
            errors=errors,
            extra={"code": code},
        )
    return problem(
        status,
        _("The action was refused."),
        str(exc.message),
        code=code,
        errors=errors if status == 409 else None,
        extra={"code": code},
    )


def _found(slug: str) -> Page:
    """The page of this slug, or of an old title (alias) of it; 404 otherwise."""
    pages = Page.objects.select_related("place", "network", "parent", "remixed_from")
    page = pages.filter(slug=slug).first()
    if page is None:
        alias = PageAlias.objects.filter(slug=slug).values_list("page_id", flat=True).first()
        page = pages.filter(pk=alias).first() if alias is not None else None
    if page is None:
        raise Http404
    return page


class Urls:
    """Absolute URLs of many pages, without reversing each one."""

    MARK = "__slug__"

    def __init__(self, request: HttpRequest) -> None:
        base = request.build_absolute_uri("/")[:-1]
        self.web = base + reverse("commons:page", args=[self.MARK])
        self.api = base + reverse("api:page_detail", kwargs={"slug": self.MARK})
        self.revision = base + reverse(
            "api:page_revision", kwargs={"slug": self.MARK, "number": 999_999_999}
        )

    def page(self, slug: str) -> dict[str, str]:
        return {
            "url": self.web.replace(self.MARK, slug),
            "api_url": self.api.replace(self.MARK, slug),
        }

    def ref(self, page: Page | None) -> dict[str, str] | None:
        if page is None:
            return None
        return {"slug": page.slug, "title": page.title, "api_url": self.page(page.slug)["api_url"]}

    def revision_url(self, slug: str, number: int) -> str:
        return self.revision.replace(self.MARK, slug).replace("999999999", str(number))


def _licence(code: str) -> dict[str, str]:
    info = licences.info(code)
    return {"code": info.code, "name": info.name, "url": info.url}


def _owner(page: Page) -> dict[str, str] | None:
    if page.place is not None:
        return {"type": "place", "slug": page.place.slug, "name": page.place.name}
    if page.network is not None:
        return {"type": "network", "slug": page.network.slug, "name": page.network.name}
    return None


def page_item(page: Page, urls: Urls, hit: search.Hit | None = None) -> dict[str, Any]:
    return {
        "slug": page.slug,
        "title": page.title,
        "summary": page.summary,
        "kind": page.kind,
        "licence": _licence(page.licence),
        "tags": [{"slug": tag.slug, "name": tag.name} for tag in page.tags.all()],
        "owner": _owner(page),
        "revision": page.revision_number,
        "updated_at": page.updated_at.isoformat(),
        **urls.page(page.slug),
        "snippet": hit.text if hit is not None else None,
        "snippet_html": str(hit.snippet) if hit is not None else None,
        "title_match": hit.title_match if hit is not None else None,
    }


def page_detail(request: HttpRequest, page: Page, user: AnyUser) -> dict[str, Any]:
    urls = Urls(request)
    return {
        **page_item(page, urls),
        "body": page.body,
        "html": services.page_html(page),
        "facts": page.facts,
        "parent": urls.ref(page.parent),
        "protected": page.protected,
        "remixed_from": urls.ref(page.remixed_from),
        "attribution": page.attribution or {},
        "authors": services.authors(page),
        "created_at": page.created_at.isoformat(),
        "can_edit": permissions.can_edit(user, page),
    }


def _filter_choice(value: str | None, choices: list[str], name: str) -> str | None:
    if value and value not in choices:
        raise ValidationError(
            [{"loc": ("query", name), "msg": _("Unknown value: %(v)s.") % {"v": value[:40]},
              "type": "enum"}]
        )  # fmt: skip
    return value or None


# --- reading ------------------------------------------------------------------------------


@router.get(
    "/pages",
    response={200: PageList, **READ},
    url_name="pages",
    summary="List or search the pages",
    description=(
        "Without `q`: the pages that pass the filters, by title. With `q`: the pages holding "
        "every word (French stems, accents ignored, the last word also as a prefix), those "
        "whose title holds them all first (`title_match`), then by relevance; each with its "
        "`snippet` (plain text) and `snippet_html` (HTML-escaped text, the words found in "
        "`<mark>`). A search counts up to 1,000 pages: beyond, `count_exact` is false and "
        "the results stop there. Filters combine: `kind`, `licence`, `tag`, `place`, "
        "`network` (its own pages and those of its places). Paginated."
    ),
)
def list_pages(request: HttpRequest, filters: Query[PageFilter], paging: Query[PageParams]) -> Any:
    _reader(request)
    offset, limit = page_bounds(paging)
    kind = _filter_choice(filters.kind, Kind.values, "kind")
    licence = _filter_choice(filters.licence, licences.Licence.values, "licence")
    q = filters.q or ""
    total, hits = search.search(
        q, kind=kind, licence=licence, tag=filters.tag or None, place=filters.place or None,
        network=filters.network or None, offset=offset, limit=limit,
    )  # fmt: skip
    exact = not q.strip() or total <= search.MAX_RESULTS
    count = total if exact else search.MAX_RESULTS
    urls = Urls(request)
    return _json(
        {
            "count": count,
            "count_exact": exact,
            **page_links(request, offset=offset, limit=limit, count=count),
            "results": [page_item(hit.page, urls, hit if q.strip() else None) for hit in hits],
        }
    )


@router.get(
    "/pages/{slug}",
    response={200: PageDetail, **READ},
    url_name="page_detail",
    summary="One page",
    description=(
        "Its Markdown (`body`) and its rendered, sanitised HTML (`html`), its facts, licence, "
        "owner, parent, authors and current `revision` (send it as `base_revision` to edit). "
        "The slug of an old title answers with the page it now leads to (whose `slug` is "
        "the current one)."
    ),
)
def get_page(request: HttpRequest, slug: str) -> Any:
    user = _reader(request)
    return _json(page_detail(request, _found(slug), user))


@router.get(
    "/pages/{slug}/revisions",
    response={200: RevisionList, **READ},
    url_name="page_revisions",
    summary="The history of a page",
    description=(
        "Its revisions, newest first, paginated. A revision hidden by a moderator is listed "
        "(`hidden`: true); its content and edit summary are withheld (`comment`: null), "
        "except from the page's moderators."
    ),
)
def list_revisions(request: HttpRequest, slug: str, paging: Query[PageParams]) -> Any:
    user = _reader(request)
    page = _found(slug)
    offset, limit = page_bounds(paging)
    revisions = Revision.objects.filter(page=page).order_by("-number")
    count = revisions.count()
    rows = list(
        revisions.only(
            "number", "created_at", "author_name", "comment", "size", "size_delta", "action",
            "reverted_to", "hidden",
        )[offset : offset + limit]
    ) if offset < count else []  # fmt: skip
    urls = Urls(request)
    moderator = permissions.can_moderate(user, page)
    return _json(
        {
            "count": count,
            **page_links(request, offset=offset, limit=limit, count=count),
            "results": [
                _revision_item(page, revision, urls, moderator=moderator) for revision in rows
            ],
        }
    )


def _revision_item(
    page: Page, revision: Revision, urls: Urls, *, moderator: bool = False
) -> dict[str, Any]:
    return {
        "number": revision.number,
        "time": revision.created_at.isoformat(),
        "author_name": revision.author_name,
        # A moderator hides a revision for what it says, its edit summary included.
        "comment": revision.comment if not revision.hidden or moderator else None,
        "size": revision.size,
        "size_delta": revision.size_delta,
        "action": revision.action,
        "reverted_to": revision.reverted_to,
        "hidden": revision.hidden,
        "api_url": urls.revision_url(page.slug, revision.number),
    }


@router.get(
    "/pages/{slug}/revisions/{int:number}",
    response={200: RevisionDetail, **READ},
    url_name="page_revision",
    summary="One revision of a page",
    description=(
        "Its content as saved. A hidden revision answers with its content set to null, "
        "except for the page's moderators (who also see `hidden_reason`)."
    ),
)
def get_revision(request: HttpRequest, slug: str, number: int) -> Any:
    user = _reader(request)
    page = _found(slug)
    revision = Revision.objects.filter(page=page, number=number).first()
    if revision is None:
        raise Http404
    moderator = permissions.can_moderate(user, page)
    shown = not revision.hidden or moderator
    return _json(
        {
            **_revision_item(page, revision, Urls(request), moderator=moderator),
            "title": revision.title if shown else None,
            "summary": revision.summary if shown else None,
            "kind": revision.kind if shown else None,
            "licence": revision.licence if shown else None,
            "tags": list(revision.tags) if shown else None,
            "facts": dict(revision.facts) if shown else None,
            "body": revision.body if shown else None,
            "hidden_reason": revision.hidden_reason if moderator and revision.hidden else None,
        }
    )


# --- writing ------------------------------------------------------------------------------


def _parent(slug: str | None, field: str = "parent") -> Page | None:
    if slug is None:
        return None
    page = Page.objects.filter(slug=slug).first()
    if page is None:
        raise _invalid(field, _("No page has this short name."), "not_found")
    return page


@router.post(
    "/pages",
    response={201: PageDetail, **ERRORS},
    auth=token_or_session(),
    url_name="page_create",
    summary="Create a page",
    description=(
        "Owned by a `place` (its members may), a `network` (its members), or neither: the "
        "whole commons (anyone signed in with a verified address). 409 `title_taken` when "
        "a page has the same title once turned into a slug. 429 with Retry-After past the "
        "edit rate limits (stricter for new accounts)."
    ),
)
def create_page(request: HttpRequest, payload: PageCreate) -> Any:
    user = caller(request)
    place = network = None
    if payload.place is not None and payload.network is not None:
        raise _invalid("network", _("Give a place or a network, not both."), "conflict")
    if payload.place is not None:
        place = Place.objects.filter(slug=payload.place).first()
        if place is None:
            raise _invalid("place", _("No place has this short name."), "not_found")
    if payload.network is not None:
        network = Network.objects.filter(slug=payload.network).first()
        if network is None:
            raise _invalid("network", _("No network has this short name."), "not_found")
    parent = _parent(payload.parent)
    data = PageData(
        title=payload.title, body=payload.body or "", summary=payload.summary or "",
        kind=payload.kind or Kind.PAGE, licence=payload.licence or licences.DEFAULT,
        tags=list(payload.tags or []), facts=dict(payload.facts or {}), comment=payload.comment,
    )  # fmt: skip
    try:
        page = services.create_page(user, data, place=place, network=network, parent=parent)
    except DomainError as exc:
        return _refused(exc)
    page = _found(page.slug)
    return _json(page_detail(request, page, user), 201, page_item(page, Urls(request))["api_url"])


@router.put(
    "/pages/{slug}",
    response={200: PageDetail, **ERRORS},
    auth=token_or_session(),
    url_name="page_update",
    summary="Edit a page",
    description=(
        "Send `base_revision` (the `revision` you started from) and the fields that change; "
        "a field left out keeps its value. 200 with the page at its new `revision` (the same "
        "one when nothing changed). 409 `edit_conflict` when the page has a newer revision: "
        "nothing is saved, and the problem holds `current_revision`, `current_body` and "
        "`current` (the whole current content) to merge from. 403 when the caller may not "
        "edit it (another place's page, a protected page), 429 with Retry-After past the "
        "rate limits."
    ),
)
def update_page(request: HttpRequest, slug: str, payload: PageUpdate) -> Any:
    user = caller(request)
    page = _found(slug)
    fields = payload.model_fields_set
    current = PageData.of_page(page)
    data = PageData(
        title=payload.title if payload.title is not None else current.title,
        body=payload.body if payload.body is not None else current.body,
        summary=payload.summary if payload.summary is not None else current.summary,
        kind=payload.kind or current.kind,
        licence=payload.licence or current.licence,
        tags=list(payload.tags) if payload.tags is not None else current.tags,
        facts=dict(payload.facts) if payload.facts is not None else current.facts,
        comment=payload.comment,
    )
    parent: Page | bool | None = False
    if "parent" in fields:
        parent = _parent(payload.parent)
    try:
        services.edit_page(user, page, data, base=payload.base_revision, parent=parent)
    except DomainError as exc:
        return _refused(exc)
    return _json(page_detail(request, _found(page.slug), user))
