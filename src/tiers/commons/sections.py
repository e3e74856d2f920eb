"""The commons on other apps' pages: a place's and a network's documentation."""

from __future__ import annotations

from django.http import HttpRequest

from tiers.places.models import Network, Place


def place_pages_section(request: HttpRequest, place: Place) -> str:
    return ""


def network_pages_section(request: HttpRequest, network: Network) -> str:
    return ""
