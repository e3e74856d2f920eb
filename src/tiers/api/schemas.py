"""Request and response bodies of the places, networks and memberships endpoints.

Input schemas are strict (no "1" for 1, no "true" for true, no unknown fields) so that a
client's mistake is reported instead of guessed. They check types and shapes only: the rules
on values (postcodes, coordinates, opening hours, SIRET...) are the forms' and the models',
applied by the endpoints exactly as the web pages apply them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict, Field, WithJsonSchema

from tiers.places.models import Kind, Membership, Place


# Enumerations: given as their string values in JSON (strict mode would want instances), and
# documented inline (two of the models' enumerations are both called `Status`).
def _enum(values: list[str], description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": values, "description": description})


KindCode = Annotated[Kind, Field(strict=False), _enum(Kind.values, "Kind of place.")]
PlaceStatus = Annotated[
    Place.Status, Field(strict=False), _enum(Place.Status.values, "Status of a place.")
]
Access = Annotated[
    Place.Access, Field(strict=False), _enum(Place.Access.values, "Wheelchair access.")
]
MembershipStatus = Annotated[
    Membership.Status,
    Field(strict=False),
    _enum(Membership.Status.values, "resident, occasional user or beneficiary."),
]
MembershipState = Annotated[
    Membership.State, Field(strict=False), _enum(Membership.State.values, "Where it stands.")
]
Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")]
Service = Annotated[str, Field(max_length=100)]
Link = Annotated[str, Field(max_length=500)]

MAX_LIMIT = 100
DEFAULT_LIMIT = 50


class FieldError(Schema):
    field: str = Field(description="The field in error (`__all__`: several fields together).")
    message: str
    code: str | None = None


class Problem(Schema):
    """An RFC 9457 problem details document (`application/problem+json`)."""

    type: str = Field(examples=["https://tiers.invalid/problems/validation"])
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        None, description="Validation problems only: the fields in error."
    )


# The error responses documented on the endpoints that may return them.
READ_ERRORS: dict[int, type[Schema]] = {404: Problem, 422: Problem}
WRITE_ERRORS: dict[int, type[Schema]] = {
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
}


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


# --- pagination -------------------------------------------------------------------------


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int | None = Field(
        None, ge=0, le=10_000_000, description="Items to skip (or use `page`)."
    )
    page: int | None = Field(
        None, ge=1, le=100_000, description="Page number, from 1 (or use `offset`)."
    )


class PageBase(Schema):
    count: int = Field(description="Number of items matching, on all pages.")
    next: str | None = Field(description="URL of the next page; null on the last one.")
    previous: str | None = Field(description="URL of the previous page; null on the first one.")


# --- places -----------------------------------------------------------------------------


class PlaceFilterParams(Schema):
    """Documented here; read by `tiers.places.search.parse_filters`, as the directory does."""

    q: str | None = Field(None, description="Words in the name, town or descriptions.")
    kind: list[str] | None = Field(
        None,
        description="Kinds of place (all must match): repeat the parameter or separate "
        "with commas. Values: " + ", ".join(Kind.values) + ".",
    )
    network: str | None = Field(None, description="Short name (slug) of a network.")
    bbox: str | None = Field(
        None,
        description="Bounding box `min longitude,min latitude,max longitude,max latitude`.",
        examples=["-5.2,41.3,9.6,51.1"],
    )
    near: str | None = Field(
        None,
        description="`latitude,longitude`: places within `radius_km`, nearest first.",
        examples=["47.65,-2.08"],
    )
    radius_km: float | None = Field(
        None, gt=0, le=1000, description="Radius around `near` or `town` (default 20 km)."
    )
    town: str | None = Field(
        None, description="A town name or postcode: places around it, nearest first."
    )
    open_now: str | None = Field(None, description="`true`: only places open right now.")
    status: str | None = Field(
        None,
        description="`open`, `project` or `closed` (without it: open places and projects).",
    )


class NetworkRef(Schema):
    slug: str
    name: str


class PhotoOut(Schema):
    url: str
    alt: str


class PlaceSummary(Schema):
    slug: str
    name: str
    url: str = Field(description="The place's public web page.")
    api_url: str
    kinds: list[KindCode]
    status: PlaceStatus
    short_description: str
    address: str
    postcode: str
    town: str
    latitude: float | None
    longitude: float | None
    open_now: bool | None = Field(description="null when the opening hours are not known.")
    networks: list[NetworkRef]
    distance_km: float | None = Field(
        None, description="With `near` or `town` only: distance from that point."
    )


class PlaceDetail(PlaceSummary):
    description: str = Field(description="Markdown source text.")
    insee_code: str
    opening_hours: str = Field(description="OpenStreetMap `opening_hours` syntax.")
    time_zone: str
    wheelchair: Access
    accessibility: str
    services: list[str]
    legal_id: str = Field(description="SIRET, SIREN or RNA number.")
    website: str
    links: list[str]
    email: str
    phone: str
    photos: list[PhotoOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class PlacePage(PageBase):
    results: list[PlaceSummary]


class PlaceFields(InputSchema):
    """The editable fields of a place, all optional (PATCH sends only what changes)."""

    name: str | None = None
    kinds: list[KindCode] | None = None
    status: PlaceStatus | None = None
    short_description: str | None = None
    description: str | None = None
    address: str | None = None
    postcode: str | None = None
    town: str | None = None
    insee_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: str | None = Field(None, examples=["Mo-Fr 09:00-18:00; Sa 10:00-13:00"])
    wheelchair: Access | None = None
    accessibility: str | None = None
    services: list[Service] | None = Field(None, max_length=30)
    legal_id: str | None = None
    website: str | None = None
    links: list[Link] | None = Field(None, max_length=10)
    email: str | None = None
    phone: str | None = None


class PlaceCreate(PlaceFields):
    name: str  # required to create


# --- networks ---------------------------------------------------------------------------


class NetworkSummary(Schema):
    slug: str
    name: str
    url: str
    api_url: str
    website: str
    place_count: int = Field(description="Places of the network that are not closed.")


class NetworkDetail(NetworkSummary):
    description: str
    places: list[str] = Field(description="Slugs of all the network's places, by name.")


class NetworkPage(PageBase):
    results: list[NetworkSummary]


class NetworkFields(InputSchema):
    name: str | None = None
    description: str | None = None
    website: str | None = None


class NetworkPlaceIn(InputSchema):
    place: Slug = Field(description="Slug of the place to add to the network.")


# --- memberships ------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    display_name: str
    email: str


class MembershipOut(Schema):
    id: int
    place: str = Field(description="Slug of the place.")
    user: PersonOut
    status: MembershipStatus
    state: MembershipState
    is_manager: bool
    is_concierge: bool
    is_visible: bool
    message: str
    requested_at: dt.datetime
    started_on: dt.date | None
    ended_on: dt.date | None


class MembershipPage(PageBase):
    results: list[MembershipOut]


class MembershipRequest(InputSchema):
    status: MembershipStatus = Membership.Status.USER
    message: str = ""
    is_visible: bool = Field(False, description="Show my name on the place's page.")


class MembershipAction(InputSchema):
    action: Literal["accept", "decline", "change", "end"] = Field(
        description="`accept` or `decline` a request; `change` the status or roles of a "
        "member; `end` a membership."
    )
    status: MembershipStatus | None = Field(
        None, description="With `accept` (optional) and `change`."
    )
    is_manager: bool | None = Field(None, description="With `change`.")
    is_concierge: bool | None = Field(None, description="With `change`.")


class MembershipFilterParams(Schema):
    state: MembershipState | None = Field(None, description="Only memberships in this state.")


def page_bounds(params: PageParams) -> tuple[int, int]:
    """(offset, limit) from `offset` or `page`."""
    if params.page is not None and params.offset is not None:
        raise ValidationError(
            [
                {
                    "loc": ("query", "page"),
                    "msg": _("Give offset or page, not both."),
                    "type": "conflict",
                }
            ]
        )
    if params.page is not None:
        return (params.page - 1) * params.limit, params.limit
    return params.offset or 0, params.limit


def page_links(
    request: HttpRequest, *, offset: int, limit: int, count: int
) -> dict[str, str | None]:
    """The `next` and `previous` URLs: the same query (filters included) at another offset."""

    def url(new_offset: int) -> str:
        query = request.GET.copy()
        query.pop("page", None)
        query["offset"] = str(new_offset)
        query["limit"] = str(limit)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "next": url(offset + limit) if offset + limit < count else None,
        "previous": url(max(0, min(offset, count) - limit)) if offset > 0 else None,
    }
