"""The pages of the commons: the home, a page (read, create, edit with the merge view of an
edit conflict), its discussion, files, protection, watching, the places that use a commons,
the pages of a tag, and a place's or network's documentation tree.

Thin views: they fetch, check who may act (`permissions`), read a form, call `services` (or
`attachments`), and turn a refusal into a form error, a 403, a 404 or a 429. A page reads a
small, constant number of queries: its HTML is rendered once and kept on the row.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tiers.accounts.models import User
from tiers.commons import attachments as attachments_module
from tiers.commons import facts as facts_module
from tiers.commons import licences, permissions, services
from tiers.commons.choices import most_used_tags
from tiers.commons.errors import CommonsError, EditConflict
from tiers.commons.facts import Kind
from tiers.commons.forms import AttachmentForm, CommentForm, PageForm, UseForm
from tiers.commons.merge import merge
from tiers.commons.models import Attachment, Comment, Page, PageAlias, PageUse, Revision, Tag, Watch
from tiers.commons.services import PageData
from tiers.commons.text import slug_of
from tiers.core.ratelimit import RateLimitExceeded
from tiers.places.models import Membership, Network, Place

require_form = require_http_methods(["GET", "HEAD", "POST"])
"""A page with a form: read it, send it; any other method is a 405."""

RECENT_ON_INDEX = 12
TAGS_ON_INDEX = 40
TAG_PAGE_SIZE = 30
CHANGES_SHOWN_IN_CONFLICT = 20
MAX_DEPTH = 30
"""Breadcrumbs and trees stop here, whatever the data says."""

LIST_FIELDS = ("pk", "title", "slug", "summary", "kind", "updated_at", "place", "network")
"""What a list of pages reads (never the body nor the HTML)."""


HEAVY = ("body", "current_revision__body")
"""What the page view never shows (the text is shown from the cached HTML, rendered from the
body only after a change)."""


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _refusal(exc: CommonsError) -> None:
    """Raise the HTTP answer of a refusal that is not about the form's content."""
    if exc.code == "forbidden":
        raise PermissionDenied(str(exc.message))
    if exc.code == "not_found":
        raise Http404(str(exc.message))


def _denied(request: HttpRequest, user: User | Any) -> HttpResponse:
    """403 with the reason a signed-in person may not write here."""
    unverified = bool(
        user.is_authenticated and user.email_verified_at is None and not user.is_superuser
    )
    return render(request, "commons/forbidden.html", {"unverified": unverified}, status=403)


def _rate_limited(request: HttpRequest, template: str, context: dict[str, Any],
                  exc: RateLimitExceeded) -> HttpResponse:  # fmt: skip
    """The same form again (nothing typed is lost) with the reason, as a 429."""
    context["rate_limited"] = str(exc.message)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _lookup(text: str) -> str:
    """A part of the address or of a form used to look a row up. No column holds a NUL
    (PostgreSQL refuses it outright): such a key names no row."""
    if "\x00" in text:
        raise Http404(_("There is no page here."))
    return text


def _page(slug: str, *related: str) -> Page:
    return get_object_or_404(
        Page.objects.select_related("place", "network", *related), slug=_lookup(slug)
    )


def _posted(request: HttpRequest) -> Any:
    """The data of a POST, even an empty one (a form sent without its fields is a form with
    errors, not a blank form); None for a GET."""
    return request.POST if request.method == "POST" else None


def _listed(pages: Any) -> Any:
    return pages.select_related("place", "network").only(*LIST_FIELDS)


def _owner_query(place: Place | None, network: Network | None) -> str:
    if place is not None:
        return f"?lieu={place.slug}"
    if network is not None:
        return f"?reseau={network.slug}"
    return ""


# The home and the tags ----------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    recent = list(_listed(Page.objects.all()).order_by("-updated_at", "-pk")[:RECENT_ON_INDEX])
    tags = most_used_tags(TAGS_ON_INDEX)
    return render(
        request,
        "commons/index.html",
        {
            "recent": recent,
            "tags": sorted(tags, key=lambda tag: tag["name"].casefold()),
            "kinds": Kind.choices,
            "can_create": permissions.can_write_in(request.user),
        },
    )


@require_safe
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    the_tag = get_object_or_404(Tag, slug=_lookup(slug))
    pages = _listed(the_tag.pages.all()).order_by("title", "pk")
    paginator = Paginator(pages, TAG_PAGE_SIZE)
    listing = paginator.get_page(request.GET.get("page"))
    return render(request, "commons/tag.html", {"tag": the_tag, "page_obj": listing})


