"""The tags, places and networks that have pages, offered as filters by the search page and
the recent changes: a network may have thousands of places, so the lists are kept a few
minutes in the cache (a new owner shows up a little later) and their `<select>` is written as
one string rather than an option template at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tiers.commons.models import Page, Tag
from tiers.places.models import Network, Place

CACHE_KEY = "commons:owner-choices"
CACHE_SECONDS = 300

Choices = list[tuple[str, str]]


def _lists() -> dict[str, tuple[Choices, str]]:
    """Each list with its `<option>`s written once."""
    found = cache.get(CACHE_KEY)
    if found is None:
        tags = Tag.objects.filter(Exists(Page.tags.through.objects.filter(tag=OuterRef("pk"))))
        places = Place.objects.filter(Exists(Page.objects.filter(place=OuterRef("pk"))))
        networks = Network.objects.filter(
            Q(Exists(Page.objects.filter(network=OuterRef("pk"))))
            | Q(Exists(Page.objects.filter(place__networks=OuterRef("pk"))))
        )
        found = {}
        for name, queryset in (("tag", tags), ("place", places), ("network", networks)):
            choices = list(queryset.order_by("name").values_list("slug", "name"))
            found[name] = (choices, str(options(choices)))
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def most_used_tags(limit: int) -> list[dict[str, Any]]:
    """The tags on the most pages (name, slug, count), most used first: counting every tag
    of every page takes a tenth of a second in a commons of 100,000 pages, so the list is
    kept as long as the others."""
    key = f"commons:most-used-tags:{limit}"
    found = cache.get(key)
    if found is None:
        found = list(
            Tag.objects.annotate(count=Count("pages"))
            .filter(count__gt=0)
            .order_by("-count", "name")
            .values("name", "slug", "count")[:limit]
        )
        cache.set(key, found, CACHE_SECONDS)
    return found


def owners_and_tags() -> dict[str, Choices]:
    """`{"tag": [(slug, name)...], "place": [...], "network": [...]}`, each by name."""
    return {name: choices for name, (choices, _html) in _lists().items()}


def owner_options(name: str, value: str = "") -> SafeString:
    """The `<option>`s of the tags, places or networks (`name`), `value` selected."""
    html = _lists()[name][1]
    if value:
        mark = f'<option value="{escape(value)}">'
        html = html.replace(mark, mark[:-1] + " selected>", 1)
    return mark_safe(html)  # noqa: S308 (built by `options`, every value and label escaped)


def options(choices: Iterable[tuple[Any, Any]], value: str = "") -> SafeString:
    """`<option>`s, every value and label escaped, `value` selected."""
    return mark_safe(  # noqa: S308
        "".join(
            f'<option value="{escape(code)}"{" selected" if str(code) == value else ""}>'
            f"{escape(label)}</option>"
            for code, label in choices
        )
    )


class OwnerSelect(forms.Select):
    """The `<select>` of the places or networks that have pages (`owner`: "place" or
    "network"), after a first, empty choice."""

    def __init__(self, owner: str, blank: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.owner, self.blank = owner, blank

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = "" if value is None else str(value[0] if isinstance(value, list) else value)
        return mark_safe(  # noqa: S308
            f'<select{flatatt(final)}><option value="">{escape(self.blank)}</option>'
            f"{owner_options(self.owner, chosen)}</select>"
        )
