"""A page's history and its moderation, and the commons' recent changes.

- history: the revisions of a page (compare two, look at one, restore one, hide one, undo the
  last edits of one person);
- revision / diff: an old revision rendered; the inline word diff of any two revisions;
- recent changes across the commons, their RSS and Atom feeds, a page's Atom feed;
- the watchlist (and its private Atom feed), a person's contributions, what links here,
  wanted pages.

Thin views: `permissions` decide, `services` write; a `CommonsError` becomes a message (or a
403/404), a rate limit a 429. Hidden revisions show their content to moderators only.
Lists read a constant number of queries whatever their length; long lists are cut into
pages by offset without counting (recent changes may hold millions of rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from tiers.accounts.models import User
from tiers.commons import diffs, permissions, services
from tiers.commons import render as renderer
from tiers.commons.choices import OwnerSelect, owners_and_tags
from tiers.commons.errors import CommonsError
from tiers.commons.facts import Kind, shown
from tiers.commons.licences import Licence
from tiers.commons.models import FeedKey, Page, PageAlias, Revision, Watch
from tiers.commons.templatetags.commons_history import size_text
from tiers.commons.wanted import WantedList
from tiers.core.ratelimit import RateLimitExceeded
from tiers.events.feeds import uid_host
from tiers.places.models import Membership, Network, Place

HISTORY_SIZE = 50
CHANGES_SIZE = 50
WANTED_SIZE = 50
BACKLINKS_SIZE = 100
FEED_SIZE = 50
MAX_NUMBER = 2_000_000_000
"""Revision numbers above this are not numbers a database column holds."""
MAX_PAGE = 1_000
"""Offsets beyond this many pages of a list are refused (404): nobody reads that far, and a
deep offset costs the database."""


# Helpers ----------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _pages() -> QuerySet[Page]:
    return Page.objects.select_related("place", "network", "current_revision")


def _valid_key(text: str) -> bool:
    """Whether an address part may be looked up at all (PostgreSQL refuses NUL characters)."""
    return "\x00" not in text and len(text) <= 300


def _number(number: int) -> int:
    """A revision number from the address; beyond what a column holds, no such revision."""
    if number > MAX_NUMBER:
        raise Http404(_("This revision does not exist."))
    return number


def _page(slug: str) -> Page:
    if not _valid_key(slug):
        raise Http404(_("This page does not exist."))
    page = _pages().filter(slug=slug).first()
    if page is None:
        raise Http404(_("This page does not exist."))
    return page


def _alias_redirect(request: HttpRequest, slug: str, name: str, *args: Any) -> HttpResponse | None:
    """A GET on an old title (an alias) goes to the page's address."""
    if not _valid_key(slug):
        raise Http404(_("This page does not exist."))
    if Page.objects.filter(slug=slug).exists():
        return None
    alias = PageAlias.objects.filter(slug=slug).select_related("page").first()
    if alias is None:
        raise Http404(_("This page does not exist."))
    url = reverse(f"commons:{name}", args=[alias.page.slug, *args])
    if request.GET:
        url += "?" + request.GET.urlencode()
    return redirect(url)


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    if number < 1:
        return 1
    if number > MAX_PAGE:
        raise Http404(_("This page of the list does not exist."))
    return number


@dataclass
class Window:
    """One page of a long list, cut by offset, without counting the rows."""

    items: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def _window(request: HttpRequest, queryset: QuerySet[Any], size: int) -> Window:
    number = _page_number(request)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Window(rows[:size], number, len(rows) > size)


