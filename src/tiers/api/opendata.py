"""Open data exports of the directory: GeoJSON (RFC 7946) and the national CSV standard.

Both take the directory's filters (`q`, `kind`, `network`, `bbox`, `near`...) and list the
places the public directory lists (closed ones are left out).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from ninja import Router

from tiers.api.problems import problem
from tiers.places.models import Place, PlaceQuerySet
from tiers.places.opendata import export
from tiers.places.search import FilterError, apply_filters, parse_filters

router = Router(tags=["open data"])


def _filtered(request: HttpRequest) -> PlaceQuerySet | HttpResponse:
    try:
        result = apply_filters(Place.objects.listed(), parse_filters(request.GET))
    except FilterError as exc:
        return problem(
            422,
            _("The filters are not valid."),
            str(exc.message),
            code="validation",
            errors=[{"field": exc.field, "message": str(exc.message)}],
        )
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
    places = _filtered(request)
    if isinstance(places, HttpResponse):
        return places
    page = request.build_absolute_uri(reverse("places:detail", args=["slug"]))
    body = export.geojson_document(places, url_prefix=page[: -len("slug/")])
    return HttpResponse(body, content_type="application/geo+json")


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
