"""What the events app adds to other pages: the next events on a place's page (with its
feeds), the organisers' "New event" link, and the next events of the site on the home page."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from tiers.events import clock
from tiers.events.models import Event, Festival
from tiers.events.permissions import can_organise_at, can_organise_for
from tiers.places.models import Network, Place
from tiers.places.sections import home_section, network_section

PLACE_SECTION_SIZE = 5
HOME_SECTION_SIZE = 8


def events_section(request: HttpRequest, place: Place) -> str:
    """The place's next events (at most 5), or nothing when it has none."""
    from tiers.events.views import with_seats_left

    events = list(
        Event.objects.listed()
        .upcoming(clock.now())
        .filter(place=place)
        .order_by("start", "pk")[:PLACE_SECTION_SIZE]
    )
    if not events:
        return ""
    for event in events:
        event.place = place
    feeds = (
        reverse("events:place_ics", args=[place.slug]),
        reverse("events:place_rss", args=[place.slug]),
        reverse("events:place_atom", args=[place.slug]),
    )
    return render_to_string(
        "events/_place_section.html",
        {"place": place, "events": with_seats_left(events), "feeds": feeds},
        request,
    )


def manager_links(request: HttpRequest, place: Place) -> list[tuple[str, str]]:
    if not can_organise_at(request.user, place):
        return []
    return [
        (reverse("events:create", args=[place.slug]), _("New event")),
        (reverse("events:place_events", args=[place.slug]), _("Events")),
    ]


@home_section
def home_events_section(request: HttpRequest) -> str:
    """The next events of the whole site on the home page."""
    from tiers.events.views import with_seats_left

    events = list(
        Event.objects.listed()
        .upcoming(clock.now())
        .select_related("place", "network")
        .order_by("start", "pk")[:HOME_SECTION_SIZE]
    )
    if not events:
        return ""
    return render_to_string(
        "events/_home_section.html", {"events": with_seats_left(events)}, request
    )


def current_festivals(network: Network | None = None) -> list[Festival]:
    """Published festivals not over yet (of one network, or of all), the soonest first."""
    festivals = Festival.objects.filter(
        is_published=True, end_date__gte=clock.now().date()
    ).select_related("network")
    if network is not None:
        festivals = festivals.filter(network=network)
    return list(festivals.order_by("start_date", "pk")[:5])


@network_section
def network_events_section(request: HttpRequest, network: Network) -> str:
    """A network's festivals and the way to its events (and, for its coordinators, to create
    both)."""
    return render_to_string(
        "events/_network_section.html",
        {
            "network": network,
            "festivals": current_festivals(network),
            "can_organise": can_organise_for(request.user, network),
        },
        request,
    )