def _refused(
    request: HttpRequest, exc: CommonsError | RateLimitExceeded, back: str
) -> HttpResponse:
    """A domain refusal at the edge: 403, 404, 429, or a message and back to `back`."""
    if isinstance(exc, RateLimitExceeded):
        response = render(
            request, "commons/refused.html", {"message": exc.message, "back": back}, status=429
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    if exc.code == "forbidden":
        raise PermissionDenied(str(exc.message))
    if exc.code == "not_found":
        raise Http404(str(exc.message))
    messages.error(request, str(exc.message))
    return redirect(back)


def _visible(revision: Revision, moderator: bool) -> bool:
    return moderator or not revision.hidden


def _mark_seen(request: HttpRequest, page: Page) -> None:
    """Reading a change of a watched page counts as looking at it: the next change is
    e-mailed again."""
    if request.user.is_authenticated:
        services.seen(_user(request), page)


def _by_day(changes: list[Revision]) -> list[tuple[Any, list[Revision]]]:
    """Changes (newest first) grouped by their day on the local clock."""
    days: list[tuple[Any, list[Revision]]] = []
    for change in changes:
        day = timezone.localdate(change.created_at)
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(change)
    return days


def _diff_url(page: Page, revision: Revision | int) -> str:
    number = revision if isinstance(revision, int) else revision.number
    if number <= 1:
        return reverse("commons:revision", args=[page.slug, number])
    query = urlencode({"de": number - 1, "a": number})
    return f"{reverse('commons:diff', args=[page.slug])}?{query}"


# History ----------------------------------------------------------------------------------------


def _last_author_run(revisions: list[Revision]) -> int:
    """How many of the latest revisions (newest first) the latest author made in a row."""
    if not revisions:
        return 0
    first = revisions[0]
    count = 0
    for revision in revisions:
        if (revision.author_id, revision.author_name if revision.author_id is None else "") != (
            first.author_id,
            first.author_name if first.author_id is None else "",
        ):
            break
        count += 1
    return count


@require_safe
def history(request: HttpRequest, slug: str) -> HttpResponse:
    if (moved := _alias_redirect(request, slug, "history")) is not None:
        return moved
    page = _page(slug)
    user = request.user
    moderator = permissions.can_moderate(user, page)
    editor = permissions.can_edit(user, page)
    revisions = page.revisions.select_related("author").order_by("-number")
    paginator = Paginator(revisions, HISTORY_SIZE)
    listing = paginator.get_page(request.GET.get("page"))
    rows = list(listing.object_list)
    latest: Revision | None = None
    run = 0
    alone = False
    if moderator:
        # "page" read too: the related manager sets it on each row, which would otherwise
        # load it once per row
        newest = list(
            page.revisions.order_by("-number")
            .only("number", "author_id", "author_name", "page")[:500]
        )  # fmt: skip
        latest = newest[0] if newest else None
        run = _last_author_run(newest)
        alone = run == len(newest) and run < 500
    return render(
        request,
        "commons/history.html",
        {
            "page": page,
            "breadcrumbs": page.ancestors(),
            "revisions": rows,
            "listing": listing,
            "moderator": moderator,
            "editor": editor,
            "latest": latest,
            "latest_run": run,
            "rollback_deletes": alone,
            "feed_url": reverse("commons:page_atom", args=[page.slug]),
        },
    )


@login_required
@require_POST
def revert(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    number = _number(number)
    page = _page(slug)
    user = _user(request)
    back = reverse("commons:history", args=[page.slug])
    if not permissions.can_edit(user, page):
        raise PermissionDenied(_("You may not edit this page."))
    comment = request.POST.get("comment", "")
    try:
        revision = services.revert(user, page, number, comment)
    except (CommonsError, RateLimitExceeded) as exc:
        return _refused(request, exc, back)
    if revision is None:
        messages.info(request, _("This revision is already the current one."))
    else:
        messages.success(
            request,
            _("The page is back to revision %(number)d (saved as revision %(new)d).")
            % {"number": number, "new": revision.number},
        )
    return redirect(reverse("commons:history", args=[page.slug]))


@login_required
@require_POST
def hide(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    number = _number(number)
    page = _page(slug)
    user = _user(request)
    if not permissions.can_moderate(user, page):
        raise PermissionDenied(_("You may not moderate this page."))
    revision = get_object_or_404(Revision.objects.select_related("page"), page=page, number=number)
    hidden = request.POST.get("hidden") != "0"
    reason = request.POST.get("reason", "")
    back = reverse("commons:history", args=[page.slug])
    if hidden and "\x00" in reason:
        messages.error(request, _("The text contains a NUL character."))
        return redirect(back)
    try:
        services.hide_revision(user, revision, hidden=hidden, reason=reason)
    except CommonsError as exc:
        return _refused(request, exc, back)
    if hidden:
        messages.success(request, _("Revision %(number)d is hidden.") % {"number": revision.number})
    else:
        messages.success(
            request, _("Revision %(number)d is shown again.") % {"number": revision.number}
        )
    return redirect(back)


@login_required
@require_POST
def rollback(request: HttpRequest, slug: str) -> HttpResponse:
    """Undo the last edits of the latest author. The form names the revision it was shown
    (`version`): if the page moved on meanwhile, nothing is undone."""
    page = _page(slug)
    user = _user(request)
    if not permissions.can_moderate(user, page):
        raise PermissionDenied(_("You may not moderate this page."))
    back = reverse("commons:history", args=[page.slug])
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, _("Choose the edits to undo from the history."))
        return redirect(back)
    latest = page.current_revision
    if latest is None or latest.number != version:
        messages.error(
            request,
            _("The page changed meanwhile: look at its history again before undoing edits."),
        )
        return redirect(back)
    name = latest.author_name
    try:
        revision = services.rollback(
            user, page, author_id=latest.author_id, author_name=latest.author_name
        )
    except (CommonsError, RateLimitExceeded) as exc:
        return _refused(request, exc, back)
    if revision is None and not Page.objects.filter(pk=page.pk).exists():
        messages.success(
            request,
            _("“%(title)s” was written by %(name)s alone: the page is deleted.")
            % {"title": page.title, "name": name},
        )
        return redirect(reverse("commons:index"))
    if revision is None:
        messages.info(request, _("Nothing to undo."))
    else:
        messages.success(
            request,
            _("The edits of %(name)s are undone: back to revision %(number)d.")
            % {"name": name, "number": revision.reverted_to},
        )
    return redirect(back)


# One revision, and differences ------------------------------------------------------------------


def _revision_facts(revision: Revision) -> list[tuple[Any, Any]]:
    return shown(revision.kind, revision.facts or {})


@require_safe
def revision(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    number = _number(number)
    if (moved := _alias_redirect(request, slug, "revision", number)) is not None:
        return moved
    page = _page(slug)
    item = get_object_or_404(
        Revision.objects.select_related("author", "hidden_by"), page=page, number=number
    )
    moderator = permissions.can_moderate(request.user, page)
    visible = _visible(item, moderator)
    html: SafeString | str = ""
    if visible:
        body_html, _links = renderer.render(item.body, page)
        html = mark_safe(body_html)  # noqa: S308 - rendered by the sanitising renderer (nh3)
        _mark_seen(request, page)
    numbers = set(
        page.revisions.filter(number__in=[number - 1, number + 1]).values_list("number", flat=True)
    )
    return render(
        request,
        "commons/revision.html",
        {
            "page": page,
            "breadcrumbs": page.ancestors(),
            "revision": item,
            "visible": visible,
            "moderator": moderator,
            "html": html,
            "facts": _revision_facts(item) if visible else [],
            "is_current": item.number == page.revision_number,
            "previous": number - 1 if number - 1 in numbers else None,
            "next": number + 1 if number + 1 in numbers else None,
            "licence": Licence(item.licence).label if item.licence in Licence.values else "",
            "kind": Kind(item.kind).label if item.kind in Kind.values else item.kind,
            "can_revert": visible
            and item.number != page.revision_number
            and permissions.can_edit(request.user, page),
        },
    )


class DiffForm(forms.Form):
    de = forms.IntegerField(
        label=_("From revision"), min_value=1, max_value=MAX_NUMBER, required=False
    )
    a = forms.IntegerField(
        label=_("To revision"), min_value=1, max_value=MAX_NUMBER, required=False
    )


def _diff_refused(
    request: HttpRequest, page: Page, form: DiffForm, message: str, status: int
) -> HttpResponse:
    return render(
        request,
        "commons/diff.html",
        {"page": page, "breadcrumbs": page.ancestors(), "form": form, "problem": message},
        status=status,
    )


@require_safe
def diff(request: HttpRequest, slug: str) -> HttpResponse:
    """The differences between revisions `de` and `a` (default: the current one, and the one
    before it). Unknown numbers are a 404; numbers that are not numbers, a 400 with the form;
    a hidden revision, a 403 for anyone but moderators."""
    if (moved := _alias_redirect(request, slug, "diff")) is not None:
        return moved
    page = _page(slug)
    form = DiffForm(request.GET)
    if not form.is_valid():
        return _diff_refused(
            request, page, form, _("Choose two revision numbers of this page."), 400
        )
    newest = page.revision_number
    after = form.cleaned_data["a"] or newest
    before = form.cleaned_data["de"] or max(1, after - 1)
    if before > after:
        before, after = after, before
    found = {
        rev.number: rev
        for rev in Revision.objects.filter(page=page, number__in={before, after}).select_related(
            "author", "hidden_by"
        )
    }
    missing = [number for number in (before, after) if number not in found]
    if missing:
        raise Http404(_("This page has no revision %(number)d.") % {"number": missing[0]})
    old, new = found[before], found[after]
    moderator = permissions.can_moderate(request.user, page)
    for item in (old, new):
        if not _visible(item, moderator):
            return _diff_refused(
                request, page, form,
                _("Revision %(number)d was hidden by a moderator: its content cannot be "
                  "compared.") % {"number": item.number},
                403,
            )  # fmt: skip
    text = diffs.word_diff(old.body, new.body) if old.pk != new.pk else None
    _mark_seen(request, page)
    return render(
        request,
        "commons/diff.html",
        {
            "page": page,
            "breadcrumbs": page.ancestors(),
            "form": DiffForm(initial={"de": before, "a": after}),
            "old": old,
            "new": new,
            "diff": text,
            "changes": diffs.field_changes(old, new) if old.pk != new.pk else [],
            "moderator": moderator,
            "newest": newest,
            "previous_diff": (before - 1, before) if before > 1 and after == before + 1 else None,
            "next_diff": (after, after + 1) if after < newest and after == before + 1 else None,
            "can_revert": old.number != newest and permissions.can_edit(request.user, page),
        },
    )


# Recent changes and feeds -----------------------------------------------------------------------


class ChangesFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All kinds")), *Kind.choices],
    )
    lieu = forms.CharField(label=gettext_lazy("Place"), required=False, max_length=100)
    reseau = forms.CharField(label=gettext_lazy("Network"), required=False, max_length=100)
    sans_imports = forms.BooleanField(label=gettext_lazy("Hide imported revisions"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # only the places and networks that have pages
        owners = owners_and_tags()
        self.owners = {"lieu": owners["place"], "reseau": owners["network"]}
        self.fields["lieu"].widget = OwnerSelect("place", _("All places"))
        self.fields["reseau"].widget = OwnerSelect("network", _("All networks"))

    def _known(self, name: str) -> str:
        value = self.cleaned_data[name]
        if value and value not in {slug for slug, _name in self.owners[name]}:
            raise forms.ValidationError(_("No page belongs to this owner."), code="unknown")
        return str(value)

    def clean_lieu(self) -> str:
        return self._known("lieu")

    def clean_reseau(self) -> str:
        return self._known("reseau")

    def filters(self) -> dict[str, Any]:
        """What was understood; a value that is not is ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value
        }


def filtered_changes(params: dict[str, Any]) -> QuerySet[Revision]:
    changes = Revision.objects.all()
    if kind := params.get("kind"):
        changes = changes.filter(page__kind=kind)
    if place := params.get("lieu"):
        changes = changes.filter(page__place__slug=place)
    if network := params.get("reseau"):
        pages = Page.objects.filter(Q(network__slug=network) | Q(place__networks__slug=network))
        changes = changes.filter(page__in=pages.values("pk"))
    if params.get("sans_imports"):
        changes = changes.exclude(action=Revision.Action.IMPORT)
    return changes


def _for_list(changes: QuerySet[Revision]) -> QuerySet[Revision]:
    return (
        changes.select_related("page", "author")
        .defer("body", "facts", "page__body", "page__html", "page__facts")
        .order_by("-created_at", "-pk")
    )


def _query_of(form: ChangesFilterForm) -> str:
    kept = {key: str(value) for key, value in form.filters().items()}
    if "sans_imports" in kept:
        kept["sans_imports"] = "1"
    return urlencode(kept)


@require_safe
def recent(request: HttpRequest) -> HttpResponse:
    form = ChangesFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    window = _window(request, _for_list(filtered_changes(filters)), CHANGES_SIZE)
    query = _query_of(form) if request.GET else ""
    suffix = f"?{query}" if query else ""
    return render(
        request,
        "commons/recent.html",
        {
            "form": form,
            "days": _by_day(window.items),
            "listing": window,
            "filters_active": bool(filters),
            "moderator_pages": _moderated(request, window.items),
            "rss_url": reverse("commons:recent_rss") + suffix,
            "atom_url": reverse("commons:recent_atom") + suffix,
        },
    )


def _moderated(request: HttpRequest, changes: list[Revision]) -> set[int]:
    """The pages of the list whose hidden revisions this person may see: the rule of
    `permissions.can_moderate`, asked for all the pages at once (three queries, whatever the
    number of pages and places in the list)."""
    user = request.user
    pages = {change.page_id: change.page for change in changes if change.hidden}
    if not pages or not user.is_authenticated or not permissions.can_comment(user):
        return set()
    if user.is_staff or user.is_superuser:
        return set(pages)
    networks = set(Network.objects.filter(coordinators=user.pk).values_list("pk", flat=True))
    place_ids = {page.place_id for page in pages.values() if page.place_id is not None}
    places: set[int] = set()
    if place_ids:
        places = set(
            Membership.objects.filter(
                user=user.pk, state=Membership.State.ACTIVE, is_manager=True,
                place_id__in=place_ids,
            ).values_list("place_id", flat=True)
        )  # fmt: skip
        if networks:
            places |= set(
                Place.objects.filter(pk__in=place_ids, networks__in=networks).values_list(
                    "pk", flat=True
                )
            )
    return {
        pk
        for pk, page in pages.items()
        if (page.place_id in places if page.place_id is not None
            else page.network_id in networks if page.network_id is not None
            else bool(networks))
    }  # fmt: skip


@dataclass
class FeedSource:
    """What a feed of changes lists, and how it is named."""

    key: str
    title: str
    description: str
    link: str
    feed_url: str
    changes: QuerySet[Revision]


class ChangesFeed(Feed):
    """RSS 2.0 of revisions: each item a change, linking to its diff. Hidden revisions keep
    their place in the feed without their edit summary (feeds are public). Subclasses say
    which changes (`source`)."""

    feed_type: Any = Rss201rev2Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().__call__(request, *args, **kwargs)

    def source(self, request: HttpRequest, **kwargs: Any) -> FeedSource:
        form = ChangesFilterForm(request.GET or None)
        query = _query_of(form) if request.GET else ""
        name = "recent_atom" if self.feed_type is Atom1Feed else "recent_rss"
        return FeedSource(
            key=f"recent:{query}",
            title=_("Recent changes to the documentation"),
            description=_("The latest revisions of the pages of the documentation commons."),
            link=reverse("commons:recent") + (f"?{query}" if query else ""),
            feed_url=reverse(f"commons:{name}") + (f"?{query}" if query else ""),
            changes=filtered_changes(form.filters() if request.GET else {}),
        )

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedSource:
        return self.source(request, **kwargs)

    def title(self, obj: FeedSource) -> str:
        return obj.title

    def description(self, obj: FeedSource) -> str:
        return obj.description

    def subtitle(self, obj: FeedSource) -> str:
        return obj.description

    def link(self, obj: FeedSource) -> str:
        return obj.link

    def feed_url(self, obj: FeedSource) -> str:
        return obj.feed_url

    def feed_guid(self, obj: FeedSource) -> str:
        return f"tag:{uid_host()},2026:commons/{obj.key}"

    def ttl(self, obj: FeedSource) -> int:
        return 30

    def items(self, obj: FeedSource) -> list[Revision]:
        return list(_for_list(obj.changes)[:FEED_SIZE])

    def item_title(self, item: Revision) -> str:
        # plain text: the feed's XML writer escapes it (once)
        return _("%(title)s (revision %(number)d)") % {
            "title": item.page.title,
            "number": item.number,
        }

    def item_description(self, item: Revision) -> str:
        return change_html(item)

    def item_link(self, item: Revision) -> str:
        return _diff_url(item.page, item)

    def item_guid(self, item: Revision) -> str:
        return f"tag:{uid_host()},{item.created_at:%Y-%m-%d}:commons/revision/{item.pk}"

    def item_guid_is_permalink(self, item: Revision) -> bool:
        return False

    def item_pubdate(self, item: Revision) -> Any:
        return item.created_at

    def item_updateddate(self, item: Revision) -> Any:
        return item.created_at

    def item_author_name(self, item: Revision) -> str | None:
        return item.author_name or None

    def item_author_link(self, item: Revision) -> str | None:
        if item.author_id is None:
            return None
        return absolute(reverse("commons:contributions", args=[item.author_id]))


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def change_html(item: Revision) -> SafeString:
    """A feed item's description: what was done, by whom and when, the edit summary (unless
    hidden), the size change. Every part is escaped once."""
    parts = [
        format_html(
            "<p>{}</p>",
            _("%(action)s by %(author)s, %(date)s")
            % {
                "action": item.get_action_display(),
                "author": item.author_name or _("someone"),
                "date": date_format(timezone.localtime(item.created_at), "DATETIME_FORMAT"),
            },
        )
    ]
    if item.hidden:
        parts.append(
            format_html("<p><em>{}</em></p>", _("This revision was hidden by a moderator."))
        )
    elif item.comment:
        parts.append(format_html("<p>{}</p>", item.comment))
    parts.append(format_html("<p>{}</p>", size_text(item.size_delta)))
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - each part is escaped


class PageChangesFeed(ChangesFeed):
    """Atom of one page's history."""

    feed_type = Atom1Feed

    def source(self, request: HttpRequest, **kwargs: Any) -> FeedSource:
        page = _page(kwargs["slug"])
        return FeedSource(
            key=f"page/{page.pk}",
            title=_("History of “%(title)s”") % {"title": page.title},
            description=_("The revisions of “%(title)s”.") % {"title": page.title},
            link=reverse("commons:history", args=[page.slug]),
            feed_url=reverse("commons:page_atom", args=[page.slug]),
            changes=Revision.objects.filter(page=page),
        )


class WatchlistFeed(ChangesFeed):
    """Atom of the changes to the pages a person watches, at a secret address."""

    feed_type = Atom1Feed

    def source(self, request: HttpRequest, **kwargs: Any) -> FeedSource:
        key = None
        if _valid_key(kwargs["key"]):
            key = FeedKey.objects.filter(key=kwargs["key"]).select_related("user").first()
        if key is None or not key.user.is_active or key.user.erased_at is not None:
            raise Http404(_("This feed does not exist (any more)."))
        return FeedSource(
            key=f"watchlist/{key.user_id}",
            title=_("Changes to the pages I watch"),
            description=_("The latest revisions of the pages you watch in the commons."),
            link=reverse("commons:watchlist"),
            feed_url=reverse("commons:watchlist_feed", args=[key.key]),
            changes=Revision.objects.filter(page__watches__user=key.user_id),
        )


def _atom(feed: ChangesFeed) -> ChangesFeed:
    feed.feed_type = Atom1Feed
    return feed


recent_rss = ChangesFeed()
recent_atom = _atom(ChangesFeed())
page_atom = PageChangesFeed()
watchlist_feed = WatchlistFeed()


# Watchlist --------------------------------------------------------------------------------------


def _feed_address(request: HttpRequest, key: FeedKey | None) -> str:
    if key is None:
        return ""
    return request.build_absolute_uri(reverse("commons:watchlist_feed", args=[key.key]))


@login_required
def watchlist(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        return _watchlist_action(request, user)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    watches = list(
        Watch.objects.filter(user=user).select_related("page").defer("page__body", "page__html")
        .order_by("page__title")
    )  # fmt: skip
    window = _window(
        request, _for_list(Revision.objects.filter(page__watches__user=user)), CHANGES_SIZE
    )
    key = FeedKey.objects.filter(user=user).first()
    return render(
        request,
        "commons/watchlist.html",
        {
            "watches": watches,
            "days": _by_day(window.items),
            "listing": window,
            "feed_key": key,
            "feed_address": _feed_address(request, key),
            "moderator_pages": _moderated(request, window.items),
        },
    )


def _watchlist_action(request: HttpRequest, user: User) -> HttpResponse:
    """POST: `action` is "unwatch" or "email" (with `page` and `email` on/off), "feed" (get
    the feed's address) or "new_key" (a new address; the old one stops working)."""
    back = reverse("commons:watchlist")
    action = request.POST.get("action", "")
    if action in ("unwatch", "email"):
        try:
            page_id = int(request.POST.get("page", ""))
        except ValueError:
            page_id = 0
        watch = None
        if 0 < page_id <= MAX_NUMBER:
            watch = Watch.objects.filter(user=user, page_id=page_id).select_related("page").first()
        if watch is None:
            messages.error(request, _("You do not watch this page."))
            return redirect(back)
        if action == "unwatch":
            services.unwatch(user, watch.page)
            messages.success(
                request, _("You no longer watch “%(title)s”.") % {"title": watch.page.title}
            )
        else:
            email = request.POST.get("email") == "1"
            Watch.objects.filter(pk=watch.pk).update(email=email)
            messages.success(
                request,
                (
                    _("Changes to “%(title)s” will be e-mailed to you.")
                    if email
                    else _("Changes to “%(title)s” will no longer be e-mailed to you.")
                )
                % {"title": watch.page.title},
            )
        return redirect(back)
    if action in ("feed", "new_key"):
        with transaction.atomic():
            key = FeedKey.objects.select_for_update().filter(user=user).first()
            if key is None:
                FeedKey.objects.create(user=user, key=FeedKey.new_key())
                messages.success(request, _("Your feed's address is ready."))
            elif action == "new_key":
                key.key = FeedKey.new_key()
                key.created_at = timezone.now()
                key.save(update_fields=["key", "created_at"])
                messages.success(
                    request, _("Your feed has a new address; the old one no longer works.")
                )
        return redirect(back + "#feed")
    messages.error(request, _("This action is not understood."))
    return redirect(back)


# Contributions ----------------------------------------------------------------------------------


def contributions(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=_number(user_id))
    moderator = permissions.can_moderate_commons(request.user)
    if request.method == "POST":
        return _rollback_everywhere(request, person, moderator)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    window = _window(request, _for_list(Revision.objects.filter(author=person)), CHANGES_SIZE)
    return render(
        request,
        "commons/contributions.html",
        {
            "person": person,
            "days": _by_day(window.items),
            "listing": window,
            "moderator": moderator,
            "moderator_pages": _moderated(request, window.items),
            "last_on": Page.objects.filter(current_revision__author=person).count()
            if moderator
            else 0,
        },
    )


def _rollback_everywhere(request: HttpRequest, person: User, moderator: bool) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
    if not moderator:
        raise PermissionDenied(_("You may not moderate the commons."))
    back = reverse("commons:contributions", args=[person.pk])
    pages = list(
        Page.objects.filter(current_revision__author=person).order_by("title").only("title", "slug")
    )
    if request.POST.get("confirm") != "1":
        return render(request, "commons/rollback_confirm.html", {"person": person, "pages": pages})
    try:
        count = services.rollback_everywhere(_user(request), person)
    except CommonsError as exc:
        return _refused(request, exc, back)
    messages.success(
        request,
        ngettext(
            "The last edits of %(name)s are undone on %(count)d page.",
            "The last edits of %(name)s are undone on %(count)d pages.",
            count,
        )
        % {"name": person.display_name, "count": count},
    )
    return redirect(back)


# What links here, wanted pages ------------------------------------------------------------------


@require_safe
def backlinks(request: HttpRequest, slug: str) -> HttpResponse:
    if (moved := _alias_redirect(request, slug, "backlinks")) is not None:
        return moved
    page = _page(slug)
    slugs = [page.slug, *page.aliases.values_list("slug", flat=True)]
    sources = (
        Page.objects.filter(Q(links__target=page) | Q(links__target_slug__in=slugs))
        .exclude(pk=page.pk)
        .distinct()
        .only("title", "slug", "summary")
        .order_by("title")
    )
    listing = Paginator(sources, BACKLINKS_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "commons/backlinks.html",
        {
            "page": page,
            "breadcrumbs": page.ancestors(),
            "sources": list(listing.object_list),
            "listing": listing,
        },
    )


@require_safe
def wanted(request: HttpRequest) -> HttpResponse:
    # WantedList is sized and sliced as the paginator needs (its own protocol is narrower)
    paginator: Paginator[dict[str, Any]] = Paginator(cast(Any, WantedList()), WANTED_SIZE)
    listing = paginator.get_page(request.GET.get("page"))
    rows = list(listing.object_list)
    return render(request, "commons/wanted.html", {"rows": rows, "listing": listing})
