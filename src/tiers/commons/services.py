"""Writes to the documentation commons. Every change of a page's content appends an immutable
`Revision` under the page's row lock, then records its links, its rendered HTML and its
search entry in the same transaction; watchers are told once it has committed.

Edits name the revision they started from (`base`): when the page moved on meanwhile, nothing
is saved and `EditConflict` is raised (the form shows a merge, the API answers 409).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiers.accounts.models import User
from tiers.commons import facts as facts_module
from tiers.commons import licences, notifications, permissions, search, wanted
from tiers.commons.errors import CommonsError, EditConflict
from tiers.commons.facts import Kind
from tiers.commons.models import (
    MAX_BODY,
    MAX_TITLE,
    Attachment,
    Comment,
    Page,
    PageAlias,
    PageLink,
    PageUse,
    Revision,
    Tag,
    Watch,
)
from tiers.commons.render import render
from tiers.commons.text import clean_title, slug_of
from tiers.places.models import Network, Place

MAX_TAGS = 20
MAX_TAG_LENGTH = 60
MAX_COMMENT = 500
SAME_MESSAGE_WINDOW = datetime.timedelta(minutes=10)
"""A discussion message identical to one its author posted this recently is not posted again."""


@dataclass
class PageData:
    """What an editor sends: the content of one revision."""

    title: str
    body: str = ""
    summary: str = ""
    kind: str = Kind.PAGE
    licence: str = licences.DEFAULT
    tags: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    comment: str = ""

    @classmethod
    def of_revision(cls, revision: Revision, comment: str = "") -> PageData:
        return cls(
            title=revision.title, body=revision.body, summary=revision.summary,
            kind=revision.kind, licence=revision.licence, tags=list(revision.tags),
            facts=dict(revision.facts), comment=comment,
        )  # fmt: skip

    @classmethod
    def of_page(cls, page: Page, comment: str = "") -> PageData:
        return cls(
            title=page.title, body=page.body, summary=page.summary, kind=page.kind,
            licence=page.licence, tags=[tag.name for tag in page.tags.all()],
            facts=dict(page.facts), comment=comment,
        )  # fmt: skip


def _refuse(message: Any, code: str, field: str = "") -> CommonsError:
    return CommonsError(message, code=code, field=field)


def clean(data: PageData) -> PageData:
    """Checked and normalised content; raises CommonsError naming the field at fault."""
    values = [data.title, data.body, data.summary, data.comment, *data.tags]
    if any("\x00" in (value or "") for value in values):
        raise _refuse(gettext_lazy("The text contains a NUL character."), "invalid", "body")
    title = clean_title(data.title)
    if not title:
        raise _refuse(gettext_lazy("A page needs a title."), "title_required", "title")
    if len(title) > MAX_TITLE:
        raise _refuse(
            gettext_lazy("A title has at most %(max)d characters.") % {"max": MAX_TITLE},
            "title_too_long", "title",
        )  # fmt: skip
    if not slug_of(title):
        raise _refuse(
            gettext_lazy("A title needs at least one letter or digit."), "title_invalid", "title"
        )
    if ":" in title and title.split(":", 1)[0].strip().lower() in {
        "fichier", "file", "image", "média", "media", "catégorie", "category",
    }:  # fmt: skip
        raise _refuse(
            gettext_lazy("A title cannot start with “%(prefix)s:”.")
            % {"prefix": title.split(":", 1)[0]},
            "title_invalid", "title",
        )  # fmt: skip
    body = (data.body or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(body) > MAX_BODY:
        raise _refuse(
            gettext_lazy("The text is too long: at most %(max)s characters.")
            % {"max": f"{MAX_BODY:,}".replace(",", " ")},
            "body_too_long", "body",
        )  # fmt: skip
    summary = " ".join((data.summary or "").split())
    if len(summary) > 300:
        raise _refuse(
            gettext_lazy("A summary has at most 300 characters."), "summary_too_long", "summary"
        )
    if data.kind not in Kind.values:
        raise _refuse(gettext_lazy("Unknown kind of page."), "invalid_kind", "kind")
    if data.licence not in licences.Licence.values:
        raise _refuse(gettext_lazy("Unknown licence."), "invalid_licence", "licence")
    tags: list[str] = []
    for name in data.tags:
        name = " ".join((name or "").split())
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH or not slugify(name, allow_unicode=True):
            raise _refuse(
                gettext_lazy("A tag has 1 to %(max)d characters, with a letter or a digit.")
                % {"max": MAX_TAG_LENGTH},
                "invalid_tag", "tags",
            )  # fmt: skip
        if name.casefold() not in {tag.casefold() for tag in tags}:
            tags.append(name)
    if len(tags) > MAX_TAGS:
        raise _refuse(
            gettext_lazy("At most %(max)d tags.") % {"max": MAX_TAGS}, "invalid_tag", "tags"
        )
    comment = " ".join((data.comment or "").split())[:MAX_COMMENT]
    try:
        facts = facts_module.clean(data.kind, data.facts)
    except CommonsError:
        raise
    except Exception as exc:  # a DomainError from facts.clean
        raise _refuse(getattr(exc, "message", str(exc)), "invalid_facts", "facts") from None
    return PageData(title, body, summary, data.kind, data.licence, tags, facts, comment)


def check_rate(user: User) -> None:
    """New accounts (younger than COMMONS_NEW_ACCOUNT_DAYS) write at most
    COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR revisions, messages and files an hour; others at most
    COMMONS_EDITS_PER_HOUR. Counted from the rows, so it holds across app servers."""
    from tiers.core.ratelimit import RateLimitExceeded

    now = timezone.now()
    is_new = now - user.date_joined < datetime.timedelta(days=settings.COMMONS_NEW_ACCOUNT_DAYS)
    if user.is_superuser or user.is_staff:
        return
    limit = (
        settings.COMMONS_NEW_ACCOUNT_EDITS_PER_HOUR if is_new else settings.COMMONS_EDITS_PER_HOUR
    )
    since = now - datetime.timedelta(hours=1)
    mine = Revision.objects.filter(author=user, created_at__gte=since)
    # Adapting a tree writes one revision per page copied: it counts as one change.
    done = mine.exclude(action=Revision.Action.REMIX).count()
    done += mine.filter(action=Revision.Action.REMIX, page__parent__isnull=True).count()
    done += Comment.objects.filter(author=user, created_at__gte=since).count()
    # Files added (not those copied with the pages one adapted: part of that one change).
    files = Attachment.objects.filter(uploaded_by=user, created_at__gte=since).exclude(
        page__remixed_from__isnull=False, page__created_by=user
    )
    done += files.count()
    if done >= limit:
        firsts = [
            rows.order_by("created_at").values_list("created_at", flat=True).first()
            for rows in (
                Revision.objects.filter(author=user, created_at__gte=since),
                Comment.objects.filter(author=user, created_at__gte=since),
                files,
            )
        ]
        first = min((when for when in firsts if when is not None), default=now)
        retry = max(60, int((first + datetime.timedelta(hours=1) - now).total_seconds()))
        raise RateLimitExceeded(
            gettext_lazy(
                "You have made many changes in the last hour. New accounts are limited to "
                "%(limit)d an hour; please wait a little."
            )
            % {"limit": limit}
            if is_new
            else gettext_lazy("Too many changes in the last hour; please wait a little."),
            retry_after=retry,
        )


def _check_title_free(slug: str, page: Page | None) -> None:
    other = Page.objects.filter(slug=slug)
    alias = PageAlias.objects.filter(slug=slug)
    if page is not None:
        other = other.exclude(pk=page.pk)
        alias = alias.exclude(page=page)
    taken = (
        other.values_list("title", flat=True).first()
        or alias.values_list("page__title", flat=True).first()
    )
    if taken:
        raise _refuse(
            gettext_lazy("A page with a similar title already exists: “%(title)s”.")
            % {"title": taken},
            "title_taken", "title",
        )  # fmt: skip


def _check_parent(page: Page | None, parent: Page | None, place: Place | None,
                  network: Network | None) -> None:  # fmt: skip
    if parent is None:
        return
    if parent.place_id != (place.pk if place else None) or parent.network_id != (
        network.pk if network else None
    ):
        raise _refuse(
            gettext_lazy("A page's parent belongs to the same place, network or commons."),
            "invalid_parent", "parent",
        )  # fmt: skip
    if page is not None:
        seen: set[int] = set()
        current: Page | None = parent
        while current is not None:
            if current.pk == page.pk or current.pk in seen:
                raise _refuse(
                    gettext_lazy("A page cannot be placed under itself or its own sub-pages."),
                    "invalid_parent", "parent",
                )  # fmt: skip
            seen.add(current.pk)
            current = current.parent


def _set_tags(page: Page, names: list[str]) -> None:
    tags = []
    for name in names:
        slug = slugify(name) or slugify(name, allow_unicode=True)
        tag, _created = Tag.objects.get_or_create(slug=slug[:80], defaults={"name": name})
        tags.append(tag)
    page.tags.set(tags)


def _record_links(page: Page) -> None:
    """Render the body once: the HTML goes on the page, the wiki links into PageLink."""
    html, links = render(page.body, page)
    wanted_before = set(
        PageLink.objects.filter(source=page, target=None).values_list("target_slug", flat=True)
    )
    PageLink.objects.filter(source=page).delete()
    targets = {**links.found, **links.wanted}
    existing = dict(Page.objects.filter(slug__in=targets).values_list("slug", "pk")) | dict(
        PageAlias.objects.filter(slug__in=targets).values_list("slug", "page_id")
    )
    if wanted_before != {slug for slug in targets if slug not in existing}:
        wanted.changed()
    PageLink.objects.bulk_create(
        PageLink(source=page, target_slug=slug, target_title=title[:MAX_TITLE],
                 target_id=existing.get(slug))
        for slug, title in targets.items()
    )  # fmt: skip
    Page.objects.filter(pk=page.pk).update(html=html)
    page.html = html


def _title_appeared(page: Page, slugs: set[str]) -> None:
    """Links to these slugs now lead to `page`: point them there and render their pages
    again (a "page to create" link becomes a plain link)."""
    if PageLink.objects.filter(target_slug__in=slugs).update(target=page):
        wanted.changed()
    Page.objects.filter(links__target_slug__in=slugs).exclude(pk=page.pk).update(html="")


def _author_name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _append(
    page: Page, data: PageData, *, author: User | None, action: str,
    author_name: str = "", created_at: datetime.datetime | None = None,
    reverted_to: int | None = None, import_key: str = "",
) -> Revision:  # fmt: skip
    """Append a revision with `data` to a locked (or new) page and bring the page up to it."""
    previous_size = page.current_revision.size if page.current_revision_id else 0  # type: ignore[union-attr]
    when = created_at or timezone.now()
    old_slug = page.slug
    page.title, page.slug = data.title, slug_of(data.title)
    page.body, page.summary, page.kind = data.body, data.summary, data.kind
    page.licence, page.facts = data.licence, data.facts
    page.revision_number += 1
    page.updated_at = max(when, page.updated_at) if page.pk else when
    page.html = ""
    page.save()
    revision = Revision.objects.create(
        page=page, number=page.revision_number, action=action, title=data.title,
        summary=data.summary, kind=data.kind, licence=data.licence, tags=data.tags,
        facts=data.facts, body=data.body, comment=data.comment, author=author,
        author_name=(author_name or _author_name(author))[:150], created_at=when,
        size=len(data.body.encode()), size_delta=len(data.body.encode()) - previous_size,
        reverted_to=reverted_to, import_key=import_key,
    )  # fmt: skip
    page.current_revision = revision
    Page.objects.filter(pk=page.pk).update(current_revision=revision)
    _set_tags(page, data.tags)
    if old_slug and old_slug != page.slug:
        # The old title keeps leading here; the new one may have been an alias of this page.
        PageAlias.objects.filter(page=page, slug=page.slug).delete()
        PageAlias.objects.get_or_create(slug=old_slug, defaults={"page": page, "title": ""})
        _title_appeared(page, {page.slug})
    _record_links(page)
    search.index(page)
    return revision


def create_page(
    user: User | None, data: PageData, *, place: Place | None = None,
    network: Network | None = None, parent: Page | None = None, action: str = "create",
    author_name: str = "", created_at: datetime.datetime | None = None,
    import_key: str = "", remixed_from: Page | None = None,
    attribution: dict[str, Any] | None = None, check: bool = True,
) -> Page:  # fmt: skip
    """A new page with its first revision. `check=False` is for imports and the demo (no
    permission nor rate check: the caller is the site itself)."""
    if check:
        if user is None or not permissions.can_write_in(user, place, network):
            raise _refuse(
                gettext_lazy("You may not create pages here."), "forbidden"
            )  # 403 at the edge
        check_rate(user)
    data = clean(data)
    slug = slug_of(data.title)
    _check_parent(None, parent, place, network)
    try:
        with transaction.atomic():
            _check_title_free(slug, None)
            position = Page.objects.filter(place=place, network=network, parent=parent).count()
            page = Page(
                place=place, network=network, parent=parent, position=position,
                created_by=user, created_at=created_at or timezone.now(),
                import_key=import_key, remixed_from=remixed_from,
                attribution=attribution or {},
            )  # fmt: skip
            _append(page, data, author=user, action=action, author_name=author_name,
                    created_at=created_at)  # fmt: skip
            _title_appeared(page, {page.slug})
    except IntegrityError:
        # Someone created the same title at the same instant.
        _check_title_free(slug, None)
        raise
    if check and user is not None:
        watch(user, page)
    return page


def _locked(page: Page) -> Page:
    # No join here: after waiting for the lock, PostgreSQL re-reads the page row but not a
    # joined row, which would come from the snapshot taken before the wait.
    return Page.objects.select_for_update().get(pk=page.pk)


def edit_page(
    user: User, page: Page, data: PageData, *, base: int, parent: Page | bool | None = False,
    check: bool = True,
) -> Revision | None:  # fmt: skip
    """Save `data` as the page's next revision, if `base` is still its current revision
    number. `parent=False` leaves the page where it is in its tree. Returns None when nothing
    changed (no empty revision is written)."""
    if check:
        if not permissions.can_edit(user, page):
            raise _refuse(gettext_lazy("You may not edit this page."), "forbidden")
        check_rate(user)
    data = clean(data)
    with transaction.atomic():
        locked = _locked(page)
        if locked.revision_number != base:
            assert locked.current_revision is not None
            raise EditConflict(locked, locked.current_revision, base)
        if parent is not False:
            new_parent = parent if isinstance(parent, Page) else None
            _check_parent(locked, new_parent, locked.place, locked.network)
            if (new_parent.pk if new_parent else None) != locked.parent_id:
                locked.parent = new_parent
                locked.position = Page.objects.filter(
                    place=locked.place_id, network=locked.network_id, parent=new_parent
                ).count()
                locked.save(update_fields=["parent", "position"])
        if data == replace(PageData.of_page(locked), comment=data.comment):
            return None
        slug = slug_of(data.title)
        if slug != locked.slug:
            _check_title_free(slug, locked)
        revision = _append(locked, data, author=user, action=Revision.Action.EDIT)
        if check:
            watch(user, locked)
        transaction.on_commit(lambda: notifications.page_changed(revision.pk))
    page.refresh_from_db()
    return revision


def revert(user: User, page: Page, number: int, comment: str = "") -> Revision | None:
    """A new revision with the content of revision `number`."""
    if not permissions.can_edit(user, page):
        raise _refuse(gettext_lazy("You may not edit this page."), "forbidden")
    check_rate(user)
    with transaction.atomic():
        locked = _locked(page)
        target = Revision.objects.filter(page=locked, number=number).first()
        if target is None:
            raise _refuse(gettext_lazy("This revision does not exist."), "not_found")
        if target.hidden and not permissions.can_moderate(user, locked):
            raise _refuse(gettext_lazy("This revision is hidden."), "revision_hidden")
        if number == locked.revision_number:
            return None
        note = _("Reverted to revision %(number)d") % {"number": number}
        data = PageData.of_revision(target, comment=f"{note}: {comment}" if comment else note)
        data = clean(data)
        if replace(data, comment="") == replace(PageData.of_page(locked), comment=""):
            return None  # the page already reads like that revision
        if slug_of(data.title) != locked.slug:
            _check_title_free(slug_of(data.title), locked)
        revision = _append(
            locked, data, author=user, action=Revision.Action.REVERT, reverted_to=number
        )
        transaction.on_commit(lambda: notifications.page_changed(revision.pk))
    page.refresh_from_db()
    return revision


def _same_author(
    rev_author_id: int | None, rev_author_name: str, author_id: int | None, author_name: str
) -> bool:
    if author_id is not None:
        return rev_author_id == author_id
    return rev_author_id is None and rev_author_name == author_name


def rollback(
    moderator: User, page: Page, *, author_id: int | None, author_name: str = ""
) -> Revision | None:
    """Undo the last consecutive revisions of one author in one action: back to the last
    revision by someone else. A page that author created alone is deleted. Returns the new
    revision (None when the page was deleted or the author was not the last to edit)."""
    if not permissions.can_moderate(moderator, page):
        raise _refuse(gettext_lazy("You may not moderate this page."), "forbidden")
    with transaction.atomic():
        locked = _locked(page)
        revisions = list(
            Revision.objects.filter(page=locked)
            .order_by("-number")
            .values_list("number", "author_id", "author_name", "hidden")
        )
        if not revisions or not _same_author(revisions[0][1], revisions[0][2], author_id,
                                             author_name):  # fmt: skip
            return None
        name = revisions[0][2]
        others = [rev for rev in revisions if not _same_author(rev[1], rev[2], author_id,
                                                                  author_name)]  # fmt: skip
        if not others:
            _delete(locked)
            return None
        # A hidden revision (private data, say) is never made current again: the last visible
        # one by someone else is restored.
        visible = next((rev for rev in others if not rev[3]), None)
        if visible is None:
            raise _refuse(
                gettext_lazy("Every earlier revision by someone else is hidden: restore one "
                             "by hand, or show it again first."),
                "revision_hidden",
            )  # fmt: skip
        good = Revision.objects.get(page=locked, number=visible[0])
        data = clean(
            PageData.of_revision(
                good,
                comment=_("Changes by %(name)s undone; back to revision %(number)d by %(by)s")
                % {"name": name, "number": good.number, "by": good.author_name},
            )
        )
        if slug_of(data.title) != locked.slug:
            _check_title_free(slug_of(data.title), locked)
        revision = _append(
            locked, data, author=moderator, action=Revision.Action.ROLLBACK,
            reverted_to=good.number,
        )  # fmt: skip
        transaction.on_commit(lambda: notifications.page_changed(revision.pk))
    page.refresh_from_db()
    return revision


def rollback_everywhere(moderator: User, vandal: User) -> int:
    """Undo `vandal`'s last edits on every page they were the last to change (and that
    `moderator` may moderate). Returns the number of pages put back (or deleted)."""
    if not permissions.can_moderate_commons(moderator):
        raise _refuse(gettext_lazy("You may not moderate the commons."), "forbidden")
    count = 0
    pages = Page.objects.filter(current_revision__author=vandal).select_related("place")
    for page in pages:
        if not permissions.can_moderate(moderator, page):
            continue
        rollback(moderator, page, author_id=vandal.pk)
        count += 1
    return count


def _delete(page: Page) -> None:
    slugs = {page.slug, *page.aliases.values_list("slug", flat=True)}
    sources = list(PageLink.objects.filter(target=page).values_list("source_id", flat=True))
    wanted_links = PageLink.objects.filter(source=page, target=None).exists()
    search.unindex(page.pk)
    page.delete()
    Page.objects.filter(pk__in=sources).update(html="")
    if PageLink.objects.filter(target_slug__in=slugs).update(target=None) or wanted_links:
        wanted.changed()


def hide_revision(moderator: User, revision: Revision, *, hidden: bool, reason: str = "") -> None:
    """Hide (or show again) an old revision's content from everyone but moderators. The
    current revision cannot be hidden: revert it first."""
    page = revision.page
    if not permissions.can_moderate(moderator, page):
        raise _refuse(gettext_lazy("You may not moderate this page."), "forbidden")
    if hidden and revision.number == page.revision_number:
        raise _refuse(
            gettext_lazy("The current revision cannot be hidden: revert the page first."),
            "current_revision",
        )
    Revision.objects.filter(pk=revision.pk).update(
        hidden=hidden, hidden_by=moderator if hidden else None,
        hidden_reason=" ".join(reason.split())[:300] if hidden else "",
    )  # fmt: skip


def set_protected(moderator: User, page: Page, protected: bool) -> None:
    if not permissions.can_moderate(moderator, page):
        raise _refuse(gettext_lazy("You may not protect this page."), "forbidden")
    Page.objects.filter(pk=page.pk).update(protected=protected)
    page.protected = protected


def reorder(user: User, pages: list[Page]) -> None:
    """Put sibling pages in this order (a place's or network's tree)."""
    if not pages:
        return
    first = pages[0]
    if any(
        (p.place_id, p.network_id, p.parent_id)
        != (first.place_id, first.network_id, first.parent_id)
        for p in pages
    ):
        raise _refuse(gettext_lazy("Only pages side by side can be reordered."), "invalid")
    if not permissions.can_write_in(user, first.place, first.network):
        raise _refuse(gettext_lazy("You may not reorder these pages."), "forbidden")
    with transaction.atomic():
        for position, page in enumerate(pages):
            Page.objects.filter(pk=page.pk).update(position=position)
            page.position = position


def add_comment(user: User, page: Page, body: str, topic: str = "") -> Comment:
    if not permissions.can_comment(user):
        raise _refuse(gettext_lazy("Sign in to take part in the discussion."), "forbidden")
    body = (body or "").strip()
    topic = " ".join((topic or "").split())
    if "\x00" in body or "\x00" in topic:
        raise _refuse(gettext_lazy("The text contains a NUL character."), "invalid", "body")
    if not body:
        raise _refuse(gettext_lazy("Write a message."), "required", "body")
    if len(body) > 20_000 or len(topic) > 200:
        raise _refuse(gettext_lazy("This message is too long."), "too_long", "body")
    # The same message sent twice (a double click, a form sent again): kept once.
    again = Comment.objects.filter(
        page=page, author=user, topic=topic, body=body,
        created_at__gte=timezone.now() - SAME_MESSAGE_WINDOW,
    ).first()  # fmt: skip
    if again is not None:
        return again
    check_rate(user)
    comment = Comment.objects.create(
        page=page, author=user, author_name=user.display_name, topic=topic, body=body
    )
    transaction.on_commit(lambda: notifications.comment_added(comment.pk))
    return comment


def hide_comment(moderator: User, comment: Comment, *, hidden: bool) -> None:
    """Hide a discussion message from everyone but moderators (or show it again)."""
    if not permissions.can_moderate(moderator, comment.page):
        raise _refuse(gettext_lazy("You may not moderate this page."), "forbidden")
    Comment.objects.filter(pk=comment.pk).update(hidden=hidden)
    comment.hidden = hidden


def watch(user: User, page: Page, *, email: bool = True) -> Watch:
    item, _created = Watch.objects.get_or_create(user=user, page=page, defaults={"email": email})
    return item


def unwatch(user: User, page: Page) -> None:
    Watch.objects.filter(user=user, page=page).delete()


def seen(user: User, page: Page) -> None:
    """The person looked at the page: the next change is e-mailed again."""
    Watch.objects.filter(user=user, page=page, notified_at__isnull=False).update(notified_at=None)


def record_use(user: User, page: Page, place: Place, note: str = "") -> PageUse:
    if not permissions.can_record_use(user, place):
        raise _refuse(gettext_lazy("Only the place's managers may say so."), "forbidden")
    use, _created = PageUse.objects.update_or_create(
        page=page, place=place,
        defaults={"note": " ".join(note.split())[:300], "added_by": user},
    )  # fmt: skip
    return use


def remove_use(user: User, page: Page, place: Place) -> None:
    if not permissions.can_record_use(user, place):
        raise _refuse(gettext_lazy("Only the place's managers may say so."), "forbidden")
    PageUse.objects.filter(page=page, place=place).delete()


def page_html(page: Page) -> str:
    """The page's rendered HTML, rendered again only after a change."""
    if page.html:
        return page.html
    html, _links = render(page.body, page)
    Page.objects.filter(pk=page.pk, revision_number=page.revision_number).update(html=html)
    page.html = html
    return html


def attachments_changed(page: Page) -> None:
    Page.objects.filter(pk=page.pk).update(html="")
    page.html = ""


def authors(page: Page) -> list[str]:
    """The names of a page's authors, in order of their first revision, hidden ones aside."""
    return authors_of([page.pk])[page.pk]


def authors_of(page_ids: list[int]) -> dict[int, list[str]]:
    """`authors` of several pages in one query (a tree being printed or exported)."""
    names: dict[int, list[str]] = {pk: [] for pk in page_ids}
    for page_id, name in (
        Revision.objects.filter(page__in=page_ids, hidden=False)
        .order_by("page", "number")
        .values_list("page_id", "author_name")
    ):
        if name and name not in names[page_id]:
            names[page_id].append(name)
    return names
