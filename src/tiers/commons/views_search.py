"""The search page of the commons: words and filters in a GET form, ranked results with their
highlighted passage, a page of results at a time. Works without JavaScript."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tiers.commons import licences
from tiers.commons import search as search_module
from tiers.commons.choices import options, owner_options, owners_and_tags
from tiers.commons.facts import Kind

PAGE_SIZE = 20
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Listing:
    """Where this page of results stands (for the pagination links)."""

    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _param(request: HttpRequest, name: str, limit: int = 200) -> str:
    return " ".join(request.GET.get(name, "").replace("\x00", "").split())[:limit]


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), MAX_PAGE))
    except ValueError:
        return 1


def _choices(filters: dict[str, str]) -> dict[str, Any]:
    kinds = [(code, str(label)) for code, label in Kind.choices]
    licence_choices = [(code, info.name) for code, info in licences.INFO.items()]
    return {
        "kind_options": options(kinds, filters["kind"]),
        "licence_options": options(licence_choices, filters["licence"]),
        "tag_options": owner_options("tag", filters["tag"]),
        "place_options": owner_options("place", filters["place"]),
        "network_options": owner_options("network", filters["network"]),
        "has_networks": bool(owners_and_tags()["network"]),
    }


def search(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    q = _param(request, "q", search_module.MAX_QUERY_CHARS)
    # A final space says the last word is whole (else it is also a beginning: "poula…").
    typed = q + " " if q and request.GET.get("q", "")[-1:].isspace() else q
    filters = {name: _param(request, name, 100) for name in ("kind", "tag", "place", "network")}
    filters["licence"] = _param(request, "licence", 100)
    ignored = False
    if filters["kind"] and filters["kind"] not in Kind.values:
        filters["kind"], ignored = "", True
    if filters["licence"] and filters["licence"] not in licences.Licence.values:
        filters["licence"], ignored = "", True
    asked = bool(q or any(filters.values()))
    number = _page_number(request)
    total, hits = 0, list[search_module.Hit]()
    if asked:
        given = {name: value or None for name, value in filters.items()}
        total, hits = search_module.search(
            typed, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, **given
        )
        last = max(1, math.ceil(min(total, search_module.MAX_RESULTS) / PAGE_SIZE))
        if number > last:  # past the end (an old link): the last page
            number = last
            total, hits = search_module.search(
                typed, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, **given
            )
    results = [
        {
            "page": hit.page,
            "snippet": hit.snippet,
            "title_match": hit.title_match,
            "licence": licences.info(hit.page.licence),
            "owner": hit.page.owner,
        }
        for hit in hits
    ]
    context = {
        "q": q,
        "filters": filters,
        "asked": asked,
        "filtered": any(filters.values()),
        "ignored": ignored,
        "total": total,
        "results": results,
        "more": total > search_module.MAX_RESULTS,
        "max_results": search_module.MAX_RESULTS,
        "listing": Listing(
            number, max(1, math.ceil(min(total, search_module.MAX_RESULTS) / PAGE_SIZE))
        ),
        "first_number": (number - 1) * PAGE_SIZE + 1,
        "nothing_to_find": bool(q) and not search_module.Query.parse(q),
        "title": (_("Search: “%(q)s”") % {"q": q} if q else _("Search the documentation")),
        **_choices(filters),
    }
    return render(request, "commons/search.html", context)
