"""The commons on other apps' pages: a place's and a network's documentation (its pages at
the top of the tree, and the way to the whole tree)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from tiers.commons import permissions
from tiers.places.models import Network, Place

SECTION_SIZE = 12


def _section(request: HttpRequest, *, place: Place | None, network: Network | None) -> str:
    from tiers.commons.views import top_pages

    pages = top_pages(place=place, network=network, limit=SECTION_SIZE + 1)
    can_write = permissions.can_write_in(request.user, place, network)
    if not pages and not can_write:
        return ""
    return render_to_string(
        "commons/_section.html",
        {
            "place": place,
            "network": network,
            "pages": pages[:SECTION_SIZE],
            "more": len(pages) > SECTION_SIZE,
            "can_write": can_write,
            "tree_url": reverse("commons:place_tree", args=[place.slug])
            if place is not None
            else reverse("commons:network_tree", args=[network.slug]),  # type: ignore[union-attr]
            "create_query": f"?lieu={place.slug}"
            if place is not None
            else f"?reseau={network.slug}",  # type: ignore[union-attr]
        },
        request,
    )


def place_pages_section(request: HttpRequest, place: Place) -> str:
    return _section(request, place=place, network=None)


def network_pages_section(request: HttpRequest, network: Network) -> str:
    return _section(request, place=None, network=network)
