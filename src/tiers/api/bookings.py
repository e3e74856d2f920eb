"""Bookings: resources and their free/busy time, booking and cancelling, the managers'
actions (approve, decline, attendance, blocks) and weekly series.

Datetimes are ISO 8601 strings with their offset, in and out; a time without one is refused
(422), as are years outside 1970 to 2999. An end that is not after its start is a 422 naming
`end` (never written). A rule of the place that refuses a booking is a 409 problem whose
`type` ends with the rule's code and whose `code` member is that code (`taken`,
`outside_hours`...): the services decide, this module only translates HTTP to them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import ValidationError
from pydantic import BeforeValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from tiers.accounts.models import User
from tiers.api.auth import TokenAuth, caller, token_or_session
from tiers.api.problems import problem
from tiers.api.schemas import (
    WRITE_ERRORS,
    InputSchema,
    PageBase,
    PageParams,
    PersonOut,
    Problem,
    page_bounds,
    page_links,
)
from tiers.bookings import availability, calendar, services
from tiers.bookings.errors import BookingError
from tiers.bookings.models import Booking, Resource
from tiers.bookings.permissions import (
    can_manage_bookings,
    can_see_booking,
    can_see_day_list,
    can_see_resource,
    visible_resources,
)
from tiers.places.models import Place
from tiers.places.permissions import AnyUser

router = Router(tags=["bookings"])

# Bounds of the datetimes accepted: wide enough for any real booking or query, narrow enough
# that no computation on them (a window, a series, a time zone change) leaves Python's range.
MIN_WHEN = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_WHEN = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
MAX_WINDOW_DAYS = 62
MAX_PLACE_WINDOW_DAYS = 7
DEFAULT_WINDOW_DAYS = 7


# --- datetimes --------------------------------------------------------------------------


def _parse_when(value: Any) -> dt.datetime:
    """An ISO 8601 date and time with its offset, within MIN_WHEN..MAX_WHEN, in UTC."""
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type",
            _("Give a date and time as text: ISO 8601 with its offset, e.g. %(example)s.")
            % {"example": "2026-03-23T14:00:00+01:00"},
        )
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError(
            "datetime_parsing",
            _("This is not a date and time in ISO 8601 (e.g. %(example)s).")
            % {"example": "2026-03-23T14:00:00+01:00"},
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_aware",
            _("Give the offset from UTC (e.g. +01:00 or Z): a time without it is ambiguous."),
        )
    try:
        utc = parsed.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not MIN_WHEN <= utc < MAX_WHEN:
        raise PydanticCustomError(
            "datetime_range", _("Give a date between the years 1970 and 2999.")
        )
    # In UTC from here on: the same instant, and PostgreSQL refuses offsets over 15:59.
    return utc


# In a query string, a "+" not written %2B arrives as a space: "…T14:00:00 01:00".
_SPACE_OFFSET = re.compile(r"^(.*T[0-9:.,]+) ([0-9]{2}(?::?[0-9]{2})?)$")


def _plus_from_space(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACE_OFFSET.sub(r"\1+\2", value.strip())
    return value


_WHEN_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with its offset (`Z` or `+01:00`); years 1970 to 2999.",
    "examples": ["2026-03-23T14:00:00+01:00"],
}
When = Annotated[dt.datetime, PlainValidator(_parse_when), WithJsonSchema(_WHEN_SCHEMA)]
QueryWhen = Annotated[
    dt.datetime,
    PlainValidator(_parse_when),
    BeforeValidator(_plus_from_space),
    WithJsonSchema(_WHEN_SCHEMA),
]


def _check_order(start: dt.datetime, end: dt.datetime, source: str) -> None:
    """422 naming `end` when it is not after `start` (before any query or write)."""
    if end.astimezone(dt.UTC) <= start.astimezone(dt.UTC):
        raise ValidationError(
            [
                {
                    "loc": (source, "end"),
                    "msg": _("The end must be after the start."),
                    "type": "invalid_range",
                }
            ]
        )


def _local(value: dt.datetime, resource: Resource) -> dt.datetime:
    return value.astimezone(resource.tz)


# --- schemas ----------------------------------------------------------------------------


def _enum(values: list[str], description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": values, "description": description})


BookingStatus = Annotated[
    Booking.Status,
    Field(strict=False),
    _enum(Booking.Status.values, "pending (waiting for approval), confirmed, cancelled, declined."),
]
BookingKind = Annotated[
    Booking.Kind,
    Field(strict=False),
    _enum(Booking.Kind.values, "booking, or block (a range blocked by a manager)."),
]
Attendance = Annotated[
    Booking.Attendance,
    Field(strict=False),
    _enum(Booking.Attendance.values, "empty (not marked), present or no_show."),
]
ResourceKind = Annotated[
    Resource.Kind, Field(strict=False), _enum(Resource.Kind.values, "Kind of resource.")
]
Visibility = Annotated[
    Resource.Visibility,
    Field(strict=False),
    _enum(Resource.Visibility.values, "public: everybody; members: the place's members."),
]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Note = Annotated[str, Field(max_length=500)]


class ConflictOut(Schema):
    start: dt.datetime
    end: dt.datetime
    code: str = Field(description="The rule that refuses this occurrence.")
    detail: str


class BookingProblem(Problem):
    """A problem; when a rule of the place refuses, with its `code` (`taken`...)."""

    code: str | None = Field(
        None,
        description="409 only: the rule that refused (the end of `type`): taken, "
        "outside_hours, closed, too_long, too_short, misaligned, too_soon, too_far, "
        "not_allowed, not_qualified, limit_reached, no_credit, too_late, not_active, "
        "invalid_range, series_conflict.",
    )
    conflicts: list[ConflictOut] | None = Field(
        None, description="series_conflict only: the occurrences refused, and why."
    )


# Reads open to everybody (a wrong token is still a 401); reads of a signed-in person's data.
READ: dict[int, type[Schema]] = {401: Problem, 404: Problem, 422: Problem}
MINE: dict[int, type[Schema]] = {401: Problem, 403: Problem, 404: Problem, 422: Problem}
ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 409: BookingProblem}


class PhotoOut(Schema):
    url: str
    alt: str


class ResourceOut(Schema):
    id: int
    place: str = Field(description="Slug of the place.")
    slug: str
    name: str
    kind: ResourceKind
    description: str = Field(description="Markdown source text.")
    capacity: int = Field(description="Units (seats, machines) that can be booked at once.")
    location: str = Field(description="Where it is in the place.")
    visibility: Visibility
    is_active: bool
    bookable_hours: str = Field(
        description="OpenStreetMap `opening_hours` syntax (the resource's or the place's); "
        "empty: no restriction."
    )
    time_zone: str
    granularity_minutes: int = Field(description="Bookings start and end on these steps.")
    min_duration_minutes: int
    max_duration_minutes: int
    max_days_ahead: int
    min_notice_minutes: int
    buffer_minutes: int
    cancellation_deadline_hours: int
    allowed_statuses: list[str] = Field(
        description="Membership statuses that may book; `public`: anyone signed in."
    )
    requires_approval: bool
    weekly_hours_limit: int | None
    max_simultaneous: int | None
    required_qualification: str | None = Field(description="Name of the training required.")
    credit_plan: str | None = Field(description="Name of the time credits it draws on.")
    photo: PhotoOut | None
    url: str | None = Field(description="The resource's web page.")
    api_url: str
    availability_url: str
    ics_url: str = Field(description="Its busy times as iCalendar (RFC 5545), without names.")


class ResourcePage(PageBase):
    results: list[ResourceOut]


class Interval(Schema):
    start: dt.datetime
    end: dt.datetime


class BusyOut(Interval):
    units: int = Field(description="Units in use during this piece of time.")


class AvailabilityOut(Schema):
    resource: int
    start: dt.datetime
    end: dt.datetime
    capacity: int
    open: list[Interval] = Field(description="Bookable: opening hours minus closures.")
    busy: list[BusyOut] = Field(description="Taken (bookings and blocks), with the units used.")


class ResourceAvailabilityOut(Schema):
    resource: int
    name: str
    capacity: int
    open: list[Interval] = Field(description="Bookable: opening hours minus closures.")
    busy: list[BusyOut] = Field(description="Taken (bookings and blocks), with the units used.")


class PlaceAvailabilityOut(Schema):
    place: str = Field(description="Slug of the place.")
    start: dt.datetime
    end: dt.datetime
    resources: list[ResourceAvailabilityOut]


class AvailabilityParams(Schema):
    start: QueryWhen | None = Field(
        None, description="Start of the window (default: today at midnight, the place's time)."
    )
    end: QueryWhen | None = Field(
        None,
        description=f"End of the window (default: {DEFAULT_WINDOW_DAYS} days after the "
        f"start); at most {MAX_WINDOW_DAYS} days after the start.",
    )


class ResourceRef(Schema):
    id: int
    slug: str
    name: str
    place: str = Field(description="Slug of the place.")


class BookingOut(Schema):
    id: int
    api_url: str
    resource: ResourceRef
    user: PersonOut = Field(description="Whose booking it is (for a block: who blocked).")
    start: dt.datetime
    end: dt.datetime
    units: int
    status: BookingStatus
    kind: BookingKind
    note: str = Field(description="What it is for, or why a range is blocked.")
    attendance: Attendance
    decision_reason: str = Field(description="Why a manager declined it.")
    series: int | None = Field(description="The weekly series it belongs to.")
    booked_by: int | None = Field(description="Who booked it, when not its person.")
    created_at: dt.datetime


class BookingPage(PageBase):
    results: list[BookingOut]


class BookingFilterParams(Schema):
    place: str | None = Field(
        None,
        max_length=200,
        description="Slug of a place: all its bookings and blocks (its managers only). "
        "Without it: the caller's own bookings.",
    )
    resource: Id | None = Field(None, description="Only the bookings of this resource.")
    start: QueryWhen | None = Field(None, description="Only bookings ending after this.")
    end: QueryWhen | None = Field(None, description="Only bookings starting before this.")
    status: BookingStatus | None = Field(None, description="Only bookings in this status.")


class BookingIn(InputSchema):
    resource: Id = Field(description="Id of the resource.")
    start: When
    end: When
    units: int = Field(1, ge=1, le=1000, description="Seats or machines (pools).")
    note: Note = Field("", description="What it is for (shown to the place's managers).")
    user: Id | None = Field(
        None, description="Managers: the id of the person booked for (default: yourself)."
    )


class CancelParams(Schema):
    following: bool = Field(
        False,
        description="For an occurrence of a series: also cancel every later occurrence.",
    )


class DeclineIn(InputSchema):
    reason: Note = Field("", description="Told to the person.")


class AttendanceIn(InputSchema):
    attendance: Literal["present", "no_show", ""] = Field(
        description="`present`, `no_show`, or empty to clear."
    )


class BlockIn(InputSchema):
    start: When
    end: When
    reason: Note = Field("", description="Why (e.g. maintenance); shown to the managers.")


class SeriesIn(InputSchema):
    resource: Id
    start: When = Field(description="Start of the first occurrence.")
    end: When = Field(description="End of the first occurrence.")
    count: int = Field(ge=1, le=52, description="Number of occurrences.")
    interval_weeks: int = Field(1, ge=1, le=4, description="Every 1 to 4 weeks.")
    note: Note = ""
    user: Id | None = Field(None, description="Managers: the person booked for.")
    skip_conflicts: bool = Field(
        True,
        description="true: book what can be booked and list the rest in `skipped`; "
        "false: book nothing if any occurrence is refused (409 `series_conflict`).",
    )


class SeriesOut(Schema):
    series: int | None = Field(description="Id of the series.")
    booked: list[BookingOut]
    skipped: list[ConflictOut] = Field(description="Occurrences refused, and why.")


# --- helpers ----------------------------------------------------------------------------


def _reader(request: HttpRequest) -> AnyUser:
    """Who reads an endpoint open to everybody: the token's owner (a wrong token is a 401),
    else the session's person, else anonymous."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        if user is not None:
            return user
    return request.user


