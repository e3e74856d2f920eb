"""Open data exports of the directory: GeoJSON (RFC 7946) and the national CSV standard.

Both take the directory's filters (`q`, `kind`, `network`, `bbox`, `near`...) and list the
places the public directory lists (closed ones are left out).
"""

from __future__ import annotations

import gzip
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from ninja import Router

from tiers.api.problems import problem
from tiers.places.models import Place, PlaceQuerySet
from tiers.places.opendata import export
from tiers.places.search import FilterError, apply_filters, directory_version, parse_filters

router = Router(tags=["open data"])

# Browsers may reuse the map's data for a minute; the server keeps it until the directory
# changes (the key holds its version) or for ten minutes.
GEOJSON_MAX_AGE = 60
GEOJSON_CACHE_SECONDS = 600


def _filter_problem(exc: FilterError) -> HttpResponse:
    return problem(
        422,
        _("The filters are not valid."),
        str(exc.message),
        code="validation",
        errors=[{"field": exc.field, "message": str(exc.message)}],
    )


def _filtered(request: HttpRequest) -> PlaceQuerySet | HttpResponse:
    try:
        result = apply_filters(Place.objects.listed(), parse_filters(request.GET))
    except FilterError as exc:
        return _filter_problem(exc)
    return result.places


@router.get(
    "/places.geojson",
    url_name="places_geojson",
    summary="All (filtered) places as an RFC 7946 GeoJSON FeatureCollection",
    description=(
        "One Point feature per place that has coordinates; `id` is the place's slug, "
        "properties are name, town, postcode, status, url and kinds."
    ),
    response={200: dict},
)
def places_geojson(request: HttpRequest) -> HttpResponse:
    """The map's data: all the directory's places at once, so it is cached (keyed by the
    directory's version, the filters and the host), compressed and revalidated with an ETag."""
    try:
        filters = parse_filters(request.GET)
    except FilterError as exc:
        return _filter_problem(exc)
    query = filters.cache_key()
    if filters.open_now:  # the answer changes with the clock, not only the data
        query += timezone.now().strftime("|%Y%m%d%H%M")
    key = hashlib.sha256(
        f"{directory_version()}|{request.get_host()}|{query}".encode()
    ).hexdigest()[:32]
    etag = f'"{key}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={GEOJSON_MAX_AGE}"}
    if etag in (request.headers.get("If-None-Match") or ""):
        return HttpResponseNotModified(headers=headers)
    compressed = cache.get(f"geojson:{key}")
    if compressed is None:
        places = apply_filters(Place.objects.listed(), filters).places
        page = request.build_absolute_uri(reverse("places:detail", args=["slug"]))
        body = export.geojson_document(places, url_prefix=page[: -len("slug/")])
        compressed = gzip.compress(body.encode(), compresslevel=1)
        cache.set(f"geojson:{key}", compressed, GEOJSON_CACHE_SECONDS)
    headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return HttpResponse(compressed, content_type="application/geo+json", headers=headers)
    return HttpResponse(
        gzip.decompress(compressed), content_type="application/geo+json", headers=headers
    )


@router.get(
    "/places.csv",
    url_name="places_csv",
    summary="All (filtered) places in the “lieux de médiation numérique” CSV standard",
    description=(
        "The national standard, version 1.0.2: its columns in its order, `|` between "
        "several values. Places without the address the standard requires (a postcode, a "
        "town and a street address) are left out; the `X-Excluded-Count` header counts them."
    ),
    response={200: str},
)
def places_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    places = _filtered(request)
    if isinstance(places, HttpResponse):
        return places
    exportable = export.csv_exportable()
    excluded = places.exclude(exportable).count()
    response = StreamingHttpResponse(
        export.mednum_csv(places.filter(exportable), default_source=settings.SITE_NAME),
        content_type="text/csv; charset=utf-8",
    )
    day = timezone.localdate().strftime("%Y%m%d")
    site = slugify(settings.SITE_NAME) or "tiers"
    response["Content-Disposition"] = (
        f'attachment; filename="{day}_{site}_lieux-de-mediation-numerique.csv"'
    )
    response["X-Excluded-Count"] = str(excluded)
    return response
