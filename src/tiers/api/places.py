"""Places: the directory as JSON (list, detail) and writes for their managers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from tiers.api.auth import caller, token_or_session
from tiers.api.problems import form_errors, problem, validation_problem
from tiers.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    PageParams,
    PlaceCreate,
    PlaceDetail,
    PlaceFields,
    PlaceFilterParams,
    PlacePage,
    page_bounds,
    page_links,
)
from tiers.places.forms import PlaceForm
from tiers.places.models import Network, Place, PlaceQuerySet
from tiers.places.permissions import can_create_place, place_for_editor
from tiers.places.search import FilterError, apply_filters, ordered_page, parse_filters
from tiers.places.services import place_create, place_update

router = Router(tags=["places"])

FORM_FIELDS: list[str] = list(PlaceForm.Meta.fields)
LIST_FIELDS = {"kinds", "links", "services"}


def places_with_relations(qs: PlaceQuerySet) -> PlaceQuerySet:
    """Kinds and networks in two more queries, however many places."""
    return qs.prefetch_related(
        "kinds", Prefetch("networks", queryset=Network.objects.only("slug", "name"))
    )


def place_summary(request: HttpRequest, place: Place) -> dict[str, Any]:
    return {
        "slug": place.slug,
        "name": place.name,
        "url": request.build_absolute_uri(place.get_absolute_url()),
        "api_url": request.build_absolute_uri(
            reverse("api:place_detail", kwargs={"slug": place.slug})
        ),
        "kinds": [kind.code for kind in place.kinds.all()],
        "status": place.status,
        "short_description": place.short_description,
        "address": place.address,
        "postcode": place.postcode,
        "town": place.town,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "open_now": place.is_open_now(),
        "networks": [{"slug": n.slug, "name": n.name} for n in place.networks.all()],
        "distance_km": getattr(place, "distance_km", None),
    }


def place_detail(request: HttpRequest, place: Place) -> dict[str, Any]:
    return {
        **place_summary(request, place),
        "description": place.description,
        "insee_code": place.insee_code,
        "opening_hours": place.opening_hours,
        "time_zone": place.time_zone,
        "wheelchair": place.wheelchair,
        "accessibility": place.accessibility,
        "services": [str(s) for s in place.services or []],
        "legal_id": place.legal_id,
        "website": place.website,
        "links": [str(link) for link in place.links or []],
        "email": place.email,
        "phone": place.phone,
        "photos": [
            {"url": request.build_absolute_uri(photo.image.url), "alt": photo.alt}
            for photo in place.photos.all()
        ],
        "created_at": timezone.localtime(place.created_at),
        "updated_at": timezone.localtime(place.updated_at),
    }


def _detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    place = get_object_or_404(
        places_with_relations(Place.objects.prefetch_related("photos")), slug=slug
    )
    return place_detail(request, place)


def _form_value(name: str, value: Any) -> Any:
    """An API value as the form would receive it from the web page."""
    if name == "kinds":
        return list(value or [])
    if name in LIST_FIELDS:
        return "\n".join(value or [])
    return "" if value is None else value


def place_form(place: Place | None, changes: dict[str, Any]) -> PlaceForm:
    """The web page's form, filled with the place's current values and the API's changes:
    the API applies exactly the rules the web page applies."""
    if place is None:
        data: dict[str, Any] = {name: _form_value(name, None) for name in FORM_FIELDS}
        data["status"] = Place.Status.OPEN
    else:
        data = {
            name: _form_value(name, place.kind_codes() if name == "kinds" else getattr(place, name))
            for name in FORM_FIELDS
        }
    for name, value in changes.items():
        data[name] = _form_value(name, value)
    return PlaceForm(data=data, instance=place)


@router.get(
    "/places",
    response={200: PlacePage, 422: READ_ERRORS[422]},
    url_name="places",
    summary="List places",
    description=(
        "Places of the directory, by name, or nearest first with `near` or `town` (then with "
        "`distance_km`). Closed places are left out unless `status=closed` is asked. "
        "Paginated: `limit` (at most 100), and `offset` or `page`."
    ),
)
def list_places(
    request: HttpRequest, filters: Query[PlaceFilterParams], paging: Query[PageParams]
) -> Any:
    try:
        parsed = parse_filters(request.GET)
    except FilterError as exc:
        return validation_problem([{"field": exc.field, "message": str(exc.message)}])
    offset, limit = page_bounds(paging)
    base = Place.objects.all() if parsed.status else Place.objects.listed()
    result = apply_filters(base, parsed)
    count = len(result.distances) if result.distances else result.places.count()
    ordered = places_with_relations(result.places).order_by("name", "pk")
    places = ordered_page(result, ordered, offset, limit) if offset < count else []
    return {
        "count": count,
        **page_links(request, offset=offset, limit=limit, count=count),
        "results": [place_summary(request, place) for place in places],
    }


@router.get(
    "/places/{slug}",
    response={200: PlaceDetail, 404: READ_ERRORS[404]},
    url_name="place_detail",
    summary="One place",
)
def get_place(request: HttpRequest, slug: str) -> Any:
    return _detail(request, slug)


@router.post(
    "/places",
    response={201: PlaceDetail, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="place_create",
    summary="Add a place",
    description=(
        "Any person with a verified e-mail address may add a place; they become its "
        "first manager. The short name in the address (`slug`) is made from the name."
    ),
)
def create_place(request: HttpRequest, payload: PlaceCreate, response: HttpResponse) -> Any:
    user = caller(request)
    if not can_create_place(user):
        raise PermissionDenied(_("Confirm your e-mail address before adding a place."))
    changes = payload.model_dump(mode="json", exclude_unset=True)
    form = place_form(None, changes)
    if not form.is_valid():
        return validation_problem(form_errors(form.errors))
    try:
        place = place_create(
            creator=user, place=form.save(commit=False), kinds=form.cleaned_data["kinds"]
        )
    except IntegrityError:  # another place took the same short name at the same instant
        return problem(409, _("The action was refused."), _("Try again."), code="conflict")
    response["Location"] = reverse("api:place_detail", kwargs={"slug": place.slug})
    return Status(201, _detail(request, place.slug))


@router.patch(
    "/places/{slug}",
    response={200: PlaceDetail, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="place_update",
    summary="Change a place",
    description=(
        "Send only the fields that change. For the place's managers, the coordinators of "
        "its networks and site admins. Invalid values are refused (422) and nothing is "
        "changed."
    ),
)
def update_place(request: HttpRequest, slug: str, payload: PlaceFields) -> Any:
    caller(request)
    place = place_for_editor(request, slug)
    changes = payload.model_dump(mode="json", exclude_unset=True)
    if changes:
        form = place_form(place, changes)
        if not form.is_valid():
            # A partial update is refused for the fields it sends, not for old values.
            errors = form_errors(form.errors, only=changes)
            if errors:
                return validation_problem(errors)
        place_update(
            place=place,
            fields=[name for name in changes if name != "kinds"],
            kinds=form.cleaned_data["kinds"] if "kinds" in changes else None,
        )
    return _detail(request, place.slug)