def _web_url(request: HttpRequest, name: str, **kwargs: Any) -> str | None:
    try:
        return request.build_absolute_uri(reverse(name, kwargs=kwargs))
    except NoReverseMatch:  # the page is not there (yet): the API does not depend on it
        return None


def _resources() -> QuerySet[Resource]:
    return Resource.objects.select_related("place", "required_qualification", "credit_plan")


def _visible_resource(user: AnyUser, resource_id: int) -> Resource:
    """The resource, if the person may see it; 404 otherwise (a members-only resource does
    not exist for the others)."""
    resource = _resources().filter(pk=resource_id).first()
    if resource is None or not can_see_resource(user, resource):
        raise Http404
    return resource


def _resource_in_body(user: AnyUser, resource_id: int) -> Resource:
    """A resource named in a body: unknown and hidden ones are the same 422."""
    resource = _resources().filter(pk=resource_id).first()
    if resource is None or not can_see_resource(user, resource):
        raise ValidationError(
            [
                {
                    "loc": ("body", "payload", "resource"),
                    "msg": _("No resource has this id."),
                    "type": "not_found",
                }
            ]
        )
    return resource


def _person_booked_for(user: User, resource: Resource, person_id: int | None) -> User | None:
    """The person a manager books for (None: the caller books for themself)."""
    if person_id is None or person_id == user.pk:
        return None
    if not can_manage_bookings(user, resource.place):
        raise PermissionDenied(_("Only the place's managers book for someone else."))
    person = User.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationError(
            [
                {
                    "loc": ("body", "payload", "user"),
                    "msg": _("No person has this id."),
                    "type": "not_found",
                }
            ]
        )
    return person


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related("resource__place", "user")


