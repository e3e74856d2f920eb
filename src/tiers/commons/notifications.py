"""E-mails to the people who watch a page, sent as background jobs once the change has
committed (django-tasks), so that saving a page never waits for a mail server.

- `page_changed(revision_id)`: a new revision;
- `comment_added(comment_id)`: a new message in the page's discussion.

Each watcher who asked for e-mails (`Watch.email`) gets one, in their language, except the
author of the change; then nothing more about that page until they look at it again
(`Watch.notified_at`, cleared by `services.seen`). The watch is marked before the e-mail is
sent, by a conditional update, so that two changes at once send one e-mail. Inactive and
erased accounts get nothing, nor accounts whose address is not confirmed yet (anyone may sign
up with someone else's address). The task reads the rows again: a change hidden or a page
deleted meanwhile sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tiers.commons.models import Comment, Page, Revision, Watch
from tiers.core.mail import send_templated

# Entry points (called from transaction.on_commit) ---------------------------------------------


def page_changed(revision_id: int) -> None:
    """Tell the page's watchers (not its author) that it changed."""
    send_page_changed.enqueue(revision_id)


def comment_added(comment_id: int) -> None:
    """Tell the page's watchers (not the message's author) about a new message."""
    send_comment_added.enqueue(comment_id)


# Helpers ----------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _watchers(page: Page, author_id: int | None) -> Iterator[Watch]:
    """The watches to tell, each claimed (notified_at set) before it is returned."""
    watches = (
        Watch.objects.filter(
            page=page, email=True, notified_at__isnull=True,
            user__is_active=True, user__erased_at__isnull=True,
            # an address nobody confirmed may be someone else's: nothing is sent to it
            user__email_verified_at__isnull=False,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )  # fmt: skip
    if author_id is not None:
        watches = watches.exclude(user_id=author_id)
    for watch in watches:
        claimed = Watch.objects.filter(pk=watch.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if claimed:
            yield watch


def _send(watch: Watch, template: str, context: dict[str, Any]) -> None:
    user = watch.user
    send_templated(
        to=user.email, template=f"commons/email/{template}",
        context={**context, "user_name": user.display_name},
        language=user.language or settings.LANGUAGE_CODE,
    )  # fmt: skip


def _common(page: Page) -> dict[str, Any]:
    return {
        "page": page,
        "page_url": absolute(page.get_absolute_url()),
        "watchlist_url": absolute(reverse("commons:watchlist")),
    }


# Tasks ------------------------------------------------------------------------------------------


@task()
def send_page_changed(revision_id: int) -> None:
    revision = Revision.objects.select_related("page").filter(pk=revision_id).first()
    if revision is None or revision.hidden:
        return
    page = revision.page
    # From the revision before this one to whatever is current when the reader clicks: the
    # next changes are not e-mailed, so the link shows them all.
    if revision.number > 1:
        diff_url = absolute(
            reverse("commons:diff", args=[page.slug]) + "?" + urlencode({"de": revision.number - 1})
        )
    else:
        diff_url = absolute(page.get_absolute_url())
    context = {
        **_common(page),
        "revision": revision,
        "author_name": revision.author_name,
        "comment": revision.comment,
        "diff_url": diff_url,
        "created": revision.number == 1,
    }
    for watch in _watchers(page, revision.author_id):
        _send(watch, "page_changed", context)


@task()
def send_comment_added(comment_id: int) -> None:
    comment = Comment.objects.select_related("page").filter(pk=comment_id).first()
    if comment is None or comment.hidden:
        return
    page = comment.page
    context = {
        **_common(page),
        "comment": comment,
        "author_name": comment.author_name,
        "discussion_url": absolute(reverse("commons:discussion", args=[page.slug])),
    }
    for watch in _watchers(page, comment.author_id):
        _send(watch, "comment_added", context)
