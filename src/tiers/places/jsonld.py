"""schema.org JSON-LD for a place page (a `Place`, or `LocalBusiness`-like `CivicStructure`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tiers.places.models import Place


def place_jsonld(place: Place, request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Place",
        "@id": request.build_absolute_uri(place.get_absolute_url()),
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
    if place.short_description:
        data["description"] = place.short_description
    if place.has_coordinates:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": place.latitude,
            "longitude": place.longitude,
        }
    if place.opening_hours:
        data["openingHours"] = place.opening_hours
    if place.phone:
        data["telephone"] = place.phone
    same_as = [url for url in [place.website, *place.links] if url]
    if same_as:
        data["sameAs"] = same_as
    photos = [request.build_absolute_uri(p.image.url) for p in place.photos.all()]
    if photos:
        data["photo"] = photos
    if place.wheelchair:
        data["amenityFeature"] = {
            "@type": "LocationFeatureSpecification",
            "name": "wheelchair",
            "value": place.wheelchair == Place.Access.FULL,
        }
    return data
