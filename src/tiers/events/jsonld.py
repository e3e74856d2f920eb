"""schema.org `Event` JSON-LD for event pages, so that search engines and aggregators show the
date, the place and the price.

The JSON goes inside a `<script>` element: `<`, `>` and `&` are written as `\\u003c`...
so that a title containing `</script>` cannot end the element early (the JSON stays the same
once parsed).
"""

from __future__ import annotations

import json
from html import unescape
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

from tiers.core.markdown import render_markdown
from tiers.events import registrations
from tiers.events.models import Event
from tiers.places.models import Network, Place

SCHEMA = "https://schema.org/"
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def dumps_for_script(data: Any) -> str:
    """JSON that is safe inside an HTML `<script>` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # U+2028/2029 are valid JSON but were line ends for old JavaScript parsers
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.translate(_JSON_ESCAPES)


def plain_text(markdown: str, limit: int = 5000) -> str:
    """The Markdown's text without markup, on single spaces."""
    text = strip_tags(str(render_markdown(markdown)))
    # entities left by the renderer (&amp;...) read as their characters
    return " ".join(unescape(text).split())[:limit]


def attendance_mode(event: Event) -> str:
    physical = event.place_id is not None or bool(event.location)
    if event.online_url and physical:
        return SCHEMA + "MixedEventAttendanceMode"
    if event.online_url:
        return SCHEMA + "OnlineEventAttendanceMode"
    return SCHEMA + "OfflineEventAttendanceMode"


def _physical_location(event: Event, request: HttpRequest) -> dict[str, Any] | None:
    if event.location:
        return {
            "@type": "Place",
            "name": event.location,
            "address": event.location,
        }
    place = event.place if event.place_id is not None else None
    if place is None:
        return None
    location: dict[str, Any] = {
        "@type": "Place",
        "name": place.name,
        "url": request.build_absolute_uri(place.get_absolute_url()),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": place.address,
            "postalCode": place.postcode,
            "addressLocality": place.town,
            "addressCountry": "FR",
        },
    }
    if place.latitude is not None and place.longitude is not None:
        location["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": place.latitude,
            "longitude": place.longitude,
        }
    return location


def _locations(event: Event, request: HttpRequest) -> list[dict[str, Any]]:
    locations: list[dict[str, Any]] = []
    physical = _physical_location(event, request)
    if physical is not None:
        locations.append(physical)
    if event.online_url:
        locations.append({"@type": "VirtualLocation", "url": event.online_url})
    return locations


def _organizer(event: Event, request: HttpRequest) -> dict[str, Any] | None:
    organiser: Network | Place
    if event.network_id is not None and event.network is not None:
        organiser = event.network
    elif event.place_id is not None and event.place is not None:
        organiser = event.place
    else:
        return None
    return {
        "@type": "Organization",
        "name": organiser.name,
        "url": request.build_absolute_uri(organiser.get_absolute_url()),
    }


def _offers(event: Event, request: HttpRequest, event_url: str) -> dict[str, Any]:
    price = "0"
    paying = event.price_mode in (Event.PriceMode.SUGGESTED, Event.PriceMode.FIXED)
    if paying and event.price_amount is not None:
        price = f"{event.price_amount:.2f}"
    available = not event.is_cancelled
    if available and event.registration_open and event.capacity is not None:
        left = registrations.seats_left(event)
        available = left is None or left > 0
    url = event_url
    if event.registration_open:
        url = request.build_absolute_uri(reverse("events:register", args=[event.slug]))
    offers: dict[str, Any] = {
        "@type": "Offer",
        "price": price,
        "priceCurrency": "EUR",
        "availability": SCHEMA + ("InStock" if available else "SoldOut"),
        "url": url,
    }
    if event.registration_open and event.registration_opens_at:
        offers["validFrom"] = event.registration_opens_at.astimezone(event.tz).isoformat()
    return offers


def event_data(event: Event, request: HttpRequest) -> dict[str, Any]:
    """The schema.org `Event` as a dict (use `select_related("place", "network")`)."""
    url = request.build_absolute_uri(event.get_absolute_url())
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "name": event.title,
        "url": url,
        "startDate": event.local_start.isoformat(),
        "endDate": event.local_end.isoformat(),
        "eventStatus": SCHEMA + ("EventCancelled" if event.is_cancelled else "EventScheduled"),
        "eventAttendanceMode": attendance_mode(event),
        "isAccessibleForFree": event.price_mode
        in (Event.PriceMode.FREE, Event.PriceMode.PAY_WHAT_YOU_WANT),
        "offers": _offers(event, request, url),
    }
    description = event.summary or plain_text(event.description)
    if description:
        data["description"] = description
    locations = _locations(event, request)
    if len(locations) == 1:
        data["location"] = locations[0]
    elif locations:
        data["location"] = locations
    organizer = _organizer(event, request)
    if organizer is not None:
        data["organizer"] = organizer
    if event.image:
        data["image"] = [request.build_absolute_uri(event.image.url)]
    if event.audience and event.audience != Event.Audience.EVERYONE:
        data["audience"] = {"@type": "Audience", "audienceType": str(event.get_audience_display())}
    return data


def event_jsonld(event: Event, request: HttpRequest) -> str:
    """The `<script type="application/ld+json">` element, as safe HTML."""
    payload = mark_safe(dumps_for_script(event_data(event, request)))  # noqa: S308 - escaped above
    html: SafeString = format_html('<script type="application/ld+json">{}</script>', payload)
    return html
