"""Pages, revisions, messages and watches in a person's data export and erasure, plugged into
the accounts app's registries.

The export lists the person's revisions (page, number, time, edit summary), their messages in
discussions, the pages they follow, and whether they have a private feed.

Erasing the account keeps the revisions: their text is published under an open licence and
the pages' history must stay whole. They lose their author: `author` becomes empty and the
name shown becomes a neutral "former contributor" (in the site's language), the same for
every erased person, so that nothing links their revisions together any more. Their
messages in discussions stay (others answered them) under the same neutral name. Where an
adaptation of a page they wrote in lists them among its source's authors, that name too
becomes the neutral one. Their watches and their feed's key are deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from tiers.accounts.models import User
from tiers.accounts.services import personal_data_eraser, personal_data_exporter
from tiers.commons.models import (
    Attachment,
    Comment,
    FeedKey,
    Page,
    PageAlias,
    PageUse,
    Revision,
    Watch,
)


def former_contributor() -> str:
    """The name erased authors take, in the site's language (it is stored)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Former contributor")


@personal_data_exporter("commons_revisions")
def export_revisions(user: User) -> list[dict[str, Any]]:
    rows = (
        Revision.objects.filter(author=user)
        .select_related("page")
        .only("number", "created_at", "comment", "author_name", "action", "title", "page__slug")
        .order_by("created_at", "pk")
    )
    return [
        {
            "page": revision.title,
            "address": settings.SITE_URL.rstrip("/") + revision.page.get_absolute_url(),
            "number": revision.number,
            "action": revision.action,
            "time": revision.created_at,
            "comment": revision.comment,
            "name_shown": revision.author_name,
        }
        for revision in rows.iterator()
    ]


@personal_data_exporter("commons_messages")
def export_messages(user: User) -> list[dict[str, Any]]:
    rows = Comment.objects.filter(author=user).select_related("page").order_by("created_at", "pk")
    return [
        {
            "page": comment.page.title,
            "topic": comment.topic,
            "message": comment.body,
            "time": comment.created_at,
            "hidden": comment.hidden,
        }
        for comment in rows.iterator()
    ]


@personal_data_exporter("commons_watchlist")
def export_watches(user: User) -> dict[str, Any]:
    watches = Watch.objects.filter(user=user).select_related("page").order_by("created_at", "pk")
    key = FeedKey.objects.filter(user=user).first()
    return {
        "pages": [
            {
                "page": watch.page.title,
                "email": watch.email,
                "since": watch.created_at,
                "last_emailed": watch.notified_at,
            }
            for watch in watches
        ],
        # the key itself is a secret: only when it was made
        "private_feed_since": key.created_at if key is not None else None,
    }


def _scrub_attributions(user: User, name: str) -> None:
    """Adaptations keep their sources' authors' names (`Page.attribution`): where a source is
    a page the person wrote in, their names there become the neutral one."""
    mine = Revision.objects.filter(author=user)
    names = set(mine.values_list("author_name", flat=True)) | {user.display_name}
    names.discard("")
    pages = set(mine.values_list("page_id", flat=True).distinct())
    if not names or not pages:
        return
    slugs = set(Page.objects.filter(pk__in=pages).values_list("slug", flat=True))
    slugs |= set(PageAlias.objects.filter(page_id__in=pages).values_list("slug", flat=True))

    def scrub(entry: Any) -> bool:
        if not isinstance(entry, dict) or entry.get("slug") not in slugs:
            return False
        authors = entry.get("authors")
        if not isinstance(authors, list) or not names.intersection(authors):
            return False
        kept: list[str] = []
        for author in authors:
            author = name if author in names else author
            if author not in kept:
                kept.append(author)
        entry["authors"] = kept
        return True

    adaptations = Page.objects.exclude(attribution={}).only("attribution")
    for page in adaptations.iterator():
        attribution = page.attribution
        changed = scrub(attribution)
        for earlier in attribution.get("chain") or []:
            changed = scrub(earlier) or changed
        if changed:
            Page.objects.filter(pk=page.pk).update(attribution=attribution)


@personal_data_eraser
def erase_commons(user: User) -> None:
    name = former_contributor()
    _scrub_attributions(user, name)
    Revision.objects.filter(author=user).update(author=None, author_name=name)
    Comment.objects.filter(author=user).update(author=None, author_name=name)
    Revision.objects.filter(hidden_by=user).update(hidden_by=None)
    Page.objects.filter(created_by=user).update(created_by=None)
    Attachment.objects.filter(uploaded_by=user).update(uploaded_by=None)
    PageUse.objects.filter(added_by=user).update(added_by=None)
    Watch.objects.filter(user=user).delete()
    FeedKey.objects.filter(user=user).delete()