# A page -------------------------------------------------------------------------------------------


def _attribution(page: Page) -> dict[str, Any] | None:
    """The credit of an adaptation, as the remix wrote it (kept even if the source goes)."""
    source = page.attribution or {}
    if not source and page.remixed_from_id is None:
        return None
    url = source.get("path") or source.get("url") or ""
    remixed_from = None
    if (not url or not source.get("title")) and page.remixed_from_id is not None:
        remixed_from = Page.objects.only("title", "slug").filter(pk=page.remixed_from_id).first()
    if not url and remixed_from is not None:
        url = remixed_from.get_absolute_url()
    authors = source.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    licence_code = str(source.get("licence") or "")
    return {
        "title": source.get("title") or (remixed_from.title if remixed_from else ""),
        "url": url,
        "authors": [str(name) for name in authors],
        "licence": licences.info(licence_code) if licence_code else None,
        "revision": source.get("revision"),
    }


def _facts(page: Page) -> list[dict[str, Any]]:
    shown = []
    for fact, value in facts_module.shown(page.kind, page.facts or {}):
        if fact.type == "date":
            with contextlib.suppress(ValueError):
                value = datetime.date.fromisoformat(str(value))
        elif fact.type == "lines" and not isinstance(value, list):
            value = [value]
        shown.append({"name": fact.name, "label": fact.label, "type": fact.type, "value": value})
    return shown


def _managed_places(user: User | Any) -> list[Place]:
    if not user.is_authenticated:
        return []
    return list(
        Place.objects.filter(
            memberships__user=user.pk, memberships__state=Membership.State.ACTIVE,
            memberships__is_manager=True,
        ).distinct().order_by("name")
    )  # fmt: skip


@require_safe
def page(request: HttpRequest, slug: str) -> HttpResponse:
    _lookup(slug)
    found = (
        Page.objects.select_related("place", "network", "current_revision")
        .defer(*HEAVY)
        .prefetch_related("tags")
        .filter(slug=slug)
        .first()
    )
    if found is None:
        alias = (
            PageAlias.objects.filter(slug__in={slug, slug_of(slug)})
            .values_list("page__slug", flat=True)
            .first()
        )
        if alias:
            return redirect("commons:page", alias)
        raise Http404(_("There is no page here."))
    the_page = found
    user = request.user
    watch = None
    if user.is_authenticated:
        watch = Watch.objects.filter(user=user, page=the_page).first()
        if watch is not None and watch.notified_at is not None:
            services.seen(_user(request), the_page)
    adaptations = list(
        Page.objects.filter(remixed_from=the_page)
        .select_related("place", "network")
        .only("pk", "title", "slug", "place", "network")
        .order_by("place__name", "title")
    )
    adapting_places: dict[int, Page] = {}
    for adaptation in adaptations:
        if adaptation.place_id is not None:
            adapting_places.setdefault(adaptation.place_id, adaptation)
    uses: list[PageUse] = []
    managed: list[dict[str, Any]] = []
    if the_page.kind == Kind.COMMONS:
        uses = list(the_page.uses.select_related("place"))
        used_by = {use.place_id for use in uses}
        managed = [{"place": place, "uses": place.pk in used_by} for place in _managed_places(user)]
    can_edit = permissions.can_edit(user, the_page)
    context = {
        "page": the_page,
        "html": mark_safe(services.page_html(the_page)),  # noqa: S308 - sanitised by nh3
        "breadcrumbs": the_page.ancestors(MAX_DEPTH),
        "licence": licences.info(the_page.licence),
        "facts": _facts(the_page),
        "tags": list(the_page.tags.all()),
        "attachments": list(the_page.attachments.all()),
        "children": list(
            the_page.children.only("pk", "title", "slug", "summary", "position", "parent").order_by(
                "position", "title"
            )
        ),
        "adaptations": adaptations,
        "adapting_places": list(adapting_places.values()),
        "attribution": _attribution(the_page),
        "uses": uses,
        "managed": managed,
        "comment_count": Comment.objects.filter(page=the_page, hidden=False).count(),
        "watch": watch,
        "can_watch": permissions.can_watch(user),
        "can_edit": can_edit,
        "can_moderate": user.is_authenticated and permissions.can_moderate(user, the_page),
        "can_remix": permissions.can_write_in_a_place(user),
        "can_add_child": (
            permissions.can_write_in(user, the_page.place, the_page.network)
            if the_page.protected
            else can_edit
        ),
        "owner_query": _owner_query(the_page.place, the_page.network),
        "last": the_page.current_revision,
    }
    return render(request, "commons/page.html", context)


