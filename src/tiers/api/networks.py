"""Networks of places: read by everybody, run by their coordinators."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from tiers.api.auth import caller, token_or_session
from tiers.api.problems import form_errors, validation_problem
from tiers.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    NetworkDetail,
    NetworkFields,
    NetworkPage,
    NetworkPlaceIn,
    PageParams,
    page_bounds,
    page_links,
)
from tiers.places.forms import NetworkForm
from tiers.places.models import Network, Place
from tiers.places.permissions import network_for_coordinator

router = Router(tags=["networks"])

FORM_FIELDS: list[str] = list(NetworkForm.Meta.fields)


def _with_place_count(qs: Any) -> Any:
    return qs.annotate(
        place_count=Count("places", filter=~Q(places__status=Place.Status.CLOSED), distinct=True)
    )


def network_summary(request: HttpRequest, network: Network) -> dict[str, Any]:
    return {
        "slug": network.slug,
        "name": network.name,
        "url": request.build_absolute_uri(network.get_absolute_url()),
        "api_url": request.build_absolute_uri(
            reverse("api:network_detail", kwargs={"slug": network.slug})
        ),
        "website": network.website,
        "place_count": network.place_count,  # type: ignore[attr-defined]
    }


def _detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    network = get_object_or_404(_with_place_count(Network.objects.all()), slug=slug)
    return {
        **network_summary(request, network),
        "description": network.description,
        "places": list(network.places.order_by("name", "pk").values_list("slug", flat=True)),
    }


@router.get(
    "/networks",
    response={200: NetworkPage, 422: READ_ERRORS[422]},
    url_name="networks",
    summary="List networks",
    description="By name. Paginated like the list of places.",
)
def list_networks(request: HttpRequest, paging: Query[PageParams]) -> Any:
    offset, limit = page_bounds(paging)
    qs = Network.objects.all()
    count = qs.count()
    rows = _with_place_count(qs).order_by("name", "pk")[offset : offset + limit]
    return {
        "count": count,
        **page_links(request, offset=offset, limit=limit, count=count),
        "results": [network_summary(request, n) for n in rows] if offset < count else [],
    }


@router.get(
    "/networks/{slug}",
    response={200: NetworkDetail, 404: READ_ERRORS[404]},
    url_name="network_detail",
    summary="One network, with the slugs of its places",
)
def get_network(request: HttpRequest, slug: str) -> Any:
    return _detail(request, slug)


@router.patch(
    "/networks/{slug}",
    response={200: NetworkDetail, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="network_update",
    summary="Change a network (its coordinators)",
    description="Send only the fields that change; invalid values are refused (422).",
)
def update_network(request: HttpRequest, slug: str, payload: NetworkFields) -> Any:
    caller(request)
    network = network_for_coordinator(request, slug)
    changes = payload.model_dump(exclude_unset=True)
    if changes:
        data = {name: getattr(network, name) for name in FORM_FIELDS}
        data.update({name: "" if value is None else value for name, value in changes.items()})
        form = NetworkForm(data=data, instance=network)
        if not form.is_valid():
            errors = form_errors(form.errors, only=changes)
            if errors:
                return validation_problem(errors)
        network.save(update_fields=list(changes))
    return _detail(request, network.slug)


@router.post(
    "/networks/{slug}/places",
    response={200: NetworkDetail, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="network_place_add",
    summary="Add a place to a network (its coordinators)",
    description="Adding a place that is already in the network changes nothing.",
)
def add_network_place(request: HttpRequest, slug: str, payload: NetworkPlaceIn) -> Any:
    caller(request)
    network = network_for_coordinator(request, slug)
    place = Place.objects.filter(slug=payload.place).first()
    if place is None:
        return validation_problem(
            [{"field": "place", "message": _("No place has this short name.")}]
        )
    network.places.add(place)
    return _detail(request, network.slug)


@router.delete(
    "/networks/{slug}/places/{place_slug}",
    response={204: None, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="network_place_remove",
    summary="Remove a place from a network (its coordinators)",
)
def remove_network_place(request: HttpRequest, slug: str, place_slug: str) -> Any:
    caller(request)
    network = network_for_coordinator(request, slug)
    place = network.places.filter(slug=place_slug).first()
    if place is None:
        raise Http404
    network.places.remove(place)
    return Status(204, None)
