"""Wanted pages: the titles that pages link to and that no page (nor alias) holds yet, the most
linked first.

Grouping every link without a page takes a tenth of a second in a commons of 100,000 pages,
so each page of the list is kept in the cache until the wanted links change (the services
call `changed()`, which renews a version key once the transaction commits) and at most
`CACHE_SECONDS` in any case."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Min
from django.urls import reverse

from tiers.commons.models import Page, PageAlias, PageLink

VERSION_KEY = "commons:wanted-version"
CACHE_SECONDS = 600
SOURCES_SHOWN = 3


def changed() -> None:
    """The wanted links changed: the cached lists are stale, for the rest of this transaction
    and again once it commits (a list computed meanwhile by another request, from the data
    before the commit, is not kept)."""

    def renew() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)

    renew()
    transaction.on_commit(renew)


def _groups() -> Any:
    existing = Page.objects.values("slug")
    aliased = PageAlias.objects.values("slug")
    return (
        PageLink.objects.filter(target__isnull=True)
        .exclude(target_slug__in=existing)
        .exclude(target_slug__in=aliased)
        .values("target_slug")
        .annotate(count=Count("source", distinct=True), title=Min("target_title"))
        .order_by("-count", "target_slug")
    )


class WantedList:
    """The wanted titles, as a `Paginator` reads them: `count()` and slices, each cached."""

    def __init__(self) -> None:
        self.version = cache.get_or_set(VERSION_KEY, lambda: uuid.uuid4().hex, None)

    def _cached(self, name: str, compute: Any) -> Any:
        return cache.get_or_set(f"commons:wanted:{self.version}:{name}", compute, CACHE_SECONDS)

    def count(self) -> int:
        return int(self._cached("count", lambda: _groups().count()))

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop = window.start or 0, window.stop
        return list(self._cached(f"{start}:{stop}", lambda: _rows(start, stop)))


def _rows(start: int, stop: int | None) -> list[dict[str, Any]]:
    """A slice of the wanted titles: slug, title, count, the first linking pages (title, url)
    and the address that creates the page."""
    rows = list(_groups()[start:stop])
    linking: dict[str, list[dict[str, str]]] = {}
    if rows:
        links = (
            PageLink.objects.filter(
                target__isnull=True, target_slug__in=[row["target_slug"] for row in rows]
            )
            .select_related("source")
            .only("target_slug", "source__title", "source__slug")
            .order_by("source__title")
        )
        for link in links:
            linking.setdefault(link.target_slug, []).append(
                {"title": link.source.title, "url": link.source.get_absolute_url()}
            )
    for row in rows:
        row["sources"] = linking.get(row["target_slug"], [])[:SOURCES_SHOWN]
        row["create_url"] = reverse("commons:create") + "?" + urlencode({"titre": row["title"]})
    return rows