# Create and edit ----------------------------------------------------------------------------------


def _form_context(form: PageForm, **extra: Any) -> dict[str, Any]:
    return {"form": form, "rate_limited": "", **extra}


@require_form
@login_required
def create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    place: Place | None = None
    network: Network | None = None
    if request.GET.get("lieu"):
        place = get_object_or_404(Place, slug=_lookup(request.GET["lieu"][:80]))
    elif request.GET.get("reseau"):
        network = get_object_or_404(Network, slug=_lookup(request.GET["reseau"][:80]))
    if not permissions.can_write_in(user, place, network):
        return _denied(request, user)
    kind = request.GET.get("kind", "")
    initial = PageForm.initial_of(
        PageData(
            title=" ".join(request.GET.get("titre", "").replace("\x00", "").split())[:200],
            kind=kind if kind in Kind.values else Kind.PAGE,
        ),
        base=None,
    )
    form = PageForm(_posted(request), place=place, network=network, initial=initial)
    if (parent_slug := request.GET.get("parent", "")) and "\x00" not in parent_slug:
        form.set_parent_initial(
            Page.objects.filter(place=place, network=network, slug=parent_slug[:220]).first()
        )
    context = _form_context(form, place=place, network=network, page=None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_page(
                user, form.page_data(), place=place, network=network,
                parent=form.cleaned_data.get("parent"),
            )  # fmt: skip
        except RateLimitExceeded as exc:
            return _rate_limited(request, "commons/form.html", context, exc)
        except CommonsError as exc:
            _refusal(exc)
            form.add_service_error(exc.field, exc.message)
        else:
            messages.success(request, _("The page is created."))
            return redirect(created)
    return render(request, "commons/form.html", context, status=_status(form))


def _status(form: Any) -> int:
    return 422 if form.is_bound and form.errors else 200


@require_form
@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    the_page = _page(slug, "parent", "current_revision")
    user = _user(request)
    if not permissions.can_edit(user, the_page):
        return _denied(request, user)
    initial = PageForm.initial_of(PageData.of_page(the_page), base=the_page.revision_number)
    form = PageForm(
        _posted(request), page=the_page, place=the_page.place, network=the_page.network,
        initial=initial,
    )  # fmt: skip
    form.set_parent_initial(the_page.parent)
    context = _form_context(form, place=the_page.place, network=the_page.network, page=the_page)
    if request.method == "POST" and form.is_valid():
        base = form.cleaned_data["base"]
        if base is None:
            form.add_error(
                None, _("This form is out of date or damaged: open the page's edit form again.")
            )
        else:
            try:
                revision = services.edit_page(
                    user, the_page, form.page_data(), base=base,
                    parent=form.cleaned_data.get("parent"),
                )  # fmt: skip
            except EditConflict as exc:
                return _conflict(request, the_page, form, exc)
            except RateLimitExceeded as exc:
                return _rate_limited(request, "commons/form.html", context, exc)
            except CommonsError as exc:
                _refusal(exc)
                form.add_service_error(exc.field, exc.message)
            else:
                if revision is None:
                    messages.info(request, _("Nothing changed: no new revision was saved."))
                else:
                    messages.success(request, _("The page is saved."))
                return redirect("commons:page", the_page.slug)
    return render(request, "commons/form.html", context, status=_status(form))


MERGED_FIELDS = ("title", "summary", "kind", "licence", "tags", "facts")


def _word_diff(old: str, new: str) -> Any:
    """The inline word diff of the history pages, when they are installed."""
    try:
        from tiers.commons import diffs

        get_template("commons/_diff.html")
    except (ImportError, TemplateDoesNotExist):
        return None
    word_diff = getattr(diffs, "word_diff", None)
    return word_diff(old, new) if word_diff is not None else None


def _normalised(data: PageData) -> PageData:
    """The content as the services keep it (tags single-spaced, empty facts dropped)."""
    try:
        return services.clean(data)
    except CommonsError:
        return data


def _key(data: PageData, name: str) -> Any:
    """What to compare of a field: tags whatever their order and case."""
    value = getattr(data, name)
    if name == "tags":
        return sorted(tag.casefold() for tag in value)
    return value


def _conflict(
    request: HttpRequest, the_page: Page, form: PageForm, exc: EditConflict
) -> HttpResponse:
    """Nothing was saved: show the editor a merge of their text and the current one."""
    current = exc.current
    base = Revision.objects.filter(page=the_page, number=exc.base).first()
    mine = _normalised(form.page_data())
    theirs = _normalised(PageData.of_revision(current))
    start = _normalised(PageData.of_revision(base)) if base is not None else None
    body, has_conflicts = merge(
        start.body if start is not None else "", mine.body, theirs.body,
        mine_label=_("your version"),
        theirs_label=_("current version (revision %(number)d)") % {"number": current.number},
    )  # fmt: skip
    merged = PageData(title=mine.title, body=body, comment=mine.comment)
    also_changed = []
    for name in MERGED_FIELDS:
        ours, their = _key(mine, name), _key(theirs, name)
        if start is not None and ours == _key(start, name):
            setattr(merged, name, getattr(theirs, name))
        else:
            setattr(merged, name, getattr(mine, name))
            if ours != their and (start is None or their != _key(start, name)):
                also_changed.append(name)
    labels = {
        "title": _("title"), "summary": _("summary"), "kind": _("kind"),
        "licence": _("licence"), "tags": _("tags"), "facts": _("details"),
    }  # fmt: skip
    initial = PageForm.initial_of(merged, base=current.number)
    initial["merged"] = "1"
    merge_form = PageForm(
        page=the_page, place=the_page.place, network=the_page.network, initial=initial
    )
    merge_form.set_parent_initial(form.cleaned_data.get("parent"))
    changes = list(
        Revision.objects.filter(page=the_page, number__gt=exc.base)
        .order_by("-number")
        .only("number", "author_id", "author_name", "created_at", "comment", "hidden", "action")[
            :CHANGES_SHOWN_IN_CONFLICT
        ]
    )
    context = {
        "page": the_page,
        "form": merge_form,
        "current": current,
        "base": exc.base,
        "changes": changes,
        "has_conflicts": has_conflicts,
        "fields_differ": [labels[name] for name in also_changed],
        "diff": _word_diff(theirs.body, mine.body),
        "rate_limited": "",
    }
    return render(request, "commons/conflict.html", context, status=409)


# Protection, watching, use ------------------------------------------------------------------------


@login_required
@require_POST
def protect(request: HttpRequest, slug: str) -> HttpResponse:
    the_page = _page(slug)
    user = _user(request)
    if not permissions.can_moderate(user, the_page):
        raise PermissionDenied
    protected = request.POST.get("protected") == "1"
    try:
        services.set_protected(user, the_page, protected)
    except CommonsError as exc:
        _refusal(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The page is protected: only its moderators may edit it.")
            if protected
            else _("The page is no longer protected."),
        )
    return redirect("commons:page", the_page.slug)


@login_required
@require_POST
def watch(request: HttpRequest, slug: str) -> HttpResponse:
    the_page = _page(slug)
    user = _user(request)
    if not permissions.can_watch(user):
        raise PermissionDenied
    if request.POST.get("watch") == "1":
        services.watch(user, the_page)
        messages.success(request, _("You follow this page: its changes are in your watchlist."))
    else:
        services.unwatch(user, the_page)
        messages.success(request, _("You no longer follow this page."))
    return redirect("commons:page", the_page.slug)


@login_required
@require_POST
def use(request: HttpRequest, slug: str) -> HttpResponse:
    the_page = _page(slug)
    if the_page.kind != Kind.COMMONS:
        raise Http404(_("Only a commons sheet lists the places that use it."))
    user = _user(request)
    place = get_object_or_404(Place, slug=_lookup(request.POST.get("lieu", "")[:80]))
    form = UseForm(request.POST)
    if not form.is_valid():
        # a note too long or holding a NUL: said, and nothing recorded
        messages.error(request, " ".join(str(error) for error in form.errors.get("note", [])))
        return redirect(reverse("commons:page", args=[the_page.slug]) + "#uses-title")
    note = form.cleaned_data["note"]
    try:
        if request.POST.get("action") == "remove":
            services.remove_use(user, the_page, place)
            messages.success(
                request, _("%(place)s no longer says it uses this commons.") % {"place": place}
            )
        else:
            services.record_use(user, the_page, place, note)
            messages.success(request, _("%(place)s uses this commons.") % {"place": place})
    except CommonsError as exc:
        _refusal(exc)
        messages.error(request, str(exc.message))
    return redirect(reverse("commons:page", args=[the_page.slug]) + "#uses-title")


# Discussion ---------------------------------------------------------------------------------------


def _int(value: str | None) -> int:
    """A number from a form, 0 when it is not one (no such row)."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


@require_form
def discussion(request: HttpRequest, slug: str) -> HttpResponse:
    the_page = _page(slug)
    user = request.user
    if request.method == "POST" and not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    moderator = user.is_authenticated and permissions.can_moderate(user, the_page)
    if request.method == "GET" and user.is_authenticated:
        services.seen(_user(request), the_page)
    comments = Comment.objects.filter(page=the_page).order_by("created_at", "pk")
    if not moderator:
        comments = comments.filter(hidden=False)
    can_comment = permissions.can_comment(user)
    form = CommentForm(_posted(request)) if can_comment else None
    context = {
        "page": the_page,
        "comments": list(comments),
        "form": form,
        "can_comment": can_comment,
        "moderator": moderator,
        "rate_limited": "",
    }
    if request.method == "POST" and ("hide" in request.POST or "show" in request.POST):
        if not moderator:
            return _denied(request, user)
        target = Comment.objects.filter(
            page=the_page, pk=_int(request.POST.get("hide") or request.POST.get("show"))
        ).first()
        if target is None:
            raise Http404
        services.hide_comment(_user(request), target, hidden="hide" in request.POST)
        messages.success(
            request,
            _("The message is hidden.") if target.hidden else _("The message is shown again."),
        )
        return redirect(
            reverse("commons:discussion", args=[the_page.slug]) + f"#message-{target.pk}"
        )
    if request.method == "POST":
        if form is None:
            return _denied(request, user)
        if form.is_valid():
            try:
                comment = services.add_comment(
                    _user(request), the_page, form.cleaned_data["body"],
                    form.cleaned_data.get("topic") or "",
                )  # fmt: skip
            except RateLimitExceeded as exc:
                return _rate_limited(request, "commons/discussion.html", context, exc)
            except CommonsError as exc:
                _refusal(exc)
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, _("Your message is posted."))
                return redirect(
                    reverse("commons:discussion", args=[the_page.slug]) + f"#message-{comment.pk}"
                )
        return render(request, "commons/discussion.html", context, status=_status(form))
    return render(request, "commons/discussion.html", context)


# Files --------------------------------------------------------------------------------------------


@require_form
def attachments(request: HttpRequest, slug: str) -> HttpResponse:
    the_page = _page(slug)
    user = request.user
    if request.method == "POST" and not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    can_edit = permissions.can_edit(user, the_page)
    form = (
        AttachmentForm(_posted(request), request.FILES if request.method == "POST" else None)
        if can_edit
        else None
    )
    context = {
        "page": the_page,
        "attachments": list(the_page.attachments.all()),
        "form": form,
        "can_edit": can_edit,
        "max_mb": attachments_module.max_bytes() // (1024 * 1024),
        "rate_limited": "",
    }
    if request.method == "POST":
        if form is None:
            return _denied(request, user)
        if form.is_valid():
            try:
                added = attachments_module.attach(
                    _user(request), the_page, form.cleaned_data["file"],
                    form.cleaned_data.get("alt") or "",
                )  # fmt: skip
            except RateLimitExceeded as exc:
                return _rate_limited(request, "commons/attachments.html", context, exc)
            except CommonsError as exc:
                _refusal(exc)
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("The file is added. Show it in the text with [[Fichier:%(name)s]].")
                    % {"name": added.name},
                )
                return redirect("commons:attachments", the_page.slug)
        return render(request, "commons/attachments.html", context, status=_status(form))
    return render(request, "commons/attachments.html", context)


def _attachment(the_page: Page, name: str) -> Attachment:
    _lookup(name)
    found = (
        Attachment.objects.filter(page=the_page, name=name).first()
        or Attachment.objects.filter(page=the_page, name__iexact=name).first()
    )
    if found is None:
        raise Http404(_("This file does not exist."))
    return found


@require_safe
def attachment(request: HttpRequest, slug: str, name: str) -> FileResponse:
    the_page = get_object_or_404(Page.objects.only("pk", "slug"), slug=_lookup(slug))
    item = _attachment(the_page, name)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404(_("This file does not exist.")) from None
    response = FileResponse(
        handle, content_type=item.content_type, as_attachment=not item.is_image,
        filename=item.name,
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    the_page = _page(slug)
    item = _attachment(the_page, name)
    user = _user(request)
    if not permissions.can_edit(user, the_page):
        raise PermissionDenied
    try:
        attachments_module.delete_attachment(user, the_page, item)
    except CommonsError as exc:
        _refusal(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The file %(name)s is removed.") % {"name": item.name})
    return redirect("commons:attachments", the_page.slug)


# Trees --------------------------------------------------------------------------------------------


@dataclass
class Node:
    page: Page
    children: list[Node] = field(default_factory=list)
    first: bool = False
    last: bool = False


def tree_of(pages: list[Page]) -> list[Node]:
    """Pages (of one owner) as a forest by parent and position. A page whose parent is not
    among them is shown at the top."""
    ids = {p.pk for p in pages}
    by_parent: dict[int | None, list[Page]] = defaultdict(list)
    for p in pages:
        by_parent[p.parent_id if p.parent_id in ids else None].append(p)
    seen: set[int] = set()

    def build(parent: int | None, depth: int) -> list[Node]:
        siblings = sorted(by_parent.get(parent, []), key=lambda p: (p.position, p.title, p.pk))
        nodes = []
        for p in siblings:
            if p.pk in seen:
                continue
            seen.add(p.pk)
            children = build(p.pk, depth + 1) if depth < MAX_DEPTH else []
            nodes.append(Node(p, children))
        if nodes:
            nodes[0].first = True
            nodes[-1].last = True
        return nodes

    roots = build(None, 0)
    # pages in a loop of parents (never written by the services) still show
    roots += [Node(p) for p in pages if p.pk not in seen]
    return roots


def _tree(request: HttpRequest, *, place: Place | None = None,
          network: Network | None = None) -> HttpResponse:  # fmt: skip
    user = request.user
    if request.method == "POST" and not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    owned = Page.objects.filter(place=place, network=network)
    pages = list(
        owned.only(
            "pk", "title", "slug", "summary", "kind", "parent", "position", "protected",
            "place", "network",
        )
    )  # fmt: skip
    can_write = permissions.can_write_in(user, place, network)
    url = (
        reverse("commons:place_tree", args=[place.slug])
        if place is not None
        else reverse("commons:network_tree", args=[network.slug])  # type: ignore[union-attr]
    )
    if request.method == "POST":
        if not can_write:
            return _denied(request, user)
        moved = next((p for p in pages if str(p.pk) == request.POST.get("page", "")), None)
        if moved is None:
            raise Http404(_("There is no page here."))
        siblings = sorted(
            (p for p in pages if p.parent_id == moved.parent_id),
            key=lambda p: (p.position, p.title, p.pk),
        )
        direction = request.POST.get("direction")
        if direction not in ("up", "down"):
            messages.error(request, _("This action is not understood."))
            return redirect(f"{url}#page-{moved.pk}")
        index = siblings.index(moved)
        step = -1 if direction == "up" else 1
        if 0 <= index + step < len(siblings):
            siblings[index], siblings[index + step] = siblings[index + step], siblings[index]
            try:
                services.reorder(_user(request), siblings)
            except CommonsError as exc:
                _refusal(exc)
                messages.error(request, str(exc.message))
        return redirect(f"{url}#page-{moved.pk}")
    owner = place or network
    return render(
        request,
        "commons/tree.html",
        {
            "place": place,
            "network": network,
            "owner": owner,
            "nodes": tree_of(pages),
            "count": len(pages),
            "can_write": can_write,
            "tree_url": url,
            "owner_query": _owner_query(place, network),
        },
    )


@require_form
def place_tree(request: HttpRequest, slug: str) -> HttpResponse:
    return _tree(request, place=get_object_or_404(Place, slug=slug))


@require_form
def network_tree(request: HttpRequest, slug: str) -> HttpResponse:
    return _tree(request, network=get_object_or_404(Network, slug=slug))


def top_pages(*, place: Place | None = None, network: Network | None = None,
              limit: int = 12) -> list[Page]:  # fmt: skip
    """The first pages at the top of a place's or network's documentation."""
    return list(
        Page.objects.filter(place=place, network=network, parent__isnull=True)
        .only("pk", "title", "slug", "summary", "position")
        .order_by("position", "title")[:limit]
    )