def _visible_booking(user: User, booking_id: int) -> Booking:
    """The booking, if the person may see it (theirs, or a place they manage); 404 otherwise:
    somebody else's booking does not exist for them."""
    booking = _bookings().filter(pk=booking_id).first()
    if booking is None or not can_see_booking(user, booking):
        raise Http404
    return booking


def resource_out(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    place = resource.place
    api_url = reverse("api:resource_detail", kwargs={"resource_id": resource.pk})
    return {
        "id": resource.pk,
        "place": place.slug,
        "slug": resource.slug,
        "name": resource.name,
        "kind": resource.kind,
        "description": resource.description,
        "capacity": resource.capacity,
        "location": resource.location,
        "visibility": resource.visibility,
        "is_active": resource.is_active,
        "bookable_hours": resource.bookable_hours,
        "time_zone": str(resource.tz.key),
        "granularity_minutes": resource.granularity_minutes,
        "min_duration_minutes": resource.min_duration_minutes,
        "max_duration_minutes": resource.max_duration_minutes,
        "max_days_ahead": resource.max_days_ahead,
        "min_notice_minutes": resource.min_notice_minutes,
        "buffer_minutes": resource.buffer_minutes,
        "cancellation_deadline_hours": resource.cancellation_deadline_hours,
        "allowed_statuses": [str(s) for s in resource.allowed_statuses or []],
        "requires_approval": resource.requires_approval,
        "weekly_hours_limit": resource.weekly_hours_limit,
        "max_simultaneous": resource.max_simultaneous,
        "required_qualification": (
            resource.required_qualification.name if resource.required_qualification else None
        ),
        "credit_plan": resource.credit_plan.name if resource.credit_plan else None,
        "photo": (
            {"url": request.build_absolute_uri(resource.photo.url), "alt": resource.photo_alt}
            if resource.photo
            else None
        ),
        "url": _web_url(request, "bookings:resource", slug=place.slug, resource=resource.slug),
        "api_url": request.build_absolute_uri(api_url),
        "availability_url": request.build_absolute_uri(
            reverse("api:resource_availability", kwargs={"resource_id": resource.pk})
        ),
        "ics_url": request.build_absolute_uri(
            reverse("bookings:resource_ics", kwargs={"slug": place.slug, "resource": resource.slug})
        ),
    }


def booking_out(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    resource = booking.resource
    return {
        "id": booking.pk,
        "api_url": request.build_absolute_uri(
            reverse("api:booking_detail", kwargs={"booking_id": booking.pk})
        ),
        "resource": {
            "id": resource.pk,
            "slug": resource.slug,
            "name": resource.name,
            "place": resource.place.slug,
        },
        "user": {
            "id": booking.user.pk,
            "display_name": booking.user.display_name,
            "email": booking.user.email,
        },
        "start": _local(booking.start, resource),
        "end": _local(booking.end, resource),
        "units": booking.units,
        "status": booking.status,
        "kind": booking.kind,
        "note": booking.note,
        "attendance": booking.attendance,
        "decision_reason": booking.decision_reason,
        "series": booking.series_id,
        "booked_by": booking.booked_by_id if booking.booked_by_id != booking.user_id else None,
        "created_at": _local(booking.created_at, resource),
    }


def _reloaded(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    return booking_out(request, _bookings().get(pk=booking.pk))


def _conflicts(
    skipped: list[tuple[dt.datetime, dt.datetime, BookingError]], resource: Resource
) -> list[dict[str, Any]]:
    return [
        {
            "start": _local(start, resource).isoformat(),
            "end": _local(end, resource).isoformat(),
            "code": error.code,
            "detail": str(error.message),
        }
        for start, end, error in skipped
    ]


def _series_problem(detail: str, conflicts: list[dict[str, Any]]) -> HttpResponse:
    return problem(
        409,
        _("The action was refused."),
        detail,
        code="series_conflict",
        extra={"code": "series_conflict", "conflicts": conflicts},
    )


# --- resources --------------------------------------------------------------------------


@router.get(
    "/places/{slug}/resources",
    response={200: ResourcePage, **READ},
    url_name="place_resources",
    summary="Bookable resources of a place",
    description=(
        "The place's active resources the caller may see: public ones for everybody, "
        "members-only ones for its members, managers and site admins (send your token or "
        "session to see them). By name; paginated like the list of places."
    ),
)
def list_resources(request: HttpRequest, slug: str, paging: Query[PageParams]) -> Any:
    user = _reader(request)
    offset, limit = page_bounds(paging)
    place = get_object_or_404(Place, slug=slug)
    qs = visible_resources(user, place)
    count = qs.count()
    rows = (
        list(qs.select_related("place", "required_qualification", "credit_plan")
             .order_by("name", "pk")[offset : offset + limit])
        if offset < count
        else []
    )  # fmt: skip
    return {
        "count": count,
        **page_links(request, offset=offset, limit=limit, count=count),
        "results": [resource_out(request, r) for r in rows],
    }


@router.get(
    "/resources/{int:resource_id}",
    response={200: ResourceOut, **READ},
    url_name="resource_detail",
    summary="One resource, with its booking rules",
    description="404 for a members-only resource when the caller is not a member.",
)
def get_resource(request: HttpRequest, resource_id: int) -> Any:
    return resource_out(request, _visible_resource(_reader(request), resource_id))


@router.get(
    "/resources/{int:resource_id}/availability",
    response={200: AvailabilityOut, **READ},
    url_name="resource_availability",
    summary="Free/busy time of a resource",
    description=(
        "Within [`start`, `end`) (at most "
        f"{MAX_WINDOW_DAYS} days): `open` lists when it can be booked (opening hours minus "
        "closures), `busy` the pieces of time taken and how many units are in use (bookings "
        "waiting for approval and blocks included; nobody's name). Times are in the place's "
        "time zone. In a query string, write the offset's `+` as `%2B` (or use `Z`)."
    ),
)
def get_availability(
    request: HttpRequest, resource_id: int, window: Query[AvailabilityParams]
) -> Any:
    resource = _visible_resource(_reader(request), resource_id)
    start, end = _window(window, resource.tz, DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS)
    try:
        free_busy = availability.free_busy(resource, start, end)
    except ValueError:
        # Hours that cannot be computed: nothing can be booked (the services refuse too).
        free_busy = calendar.free_busy_many([resource], start, end)[resource.pk]
    text = _Timestamps(resource.tz)
    return _json(
        {
            "resource": resource.pk,
            "start": text(start),
            "end": text(end),
            **_free_busy_out(free_busy, text),
        }
    )


@dataclass(frozen=True)
class _Bookable:
    """The little availability needs of a resource, read without building the model."""

    pk: int
    place_id: int
    name: str
    capacity: int
    bookable_hours: str
    tz: ZoneInfo


class _Timestamps:
    """ISO 8601 on the place's clock, each distinct instant formatted once (the resources of
    a place share their opening hours, hence most of their boundaries)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.seen: dict[dt.datetime, str] = {}
        self.lists: dict[int, tuple[list[Any], list[dict[str, str]]]] = {}

    def __call__(self, moment: dt.datetime) -> str:
        text = self.seen.get(moment)
        if text is None:
            text = self.seen[moment] = moment.astimezone(self.tz).isoformat()
        return text

    def intervals(self, intervals: list[tuple[dt.datetime, dt.datetime]]) -> list[dict[str, str]]:
        """Written once per list: resources with the same hours share their list of them."""
        found = self.lists.get(id(intervals))
        if found is None or found[0] is not intervals:
            found = self.lists[id(intervals)] = (
                intervals,
                [{"start": self(a), "end": self(b)} for a, b in intervals],
            )
        return found[1]


def _json(data: dict[str, Any]) -> HttpResponse:
    """Free/busy answers are large lists of plain values already in their final form: written
    out directly rather than validated again against their schema (documented all the same)."""
    return HttpResponse(json.dumps(data, separators=(",", ":")), content_type="application/json")


def _window(
    window: AvailabilityParams, tz: ZoneInfo, default_days: int, max_days: int
) -> tuple[dt.datetime, dt.datetime]:
    """The asked window in UTC: from today at midnight on the place's clock, `default_days`
    days long (on that clock: a daylight-saving change makes one day 23 or 25 hours)."""
    if window.start is not None:
        start = window.start.astimezone(dt.UTC)
    else:
        today = services.now().astimezone(tz).date()
        start = dt.datetime.combine(today, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    if window.end is not None:
        end = window.end.astimezone(dt.UTC)
    else:
        last = start.astimezone(tz).date() + dt.timedelta(days=default_days)
        end = dt.datetime.combine(last, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    _check_order(start, end, "query")
    if end - start > dt.timedelta(days=max_days):
        raise ValidationError(
            [
                {
                    "loc": ("query", "end"),
                    "msg": _("The window is at most %(days)s days long.") % {"days": max_days},
                    "type": "too_long",
                }
            ]
        )
    return start, end


def _free_busy_out(free_busy: availability.FreeBusy, text: _Timestamps) -> dict[str, Any]:
    return {
        "capacity": free_busy.capacity,
        "open": text.intervals(free_busy.open),
        "busy": [
            {"start": text(b.start), "end": text(b.end), "units": b.units} for b in free_busy.busy
        ],
    }


@router.get(
    "/places/{slug}/availability",
    response={200: PlaceAvailabilityOut, **READ},
    url_name="place_availability",
    summary="Free/busy time of all the resources of a place",
    description=(
        "Every resource of the place the caller may see, as in the availability of one "
        f"resource, within [`start`, `end`) (default: today; at most {MAX_PLACE_WINDOW_DAYS} "
        "days): which desk is free now, this afternoon, tomorrow."
    ),
)
def get_place_availability(
    request: HttpRequest, slug: str, window: Query[AvailabilityParams]
) -> Any:
    place = get_object_or_404(Place, slug=slug)
    start, end = _window(window, place.tz, 1, MAX_PLACE_WINDOW_DAYS)
    tz = place.tz
    resources = [
        _Bookable(pk, place.pk, name, capacity, own_hours or place.opening_hours, tz)
        for pk, name, capacity, own_hours in visible_resources(_reader(request), place)
        .order_by("name", "pk")
        .values_list("pk", "name", "capacity", "opening_hours")
    ]
    windows = calendar.free_busy_many(resources, start, end)
    text = _Timestamps(tz)
    return _json(
        {
            "place": place.slug,
            "start": text(start),
            "end": text(end),
            "resources": [
                {"resource": r.pk, "name": r.name, **_free_busy_out(windows[r.pk], text)}
                for r in resources
            ],
        }
    )


@router.post(
    "/resources/{int:resource_id}/blocks",
    response={201: BookingOut, **ERRORS},
    auth=token_or_session(),
    url_name="resource_blocks",
    summary="Block a time range of a resource (the place's managers)",
    description=(
        "Takes the whole capacity (maintenance, a private event...). 409 `taken` when "
        "active bookings overlap it (the detail says how many): cancel them first."
    ),
)
def create_block(
    request: HttpRequest, resource_id: int, payload: BlockIn, response: HttpResponse
) -> Any:
    user = caller(request)
    resource = _visible_resource(user, resource_id)
    if not can_manage_bookings(user, resource.place):
        raise PermissionDenied(_("Only the place's managers block time ranges."))
    _check_order(payload.start, payload.end, "body")
    block = services.block_create(
        resource=resource, by=user, start=payload.start, end=payload.end, reason=payload.reason
    )
    response["Location"] = reverse("api:booking_detail", kwargs={"booking_id": block.pk})
    return Status(201, _reloaded(request, block))


# --- bookings ---------------------------------------------------------------------------


@router.get(
    "/bookings",
    response={200: BookingPage, **MINE},
    auth=token_or_session(),
    url_name="bookings",
    summary="My bookings, or a place's (its managers)",
    description=(
        "Without `place`: the caller's own bookings. With `place`: all the bookings and "
        "blocks of that place, for its managers and site admins (403 for the others). "
        "Filters combine; `start` and `end` keep the bookings that overlap that window. "
        "By start time; paginated like the list of places."
    ),
)
def list_bookings(
    request: HttpRequest, filters: Query[BookingFilterParams], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    offset, limit = page_bounds(paging)
    if filters.place is not None:
        place = get_object_or_404(Place, slug=filters.place)
        if not can_manage_bookings(user, place):
            raise PermissionDenied(_("Only the place's managers see all its bookings."))
        qs = Booking.objects.filter(resource__place=place)
    else:
        qs = Booking.objects.filter(user=user, kind=Booking.Kind.BOOKING)
    if filters.resource is not None:
        qs = qs.filter(resource_id=filters.resource)
    if filters.start is not None and filters.end is not None:
        _check_order(filters.start, filters.end, "query")
    if filters.start is not None:
        qs = qs.filter(end__gt=filters.start)
    if filters.end is not None:
        qs = qs.filter(start__lt=filters.end)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    count = qs.count()
    rows = (
        list(qs.select_related("resource__place", "user").order_by("start", "pk")
             [offset : offset + limit])
        if offset < count
        else []
    )  # fmt: skip
    return {
        "count": count,
        **page_links(request, offset=offset, limit=limit, count=count),
        "results": [booking_out(request, b) for b in rows],
    }


@router.post(
    "/bookings",
    response={201: BookingOut, **ERRORS},
    auth=token_or_session(),
    url_name="booking_create",
    summary="Book a resource",
    description=(
        "Books `units` of a resource for [`start`, `end`). Confirmed at once, or `pending` "
        "when the resource needs a manager's approval. A place's managers may book for "
        "someone else (`user`). When a rule refuses, nothing is written and the answer is "
        "409 with the rule's `code`: `taken`, `outside_hours`, `closed`, `too_long`, "
        "`too_short`, `misaligned`, `too_soon`, `too_far`, `not_allowed`, `not_qualified`, "
        "`limit_reached`, `no_credit`, `not_active`, `invalid_range` (units beyond the "
        "capacity). An unknown or hidden resource is a 422 on `resource`; an end not after "
        "the start a 422 on `end`."
    ),
)
def create_booking(request: HttpRequest, payload: BookingIn, response: HttpResponse) -> Any:
    user = caller(request)
    resource = _resource_in_body(user, payload.resource)
    _check_order(payload.start, payload.end, "body")
    person = _person_booked_for(user, resource, payload.user)
    booking = services.booking_create(
        resource=resource,
        user=person or user,
        start=payload.start,
        end=payload.end,
        units=payload.units,
        by=user if person else None,
        note=payload.note,
    )
    response["Location"] = reverse("api:booking_detail", kwargs={"booking_id": booking.pk})
    return Status(201, _reloaded(request, booking))


@router.get(
    "/bookings/{int:booking_id}",
    response={200: BookingOut, **READ},
    auth=token_or_session(),
    url_name="booking_detail",
    summary="One booking",
    description="For its person, the place's managers and site admins; 404 for the others.",
)
def get_booking(request: HttpRequest, booking_id: int) -> Any:
    return booking_out(request, _visible_booking(caller(request), booking_id))


@router.delete(
    "/bookings/{int:booking_id}",
    response={200: BookingOut, **ERRORS},
    auth=token_or_session(),
    url_name="booking_cancel",
    summary="Cancel a booking",
    description=(
        "Its person, up to the resource's cancellation deadline (409 `too_late` after it); "
        "the place's managers at any time. Answers the cancelled booking. With "
        "`following=true`, the later occurrences of its series are cancelled too. 409 "
        "`not_active` when it is already cancelled or declined; 404 for somebody else's."
    ),
)
def cancel_booking(request: HttpRequest, booking_id: int, options: Query[CancelParams]) -> Any:
    user = caller(request)
    booking = _visible_booking(user, booking_id)
    if options.following and booking.series_id is not None:
        services.series_cancel(booking=booking, by=user, following=True)
    else:
        services.booking_cancel(booking=booking, by=user)
    return _reloaded(request, booking)


def _for_manager(user: User, booking_id: int) -> Booking:
    booking = _visible_booking(user, booking_id)
    if not can_manage_bookings(user, booking.resource.place):
        raise PermissionDenied(_("Only the place's managers decide on bookings."))
    return booking


@router.post(
    "/bookings/{int:booking_id}/approve",
    response={200: BookingOut, **ERRORS},
    auth=token_or_session(),
    url_name="booking_approve",
    summary="Approve a pending booking (the place's managers)",
    description="409 `not_active` when it is not waiting for approval.",
)
def approve_booking(request: HttpRequest, booking_id: int) -> Any:
    user = caller(request)
    booking = _for_manager(user, booking_id)
    services.booking_approve(booking=booking, by=user)
    return _reloaded(request, booking)


@router.post(
    "/bookings/{int:booking_id}/decline",
    response={200: BookingOut, **ERRORS},
    auth=token_or_session(),
    url_name="booking_decline",
    summary="Decline a pending booking (the place's managers)",
    description="With an optional `reason` told to the person. 409 `not_active` when it is "
    "not waiting for approval.",
)
def decline_booking(request: HttpRequest, booking_id: int, payload: DeclineIn) -> Any:
    user = caller(request)
    booking = _for_manager(user, booking_id)
    services.booking_decline(booking=booking, by=user, reason=payload.reason)
    return _reloaded(request, booking)


@router.post(
    "/bookings/{int:booking_id}/attendance",
    response={200: BookingOut, **ERRORS},
    auth=token_or_session(),
    url_name="booking_attendance",
    summary="Mark who came (the place's managers and concierges)",
    description=(
        "`present`, `no_show`, or empty to clear. Confirmed bookings only, from their start "
        "(409 `too_soon` before it, `not_active` when not confirmed)."
    ),
)
def set_attendance(request: HttpRequest, booking_id: int, payload: AttendanceIn) -> Any:
    user = caller(request)
    booking = _bookings().filter(pk=booking_id).first()
    if booking is None:
        raise Http404
    staff = can_see_day_list(user, booking.resource.place)
    if not staff:
        if not can_see_booking(user, booking):
            raise Http404
        raise PermissionDenied(_("Only the place's managers and concierges mark who came."))
    services.booking_set_attendance(booking=booking, by=user, attendance=payload.attendance)
    return _reloaded(request, booking)


@router.post(
    "/booking-series",
    response={201: SeriesOut, **ERRORS},
    auth=token_or_session(),
    url_name="booking_series",
    summary="Book the same time every week (or every 2 to 4 weeks)",
    description=(
        "`count` occurrences, each under the same rules as one booking. With "
        "`skip_conflicts` (the default) the refused occurrences are left out and listed in "
        "`skipped`; without it, any refused occurrence refuses the whole series: 409 "
        "`series_conflict` listing them in `conflicts`, and nothing is written. When no "
        "occurrence at all can be booked the answer is that 409 too."
    ),
)
def create_series(request: HttpRequest, payload: SeriesIn) -> Any:
    user = caller(request)
    resource = _resource_in_body(user, payload.resource)
    _check_order(payload.start, payload.end, "body")
    person = _person_booked_for(user, resource, payload.user)
    try:
        result = services.series_create(
            resource=resource,
            user=person or user,
            start=payload.start,
            end=payload.end,
            count=payload.count,
            interval_weeks=payload.interval_weeks,
            by=user if person else None,
            note=payload.note,
            skip_conflicts=payload.skip_conflicts,
        )
    except BookingError as exc:
        if exc.code != "series_conflict":
            raise
        conflicts = getattr(exc, "conflicts", [])
        return _series_problem(str(exc.message), _conflicts(conflicts, resource))
    if not result.booked:
        return _series_problem(
            _("None of the occurrences can be booked."), _conflicts(result.skipped, resource)
        )
    booked = _bookings().filter(pk__in=[b.pk for b in result.booked]).order_by("start")
    return Status(
        201,
        {
            "series": result.series.pk if result.series is not None else None,
            "booked": [booking_out(request, b) for b in booked],
            "skipped": [
                {
                    "start": _local(start, resource),
                    "end": _local(end, resource),
                    "code": error.code,
                    "detail": str(error.message),
                }
                for start, end, error in result.skipped
            ],
        },
    )
