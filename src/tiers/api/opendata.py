"""Open data exports of the directory: GeoJSON (RFC 7946) and the national CSV standard."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Router

from tiers.api.problems import problem
from tiers.places.models import Place
from tiers.places.search import FilterError, apply_filters, parse_filters

router = Router(tags=["open data"])


@router.get(
    "/places.geojson",
    url_name="places_geojson",
    summary="All (filtered) places as an RFC 7946 GeoJSON FeatureCollection",
    response={200: dict},
)
def places_geojson(request: HttpRequest) -> HttpResponse:
    try:
        result = apply_filters(Place.objects.listed(), parse_filters(request.GET))
    except FilterError as exc:
        return problem(
            422,
            str(exc.message),
            code="validation",
            errors=[{"field": exc.field, "message": exc.message}],
        )
    rows = result.places.filter(latitude__isnull=False, longitude__isnull=False).values_list(
        "slug", "name", "town", "postcode", "status", "longitude", "latitude"
    )
    base = request.build_absolute_uri("/lieux/")
    features = [
        {
            "type": "Feature",
            "id": slug,
            "geometry": {"type": "Point", "coordinates": [round(lon or 0, 6), round(lat or 0, 6)]},
            "properties": {
                "name": name,
                "town": town,
                "postcode": postcode,
                "status": status,
                "url": f"{base}{slug}/",
            },
        }
        for slug, name, town, postcode, status, lon, lat in rows.order_by()
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return HttpResponse(body, content_type="application/geo+json")
