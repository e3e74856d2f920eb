"""Sections that other apps add to a place's page (its bookings, its events...), so that
places never imports them: an app registers `function(request, place) -> str` (rendered,
safe HTML, or "" to show nothing) from its `AppConfig.ready()`, and the page shows the
sections in the order they were registered."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from tiers.places.models import Network, Place

PlaceSection = Callable[[HttpRequest, Place], str]
ManagerLink = Callable[[HttpRequest, Place], list[tuple[str, str]]]
HomeSection = Callable[[HttpRequest], str]
NetworkSection = Callable[[HttpRequest, Network], str]

_sections: list[PlaceSection] = []
_manager_links: list[ManagerLink] = []
_home_sections: list[HomeSection] = []
_network_sections: list[NetworkSection] = []


def place_section(function: PlaceSection) -> PlaceSection:
    if function not in _sections:
        _sections.append(function)
    return function


def place_manager_links(function: ManagerLink) -> ManagerLink:
    """Register `function(request, place) -> [(url, label)]`: buttons shown to those who run
    the place (the function decides who sees them)."""
    if function not in _manager_links:
        _manager_links.append(function)
    return function


def home_section(function: HomeSection) -> HomeSection:
    """Register `function(request) -> str` (safe HTML, or "" to show nothing): a section of
    the home page, below the directory (the next events...)."""
    if function not in _home_sections:
        _home_sections.append(function)
    return function


def network_section(function: NetworkSection) -> NetworkSection:
    """Register `function(request, network) -> str` (safe HTML, or ""): a section of a
    network's page (its festivals and events...)."""
    if function not in _network_sections:
        _network_sections.append(function)
    return function


def render_network_sections(request: HttpRequest, network: Network) -> list[SafeString]:
    return [mark_safe(html) for f in _network_sections if (html := f(request, network))]  # noqa: S308


def render_home_sections(request: HttpRequest) -> list[SafeString]:
    return [mark_safe(html) for f in _home_sections if (html := f(request))]  # noqa: S308


def render_sections(request: HttpRequest, place: Place) -> list[SafeString]:
    # each function renders with autoescaping templates: its output is safe HTML
    return [mark_safe(html) for f in _sections if (html := f(request, place))]  # noqa: S308


def manager_links(request: HttpRequest, place: Place) -> list[tuple[str, str]]:
    return [link for f in _manager_links for link in f(request, place)]
