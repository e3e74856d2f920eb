"""What the bookings app adds to a place's page: the resources one may book there, and the
links of those who run its bookings."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from tiers.bookings.permissions import can_manage_bookings, can_see_day_list, visible_resources
from tiers.places.models import Place


def resources_section(request: HttpRequest, place: Place) -> str:
    resources = list(visible_resources(request.user, place).order_by("name"))
    if not resources:
        return ""
    return render_to_string(
        "bookings/_place_section.html", {"place": place, "resources": resources}, request
    )


def manager_links(request: HttpRequest, place: Place) -> list[tuple[str, str]]:
    links = []
    if can_see_day_list(request.user, place):
        links.append((reverse("bookings:manage_day", args=[place.slug]), _("Bookings")))
    if can_manage_bookings(request.user, place):
        links.append((reverse("bookings:occupancy", args=[place.slug]), _("Occupancy")))
    return links
