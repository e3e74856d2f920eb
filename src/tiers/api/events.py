"""Events: the public programme (list, one event, its sessions), the organisers' writes
(create, change, publish, cancel, sessions), registrations (with an account, with only an
e-mail, added by an organiser; cancel, accept an offered seat, check-in), ride sharing and
festivals.

Datetimes are ISO 8601 with their offset, in and out, on the event's clock; a time without
an offset, or a year outside 1970 to 2999, is a 422 naming the field. A rule of the events
app that refuses an action is a problem whose `type` ends with the rule's code and whose
`code` member is that code: 409 for a state of things (`full`, `closed`, `duplicate`,
`not_open_yet`, `room_taken`...), 422 for a value (`invalid_answers`, `invalid_seats`...,
with the field in `errors`). The services decide; this module only translates HTTP to them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import AuthenticationError, ValidationError
from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from tiers.accounts.models import User
from tiers.api.auth import SessionAuth, TokenAuth, caller, token_or_session
from tiers.api.bookings import QueryWhen, When
from tiers.api.problems import problem
from tiers.api.schemas import (
    InputSchema,
    PageBase,
    PageParams,
    Problem,
    page_bounds,
    page_links,
)
from tiers.bookings.models import Resource
from tiers.core.errors import DomainError
from tiers.core.ratelimit import RateLimit, RateLimitExceeded, client_ip
from tiers.events import clock, registrations, rides, services
from tiers.events.models import (
    MAX_SEATS_PER_REGISTRATION,
    Event,
    Festival,
    Registration,
    Ride,
    RideSeat,
    Session,
)
from tiers.events.permissions import (
    can_edit_event,
    can_manage_festival,
    can_organise_at,
    can_organise_for,
    can_see_event,
    can_see_registration,
)
from tiers.places.models import Network, Place
from tiers.places.permissions import AnyUser

router = Router(tags=["events"])


# --- errors -----------------------------------------------------------------------------

# Rules about a value sent (422, with the field in `errors`); the others are about the state
# of things (409) or the caller's rights (403).
VALUE_CODES: dict[str, str] = {
    "invalid": "__all__",
    "invalid_range": "__all__",
    "invalid_capacity": "registration.capacity",
    "invalid_room": "room",
    "invalid_answers": "answers",
    "invalid_email": "email",
    "invalid_seats": "seats",
    "outside_festival": "festival",
    "not_in_network": "festival",
}


# The field each rule is about, for the `errors` of a 422.
FIELD_OF_CODE: dict[str, str] = {**rides.FIELD_OF_CODE, **VALUE_CODES}


def refused(exc: DomainError) -> HttpResponse:
    """A domain rule's refusal as a problem whose `type` ends with its code: 403 when the
    caller may not, 422 when a value is wrong (with the field), else the rule's status
    (409: the state of things does not allow it)."""
    code = exc.code
    if isinstance(exc, RateLimitExceeded):
        return problem(
            429,
            _("Too many requests."),
            str(exc.message),
            code="throttled",
            headers={"Retry-After": str(exc.retry_after)},
        )
    if code == "not_allowed":
        status = 403
    elif code in VALUE_CODES or code.startswith("invalid"):
        status = 422
    else:
        status = exc.status
    errors = None
    if status == 422:
        field = FIELD_OF_CODE.get(code, "__all__")
        errors = [{"field": field, "message": str(exc.message), "code": code}]
    return problem(
        status,
        _("The action was refused."),
        str(exc.message),
        code=code,
        errors=errors,
        extra={"code": code},
    )


def domain_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the domain's refusals into problems (see `refused`)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            return refused(exc)

    return wrapped


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError([{"loc": ("body", field), "msg": message, "type": code}])


def _json(data: Any, status: int = 200, location: str | None = None) -> HttpResponse:
    """Answers are built as plain values in their final form and written out directly
    (documented by their schema all the same)."""
    response = HttpResponse(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type="application/json",
    )
    if location:
        response["Location"] = location
    return response


# --- input types ------------------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul", _("This value contains a NUL character."))
    return value


# Text of at most N characters, without NUL (NonEmpty: at least one).
Text30 = Annotated[str, Field(min_length=0, max_length=30), AfterValidator(_no_nul)]
Text60 = Annotated[str, Field(min_length=0, max_length=60), AfterValidator(_no_nul)]
Text100 = Annotated[str, Field(min_length=0, max_length=100), AfterValidator(_no_nul)]
NonEmpty120 = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_no_nul)]
Text150 = Annotated[str, Field(min_length=0, max_length=150), AfterValidator(_no_nul)]
Text200 = Annotated[str, Field(min_length=0, max_length=200), AfterValidator(_no_nul)]
NonEmpty200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
Text254 = Annotated[str, Field(min_length=0, max_length=254), AfterValidator(_no_nul)]
Text255 = Annotated[str, Field(min_length=0, max_length=255), AfterValidator(_no_nul)]
Text300 = Annotated[str, Field(min_length=0, max_length=300), AfterValidator(_no_nul)]
Text500 = Annotated[str, Field(min_length=0, max_length=500), AfterValidator(_no_nul)]
NonEmpty500 = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_no_nul)]
Text2000 = Annotated[str, Field(min_length=0, max_length=2000), AfterValidator(_no_nul)]
Text5000 = Annotated[str, Field(min_length=0, max_length=5000), AfterValidator(_no_nul)]
Text20000 = Annotated[str, Field(min_length=0, max_length=20000), AfterValidator(_no_nul)]


Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Slug = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[-a-zA-Z0-9_]+$")]


def _choices(choices: type[models.TextChoices], description: str) -> Any:
    """A model's enumeration, given as its string values in JSON."""
    return WithJsonSchema({"type": "string", "enum": choices.values, "description": description})


EventKind = Annotated[Event.Kind, Field(strict=False), _choices(Event.Kind, "Kind of event.")]
Audience = Annotated[
    Event.Audience, Field(strict=False), _choices(Event.Audience, "Who it is for.")
]
PriceMode = Annotated[
    Event.PriceMode,
    Field(strict=False),
    _choices(
        Event.PriceMode,
        "gratuit (free), prix-libre (pay what you want), prix-conseille (suggested), "
        "payant (fixed): shown, never paid here.",
    ),
]
EventStatus = Annotated[
    Event.Status, Field(strict=False), _choices(Event.Status, "draft, published, cancelled.")
]
RegistrationStatus = Annotated[
    Registration.Status,
    Field(strict=False),
    _choices(
        Registration.Status,
        "unconfirmed (e-mail link not followed yet), confirmed, waitlisted, offered (a "
        "seat is held: accept it in time), cancelled, expired (an offer not accepted).",
    ),
]
RideKind = Annotated[
    Ride.Kind, Field(strict=False), _choices(Ride.Kind, "offer (a driver) or request.")
]
Contribution = Annotated[
    Ride.Contribution, Field(strict=False), _choices(Ride.Contribution, "free or shared.")
]
SeatStatus = Annotated[
    RideSeat.Status,
    Field(strict=False),
    _choices(RideSeat.Status, "requested, proposed, accepted, declined, cancelled."),
]


class QuestionIn(InputSchema):
    label: NonEmpty200
    required: bool = False


class PriceIn(InputSchema):
    mode: PriceMode
    amount: float | None = Field(
        None, ge=0, le=99999.99, description="In euros; required for prix-conseille, payant."
    )


class RegistrationSettingsIn(InputSchema):
    required: bool | None = Field(None, description="People register (else they just come).")
    capacity: int | None = Field(None, ge=1, le=1_000_000, description="Seats; null: no limit.")
    opens_at: When | None = Field(None, description="null: open as soon as published.")
    closes_at: When | None = Field(None, description="null: closes when the event starts.")
    max_seats: int | None = Field(
        None, ge=1, le=MAX_SEATS_PER_REGISTRATION, description="Places per registration."
    )
    waitlist: bool | None = Field(None, description="A waiting list when full.")
    offer_hours: int | None = Field(
        None, ge=1, le=168, description="Hours to accept a seat freed for the waiting list."
    )
    questions: list[QuestionIn] | None = Field(None, max_length=10)


class EventFields(InputSchema):
    """The editable fields of an event, all optional (PATCH sends only what changes)."""

    title: Text200 | None = None
    kind: EventKind | None = None
    summary: Text300 | None = Field(None, description="In one sentence.")
    description: Text20000 | None = Field(None, description="Markdown.")
    start: When | None = None
    end: When | None = None
    audience: Audience | None = None
    accessibility: Text2000 | None = None
    price: PriceIn | None = None
    online_url: Text500 | None = None
    location: Text255 | None = Field(None, description="Where, when not at the place itself.")
    room: Id | None = Field(
        None, description="Id of a room (resource) of the place, held for the event; null: none."
    )
    tags: list[Text60] | None = Field(None, max_length=20)
    festival: Slug | None = Field(None, description="Short name of a festival of the network.")
    registration: RegistrationSettingsIn | None = None
    rides_enabled: bool | None = None


class EventCreate(EventFields):
    place: Slug | None = Field(None, description="The place organising it (or `network`).")
    network: Slug | None = Field(None, description="The network organising it (or `place`).")
    title: NonEmpty200
    start: When
    end: When
    status: Literal["draft", "published"] = Field("draft", description="Publish at once?")


class ApplyTo(Schema):
    apply_to: Literal["this", "following", "all"] = Field(
        "this",
        description="For an occurrence of a series: change only it, it and the following "
        "ones, or all of them.",
    )


class CancelIn(InputSchema):
    reason: NonEmpty500 = Field(description="Told to the registrants.")
    following: bool = Field(False, description="Also cancel the later occurrences of a series.")


class SessionIn(InputSchema):
    title: NonEmpty200
    description: Text5000 = ""
    speakers: Text300 = ""
    track: Text100 = ""
    start: When
    end: When
    room: Id | None = Field(None, description="Id of a room of the event's place.")
    room_name: Text100 = Field("", description="A room that is not bookable.")
    capacity: int | None = Field(None, ge=1, le=1_000_000, description="Its own seats.")


class RegistrationIn(InputSchema):
    name: Text150 = Field("", description="Required without an account.")
    email: Text254 = Field(
        "", description="Required without an account (ignored with one, unless `add`)."
    )
    seats: int = Field(1, ge=1, le=MAX_SEATS_PER_REGISTRATION)
    answers: Annotated[
        dict[Text200, Text2000],
        Field(max_length=10, description="Answers to the event's questions, by their text."),
    ] = {}
    add: bool = Field(
        False, description="Organisers: add this person directly (no e-mail confirmation)."
    )


class CheckInIn(InputSchema):
    present: bool = True


class RegistrationFilter(Schema):
    status: RegistrationStatus | None = Field(None, description="Organisers: only this status.")


class RideIn(InputSchema):
    kind: RideKind = Field(description="offer: I drive; request: I look for a seat.")
    from_town: NonEmpty120
    from_detail: Text255 = Field("", description="Meeting point.")
    departure_at: When
    seats: int = Field(1, ge=1, le=8, description="Offered, or needed.")
    round_trip: bool = False
    return_at: When | None = None
    contribution: Contribution = Ride.Contribution.FREE
    contribution_amount: float | None = Field(None, ge=0, le=9999.99)
    note: Text500 = ""
    phone: Text30 = Field("", description="Shown only to the people whose seat is accepted.")


class SeatIn(InputSchema):
    seats: int = Field(1, ge=1, le=8)
    message: Text2000 = Field(
        "", description="Sent to the driver by e-mail (your contact details are not)."
    )


class EventFilter(Schema):
    place: str | None = Field(None, max_length=200, description="Short name of a place.")
    network: str | None = Field(
        None,
        max_length=200,
        description="Short name of a network: its events and its places' events.",
    )
    festival: str | None = Field(
        None, max_length=200, description="Short name of a festival: its programme."
    )
    start: QueryWhen | None = Field(
        None, description="Events ending after this (default: now; write `+` as `%2B`)."
    )
    end: QueryWhen | None = Field(None, description="Events starting before this.")
    kind: list[str] | None = Field(
        None,
        description="Kinds (any of them): repeat the parameter or separate with commas. "
        "Values: " + ", ".join(Event.Kind.values) + ".",
    )
    audience: str | None = Field(
        None, max_length=40, description="Values: " + ", ".join(Event.Audience.values) + "."
    )
    tag: str | None = Field(None, max_length=100, description="Short name of a tag.")
    q: str | None = Field(None, max_length=200, description="Words in the title or text.")


# --- output schemas (the documentation of the answers) ----------------------------------


class EventPlace(Schema):
    slug: str
    name: str
    town: str
    lat: float | None
    lon: float | None


class TagOut(Schema):
    slug: str
    name: str


class PriceOut(Schema):
    mode: PriceMode
    amount: float | None


class RegistrationInfo(Schema):
    required: bool = Field(description="People register; false: they just come.")
    open: bool = Field(description="Registrations are accepted right now.")
    capacity: int | None = Field(description="null: no limit.")
    seats_left: int | None = Field(description="null: no limit.")
    waitlist: bool = Field(description="People join a waiting list when it is full.")
    waiting: int = Field(description="People on the waiting list.")
    opens_at: dt.datetime | None
    closes_at: dt.datetime
    max_seats: int = Field(description="Places one registration may take (a family).")


class EventItem(Schema):
    id: int
    slug: str
    title: str
    kind: EventKind
    status: EventStatus
    summary: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    place: EventPlace | None
    network: str | None = Field(description="Short name of the organising network.")
    festival: str | None = Field(description="Short name of the festival it is part of.")
    tags: list[TagOut]
    audience: Audience
    price: PriceOut
    online_url: str
    registration: RegistrationInfo
    url: str = Field(description="The event's web page.")
    ics_url: str = Field(description="The event as iCalendar.")
    api_url: str


class EventPage(PageBase):
    results: list[EventItem]


class RoomOut(Schema):
    id: int
    name: str


class SessionOut(Schema):
    id: int
    event: int
    title: str
    description: str = Field(description="Markdown.")
    speakers: str
    track: str
    start: dt.datetime
    end: dt.datetime
    room: RoomOut | None
    room_name: str
    where: str
    capacity: int | None


class QuestionOut(Schema):
    label: str
    required: bool


class ImageOut(Schema):
    url: str
    alt: str


class EventDetail(EventItem):
    description: str = Field(description="Markdown source text.")
    accessibility: str
    location: str
    room: RoomOut | None
    image: ImageOut | None
    cancel_reason: str
    series: int | None = Field(description="Id of its series (recurring events).")
    festival_state: str = Field(description="pending, accepted, refused or empty.")
    questions: list[QuestionOut]
    rides_enabled: bool
    offer_hours: int
    sessions: list[SessionOut]
    can_edit: bool = Field(description="The caller organises it.")


class SessionList(Schema):
    results: list[SessionOut]


class EventRef(Schema):
    id: int
    slug: str
    title: str


class RegistrationOut(Schema):
    id: int
    event: EventRef
    name: str
    email: str
    seats: int
    status: RegistrationStatus
    answers: dict[str, str]
    user: int | None = Field(description="The account, if any.")
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    offer_expires_at: dt.datetime | None = Field(description="An offered seat: accept before.")
    cancelled_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    added_by: int | None = Field(description="The organiser who added them.")
    api_url: str


class RegistrationPage(PageBase):
    results: list[RegistrationOut]


class RideOut(Schema):
    id: int
    event: int
    kind: RideKind
    from_town: str
    departure_at: dt.datetime
    seats: int = Field(description="Offered (offer) or needed (request).")
    seats_free: int | None = Field(description="Offers: seats not yet given.")
    round_trip: bool
    return_at: dt.datetime | None
    contribution: Contribution
    contribution_amount: float | None
    status: str
    mine: bool = Field(description="The caller wrote it.")


class RideList(Schema):
    results: list[RideOut]


class SeatOut(Schema):
    id: int
    ride: int
    seats: int
    status: SeatStatus


class FestivalOut(Schema):
    slug: str
    name: str
    theme: str
    description: str = Field(description="Markdown.")
    start_date: dt.date
    end_date: dt.date
    network: str = Field(description="Short name of its network.")
    requires_approval: bool
    is_published: bool
    events: int = Field(description="Events in its programme.")
    places: int = Field(description="Places taking part.")
    url: str
    events_url: str = Field(description="Its programme through the API.")
    ics_url: str
    rss_url: str
    atom_url: str


class FestivalPage(PageBase):
    results: list[FestivalOut]


class EventProblem(Problem):
    code: str | None = Field(
        None,
        description="The rule that refused: full, closed, duplicate, not_open_yet, "
        "cancelled, not_published, no_registration, room_taken, session_outside, not_draft, "
        "not_offered, offer_expired, not_registered, not_active, invalid_answers, "
        "invalid_seats, invalid_email, invalid_range, invalid_capacity, invalid_room, "
        "outside_festival, not_in_network, invalid...",
    )


READ: dict[int, type[Schema]] = {401: Problem, 404: Problem, 422: Problem}
MINE: dict[int, type[Schema]] = {401: Problem, 403: Problem, 404: Problem, 422: Problem}
ERRORS: dict[int, type[Schema]] = {
    401: Problem,
    403: EventProblem,
    404: Problem,
    409: EventProblem,
    422: EventProblem,
    429: Problem,
}


# --- who is calling ---------------------------------------------------------------------


def reader(request: HttpRequest) -> AnyUser:
    """Who reads an endpoint open to everybody: the token's owner (a wrong token is a 401),
    else the session's person, else anonymous."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        if user is not None:
            return user
    return request.user


def writer(request: HttpRequest) -> AnyUser:
    """Who writes on an endpoint open to anonymous people: the token's owner, else the
    session's person (with the CSRF token: 403 without it), else anonymous."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        if user is not None:
            return user
    if request.user.is_authenticated:
        SessionAuth()(request)  # raises when the CSRF token is missing or wrong
    return request.user


# --- reading events ---------------------------------------------------------------------


class Urls:
    """Absolute URLs of many events, without reversing each one."""

    MARK = "__slug__"

    def __init__(self, request: HttpRequest) -> None:
        self.base = request.build_absolute_uri("/")[:-1]
        self.page = self.base + reverse("events:detail", args=[self.MARK])
        self.ics = self.base + reverse("events:event_ics", args=[self.MARK])
        self.api = self.base + reverse("api:event_detail", kwargs={"event_id": 999_999_999})

    def event(self, event: Event) -> dict[str, str]:
        return {
            "url": self.page.replace(self.MARK, event.slug),
            "ics_url": self.ics.replace(self.MARK, event.slug),
            "api_url": self.api.replace("999999999", str(event.pk)),
        }


def _iso(moment: dt.datetime | None, tz: Any) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def _amount(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def seat_counts(event_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(seats held, people waiting) of each event, in one query."""
    counts: dict[int, tuple[int, int]] = {}
    rows = (
        Registration.objects.filter(
            event_id__in=list(event_ids),
            status__in=[*Registration.HOLDS_SEATS, Registration.Status.WAITLISTED],
        )
        .values_list("event_id")
        .annotate(
            held=Sum("seats", filter=Q(status__in=Registration.HOLDS_SEATS)),
            waiting=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
        )
    )
    for event_id, held, waiting in rows:
        counts[event_id] = (int(held or 0), int(waiting or 0))
    return counts


def registration_info(event: Event, held: int, waiting: int, moment: dt.datetime) -> dict[str, Any]:
    tz = event.tz
    opens, closes = event.registration_opens_at, event.closes_at
    is_open = (
        event.registration_open
        and event.status == Event.Status.PUBLISHED
        and (opens is None or opens <= moment)
        and moment < closes
    )
    capacity = event.capacity
    return {
        "required": event.registration_open,
        "open": bool(is_open),
        "capacity": capacity,
        "seats_left": None if capacity is None else max(0, capacity - held),
        "waitlist": event.waitlist_enabled,
        "waiting": waiting,
        "opens_at": _iso(opens, tz),
        "closes_at": _iso(closes, tz),
        "max_seats": event.max_seats_per_registration,
    }


def event_item(
    event: Event, urls: Urls, counts: dict[int, tuple[int, int]], moment: dt.datetime
) -> dict[str, Any]:
    tz = event.tz
    place = event.place
    held, waiting = counts.get(event.pk, (0, 0))
    in_festival = event.festival_state == Event.FestivalState.ACCEPTED and event.festival
    return {
        "id": event.pk,
        "slug": event.slug,
        "title": event.title,
        "kind": event.kind,
        "status": event.status,
        "summary": event.summary,
        "start": event.start.astimezone(tz).isoformat(),
        "end": event.end.astimezone(tz).isoformat(),
        "time_zone": event.time_zone,
        "place": (
            {
                "slug": place.slug,
                "name": place.name,
                "town": place.town,
                "lat": place.latitude,
                "lon": place.longitude,
            }
            if place is not None
            else None
        ),
        "network": event.network.slug if event.network is not None else None,
        "festival": event.festival.slug if in_festival and event.festival else None,
        "tags": [{"slug": tag.slug, "name": tag.name} for tag in event.tags.all()],
        "audience": event.audience,
        "price": {"mode": event.price_mode, "amount": _amount(event.price_amount)},
        "online_url": event.online_url,
        "registration": registration_info(event, held, waiting, moment),
        **urls.event(event),
    }


def session_out(session: Session, tz: Any) -> dict[str, Any]:
    room = session.room
    return {
        "id": session.pk,
        "event": session.event_id,
        "title": session.title,
        "description": session.description,
        "speakers": session.speakers,
        "track": session.track,
        "start": session.start.astimezone(tz).isoformat(),
        "end": session.end.astimezone(tz).isoformat(),
        "room": {"id": room.pk, "name": room.name} if room is not None else None,
        "room_name": session.room_name,
        "where": room.name if room is not None else session.room_name,
        "capacity": session.capacity,
    }


def _events() -> QuerySet[Event]:
    return Event.objects.select_related("place", "network", "festival", "room").prefetch_related(
        "tags"
    )


def event_detail(request: HttpRequest, event: Event, user: AnyUser) -> dict[str, Any]:
    counts = seat_counts([event.pk])
    tz = event.tz
    sessions = Session.objects.filter(event=event).select_related("room")
    return {
        **event_item(event, Urls(request), counts, clock.now()),
        "description": event.description,
        "accessibility": event.accessibility,
        "location": event.location,
        "room": {"id": event.room.pk, "name": event.room.name} if event.room else None,
        "image": (
            {"url": request.build_absolute_uri(event.image.url), "alt": event.image_alt}
            if event.image
            else None
        ),
        "cancel_reason": event.cancel_reason,
        "series": event.series_id,
        "festival_state": event.festival_state,
        "questions": [
            {"label": str(q.get("label", "")), "required": bool(q.get("required", False))}
            for q in event.questions or []
            if isinstance(q, dict)
        ],
        "rides_enabled": event.rides_enabled,
        "offer_hours": event.offer_hours,
        "sessions": [session_out(s, tz) for s in sessions],
        "can_edit": can_edit_event(user, event),
    }


def visible_event(user: AnyUser, event_id: int) -> Event:
    """The event, if the caller may see it (drafts: their organisers only); 404 otherwise."""
    event = _events().filter(pk=event_id).first()
    if event is None or not can_see_event(user, event):
        raise Http404
    return event


def organised_event(user: AnyUser, event_id: int) -> Event:
    """The event, if the caller organises it; 404 for a draft they cannot see, 403 else."""
    event = visible_event(user, event_id)
    if not can_edit_event(user, event):
        raise PermissionDenied(_("Only the event's organisers may do this."))
    return event


def _kinds(values: list[str] | None) -> list[str]:
    kinds = [k.strip() for value in values or [] for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in Event.Kind.values]
    if unknown:
        raise ValidationError(
            [
                {
                    "loc": ("query", "kind"),
                    "msg": _("Unknown kind of event: %(kind)s.") % {"kind": unknown[0][:40]},
                    "type": "enum",
                }
            ]
        )
    return kinds


def _check_order(start: dt.datetime, end: dt.datetime, source: str) -> None:
    if end <= start:
        raise ValidationError(
            [
                {
                    "loc": (source, "end"),
                    "msg": _("The end must be after the start."),
                    "type": "invalid_range",
                }
            ]
        )


def filtered_events(filters: EventFilter, moment: dt.datetime) -> QuerySet[Event]:
    qs = Event.objects.listed()
    start = filters.start or moment
    if filters.end is not None:
        _check_order(start, filters.end, "query")
        qs = qs.filter(start__lt=filters.end)
    qs = qs.filter(end__gt=start)
    if filters.place:
        qs = qs.filter(place__slug=filters.place)
    if filters.network:
        network = Network.objects.filter(slug=filters.network).first()
        qs = qs.of_network(network) if network is not None else qs.none()
    if filters.festival:
        qs = qs.filter(festival__slug=filters.festival, festival_state=Event.FestivalState.ACCEPTED)
    kinds = _kinds(filters.kind)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if filters.audience:
        if filters.audience not in Event.Audience.values:
            raise ValidationError(
                [
                    {
                        "loc": ("query", "audience"),
                        "msg": _("Unknown audience."),
                        "type": "enum",
                    }
                ]
            )
        qs = qs.filter(audience=filters.audience)
    if filters.tag:
        qs = qs.filter(tags__slug=filters.tag)
    if filters.q:
        for word in filters.q.split()[:10]:
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
            )
    return qs


@router.get(
    "/events",
    response={200: EventPage, **READ},
    url_name="events",
    summary="List events",
    description=(
        "Published events (and cancelled ones, marked so) of places and networks, by start. "
        "`start` and `end` keep the events that overlap [`start`, `end`); without `start`, "
        "the events not over yet. Filters combine: `place`, `network`, `festival` (its "
        "programme), `kind` (any of several), `audience`, `tag`, `q`. Times are on each "
        "event's clock. Paginated like the list of places."
    ),
)
def list_events(
    request: HttpRequest, filters: Query[EventFilter], paging: Query[PageParams]
) -> Any:
    reader(request)
    offset, limit = page_bounds(paging)
    moment = clock.now()
    qs = filtered_events(filters, moment)
    count = qs.count()
    rows: list[Event] = []
    if offset < count:
        rows = list(
            qs.select_related("place", "network", "festival")
            .prefetch_related("tags")
            .defer("description", "accessibility", "questions")
            .order_by("start", "pk")[offset : offset + limit]
        )
    counts = seat_counts(e.pk for e in rows if e.registration_open) if rows else {}
    urls = Urls(request)
    return _json(
        {
            "count": count,
            **page_links(request, offset=offset, limit=limit, count=count),
            "results": [event_item(e, urls, counts, moment) for e in rows],
        }
    )


@router.get(
    "/events/{int:event_id}",
    response={200: EventDetail, **READ},
    url_name="event_detail",
    summary="One event, with its programme",
    description="Drafts are seen by their organisers only (404 for the others).",
)
def get_event(request: HttpRequest, event_id: int) -> Any:
    user = reader(request)
    return _json(event_detail(request, visible_event(user, event_id), user))


@router.get(
    "/events/{int:event_id}/sessions",
    response={200: SessionList, **READ},
    url_name="event_sessions",
    summary="The programme of an event",
    description="Its sessions by start time.",
)
def list_sessions(request: HttpRequest, event_id: int) -> Any:
    event = visible_event(reader(request), event_id)
    sessions = Session.objects.filter(event=event).select_related("room")
    return _json({"results": [session_out(s, event.tz) for s in sessions]})


# --- writing events ---------------------------------------------------------------------

# API name of each model field, for the errors.
API_FIELDS = {
    "price_mode": "price.mode",
    "price_amount": "price.amount",
    "registration_open": "registration.required",
    "capacity": "registration.capacity",
    "registration_opens_at": "registration.opens_at",
    "registration_closes_at": "registration.closes_at",
    "max_seats_per_registration": "registration.max_seats",
    "waitlist_enabled": "registration.waitlist",
    "offer_hours": "registration.offer_hours",
    "questions": "registration.questions",
}
REGISTRATION_FIELDS = {
    "required": "registration_open",
    "capacity": "capacity",
    "opens_at": "registration_opens_at",
    "closes_at": "registration_closes_at",
    "max_seats": "max_seats_per_registration",
    "waitlist": "waitlist_enabled",
    "offer_hours": "offer_hours",
    "questions": "questions",
}
NULLABLE = {"room", "festival", "capacity", "registration_opens_at", "registration_closes_at"}
PLAIN = [
    "title", "kind", "summary", "description", "start", "end", "audience", "accessibility",
    "online_url", "location", "rides_enabled",
]  # fmt: skip


def _not_null(field: str) -> ValidationError:
    return _invalid(field, _("This field cannot be null."), "null")


def apply_changes(event: Event, data: dict[str, Any], place: Place | None) -> list[str]:
    """Set the fields sent on the event (not saved); returns the model fields changed."""
    changed: list[str] = []

    def put(name: str, value: Any, api_name: str) -> None:
        if value is None and name not in NULLABLE:
            raise _not_null(api_name)
        setattr(event, name, value)
        changed.append(name)

    for name in PLAIN:
        if name in data:
            put(name, data[name], name)
    if "price" in data:
        price = data["price"]
        if price is None:
            raise _not_null("price")
        put("price_mode", price["mode"], "price.mode")
        amount = price.get("amount")
        event.price_amount = None if amount is None else Decimal(str(round(amount, 2)))
        changed.append("price_amount")
    if "registration" in data:
        registration = data["registration"]
        if registration is None:
            raise _not_null("registration")
        for key, name in REGISTRATION_FIELDS.items():
            if key in registration:
                put(name, registration[key], "registration." + key)
    if "room" in data:
        room_id = data["room"]
        if room_id is None:
            event.room = None
        else:
            room = Resource.objects.filter(pk=room_id).first()
            if room is None or place is None or room.place_id != place.pk:
                raise _invalid("room", _("No room of the event's place has this id."), "not_found")
            event.room = room
        changed.append("room")
    if "festival" in data:
        slug = data["festival"]
        if slug is None:
            event.festival = None
        else:
            festival = Festival.objects.filter(slug=slug, is_published=True).first()
            if festival is None:
                raise _invalid("festival", _("No festival has this short name."), "not_found")
            event.festival = festival
        changed.append("festival")
    if "start" in changed or "end" in changed:
        _check_order(event.start, event.end, "body")
    # The model's own rules on the values sent (lengths, URLs...), named as in the API.
    excluded = [f.name for f in Event._meta.fields if f.name not in changed]
    try:
        event.full_clean(exclude=excluded, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(
            [
                {"loc": ("body", API_FIELDS.get(field, field)), "msg": str(m), "type": "invalid"}
                for field, messages in exc.message_dict.items()
                for m in messages
            ]
        ) from None
    return changed


@router.post(
    "/events",
    response={201: EventDetail, **ERRORS},
    auth=token_or_session(),
    url_name="event_create",
    summary="Create an event (organisers)",
    description=(
        "For the managers of the `place` (or the coordinators of the `network`) that "
        "organises it. A draft unless `status` is `published`. With a `room` (a resource "
        "of the place), the room is held in the bookings for the event's time: 409 "
        "`room_taken` when it is not free. With a `festival`, the event joins its "
        "programme (or its queue, when the coordinators approve events)."
    ),
)
@domain_errors
def create_event(request: HttpRequest, payload: EventCreate) -> Any:
    user = caller(request)
    data = payload.model_dump(exclude_unset=True)
    place_slug, network_slug = data.pop("place", None), data.pop("network", None)
    if (place_slug is None) == (network_slug is None):
        raise _invalid("place", _("Give either a place or a network."), "missing")
    event = Event(status=data.pop("status", Event.Status.DRAFT))
    place = None
    if place_slug is not None:
        place = Place.objects.filter(slug=place_slug).first()
        if place is None:
            raise _invalid("place", _("No place has this short name."), "not_found")
        if not can_organise_at(user, place):
            raise PermissionDenied(_("Only the place's managers organise its events."))
        event.place = place
    else:
        network = Network.objects.filter(slug=network_slug).first()
        if network is None:
            raise _invalid("network", _("No network has this short name."), "not_found")
        if not can_organise_for(user, network):
            raise PermissionDenied(_("Only the network's coordinators organise its events."))
        event.network = network
    tags = data.pop("tags", None) or []
    apply_changes(event, data, place)
    event = services.event_create(event=event, by=user, tags=tags)
    location = reverse("api:event_detail", kwargs={"event_id": event.pk})
    fresh = _events().get(pk=event.pk)
    return _json(event_detail(request, fresh, user), 201, location)


@router.patch(
    "/events/{int:event_id}",
    response={200: EventDetail, **ERRORS},
    auth=token_or_session(),
    url_name="event_update",
    summary="Change an event (organisers)",
    description=(
        "Send only the fields that change (`null` empties `room`, `festival`, "
        "`registration.capacity`, `opens_at`, `closes_at`). The room follows the new times "
        "(409 `room_taken`); a change of times moving sessions outside is 409 "
        "`session_outside`. Publish and cancel have their own endpoints. For an occurrence "
        "of a series, `apply_to` says which occurrences change."
    ),
)
@domain_errors
def update_event(
    request: HttpRequest, event_id: int, payload: EventFields, options: Query[ApplyTo]
) -> Any:
    user = caller(request)
    event = organised_event(user, event_id)
    data = payload.model_dump(exclude_unset=True)
    tags = data.pop("tags", None)
    if "tags" in payload.model_fields_set and tags is None:
        raise _not_null("tags")
    if data or tags is not None:
        apply_changes(event, data, event.place)
        if event.series_id is not None and options.apply_to != "this":
            services.series_update(
                event=event, by=user, tags=tags, following=options.apply_to == "following"
            )
        else:
            services.event_update(event=event, by=user, tags=tags)
    fresh = _events().get(pk=event.pk)
    return _json(event_detail(request, fresh, user))


@router.post(
    "/events/{int:event_id}/publish",
    response={200: EventDetail, **ERRORS},
    auth=token_or_session(),
    url_name="event_publish",
    summary="Publish a draft (organisers)",
    description="409 `not_draft` when it is not a draft.",
)
@domain_errors
def publish_event(request: HttpRequest, event_id: int) -> Any:
    user = caller(request)
    event = organised_event(user, event_id)
    services.event_publish(event=event, by=user)
    return _json(event_detail(request, _events().get(pk=event.pk), user))


@router.post(
    "/events/{int:event_id}/cancel",
    response={200: EventDetail, **ERRORS},
    auth=token_or_session(),
    url_name="event_cancel",
    summary="Cancel an event (organisers)",
    description=(
        "Its rooms are given back and every registrant is told the `reason`. It stays "
        "listed, marked as cancelled. 409 `cancelled` when it already is."
    ),
)
@domain_errors
def cancel_event(request: HttpRequest, event_id: int, payload: CancelIn) -> Any:
    user = caller(request)
    event = organised_event(user, event_id)
    if payload.following and event.series_id is not None:
        services.series_cancel(event=event, by=user, reason=payload.reason, following=True)
    else:
        services.event_cancel(event=event, by=user, reason=payload.reason)
    return _json(event_detail(request, _events().get(pk=event.pk), user))


def _session_from(session: Session, payload: SessionIn, event: Event) -> None:
    _check_order(payload.start, payload.end, "body")
    session.title = payload.title
    session.description = payload.description
    session.speakers = payload.speakers
    session.track = payload.track
    session.start, session.end = payload.start, payload.end
    session.room_name = payload.room_name
    session.capacity = payload.capacity
    if payload.room is None:
        session.room = None
    else:
        room = Resource.objects.filter(pk=payload.room).first()
        if room is None or event.place_id is None or room.place_id != event.place_id:
            raise _invalid("room", _("No room of the event's place has this id."), "not_found")
        session.room = room


@router.post(
    "/events/{int:event_id}/sessions",
    response={201: SessionOut, **ERRORS},
    auth=token_or_session(),
    url_name="session_create",
    summary="Add a session to the programme (organisers)",
    description=(
        "Within the event's times (409 `session_outside`); a room of the place other than "
        "the event's own is held for the session (409 `room_taken`)."
    ),
)
@domain_errors
def create_session(request: HttpRequest, event_id: int, payload: SessionIn) -> Any:
    user = caller(request)
    event = organised_event(user, event_id)
    session = Session(event=event)
    _session_from(session, payload, event)
    services.session_save(session=session, by=user)
    return _json(
        session_out(session, event.tz),
        201,
        reverse("api:session", kwargs={"session_id": session.pk}),
    )


def _organised_session(user: AnyUser, session_id: int) -> Session:
    session = Session.objects.select_related("room", "event").filter(pk=session_id).first()
    if session is None:
        raise Http404
    organised_event(user, session.event_id)
    return session


@router.put(
    "/sessions/{int:session_id}",
    response={200: SessionOut, **ERRORS},
    auth=token_or_session(),
    url_name="session",
    summary="Replace a session (organisers)",
    description="The same body as to create it.",
)
@domain_errors
def update_session(request: HttpRequest, session_id: int, payload: SessionIn) -> Any:
    user = caller(request)
    session = _organised_session(user, session_id)
    _session_from(session, payload, session.event)
    services.session_save(session=session, by=user)
    return _json(session_out(session, session.event.tz))


@router.delete(
    "/sessions/{int:session_id}",
    response={204: None, **ERRORS},
    auth=token_or_session(),
    url_name="session_delete",
    summary="Remove a session (organisers)",
)
@domain_errors
def delete_session(request: HttpRequest, session_id: int) -> Any:
    user = caller(request)
    session = _organised_session(user, session_id)
    services.session_delete(session=session, by=user)
    return HttpResponse(status=204)


# --- registrations ----------------------------------------------------------------------


def registration_out(
    request: HttpRequest, registration: Registration, *, organiser: bool
) -> dict[str, Any]:
    event = registration.event
    tz = event.tz
    return {
        "id": registration.pk,
        "event": {"id": event.pk, "slug": event.slug, "title": event.title},
        "name": registration.name,
        "email": registration.email,
        "seats": registration.seats,
        "status": registration.status,
        "answers": {str(k): str(v) for k, v in (registration.answers or {}).items()},
        "user": registration.user_id,
        "created_at": _iso(registration.created_at, tz),
        "confirmed_at": _iso(registration.confirmed_at, tz),
        "offer_expires_at": (
            _iso(registration.offer_expires_at, tz)
            if registration.status == Registration.Status.OFFERED
            else None
        ),
        "cancelled_at": _iso(registration.cancelled_at, tz),
        "checked_in_at": _iso(registration.checked_in_at, tz),
        "added_by": registration.added_by_id if organiser else None,
        "api_url": request.build_absolute_uri(
            reverse("api:registration", kwargs={"registration_id": registration.pk})
        ),
    }


def _registration_page(
    request: HttpRequest, qs: QuerySet[Registration], paging: PageParams, organiser: bool
) -> HttpResponse:
    offset, limit = page_bounds(paging)
    count = qs.count()
    rows = (
        list(qs.select_related("event").order_by("queued_at", "pk")[offset : offset + limit])
        if offset < count
        else []
    )
    return _json(
        {
            "count": count,
            **page_links(request, offset=offset, limit=limit, count=count),
            "results": [registration_out(request, r, organiser=organiser) for r in rows],
        }
    )


@router.get(
    "/events/{int:event_id}/registrations",
    response={200: RegistrationPage, **MINE},
    auth=token_or_session(),
    url_name="event_registrations",
    summary="Registrations of an event",
    description=(
        "The organisers see everybody (names, e-mails, answers; filter by `status`), in "
        "queue order. Anybody else signed in sees only their own registrations (often "
        "none). Paginated like the list of places."
    ),
)
def list_registrations(
    request: HttpRequest,
    event_id: int,
    filters: Query[RegistrationFilter],
    paging: Query[PageParams],
) -> Any:
    user = caller(request)
    event = visible_event(user, event_id)
    organiser = can_edit_event(user, event)
    qs = Registration.objects.filter(event=event)
    if not organiser:
        qs = qs.filter(user=user)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    return _registration_page(request, qs, paging, organiser)


def _register_limit() -> RateLimit:
    # the same counter as the registration page: one budget per client address
    return RateLimit(
        "event-register-ip",
        limit=settings.EVENT_REGISTRATION_RATE_LIMIT,
        window=settings.EVENT_REGISTRATION_RATE_WINDOW,
    )


@router.post(
    "/events/{int:event_id}/registrations",
    response={201: RegistrationOut, **ERRORS},
    url_name="register",
    summary="Register for an event",
    description=(
        "Signed in (token, or session with its CSRF token): registered with the account "
        "(`confirmed`, or `waitlisted` when full). Without authentication: with `name` and "
        "`email` only, the registration is `unconfirmed` until the link sent to that "
        "address is followed (then it takes a seat or a place in the queue); limited to "
        "`EVENT_REGISTRATION_RATE_LIMIT` per client address and window (429). Organisers add "
        "someone directly with `add: true` (no confirmation; 409 `full` rather than the "
        "waiting list). Refusals: 409 `full`, `closed`, `not_open_yet`, `duplicate` (this "
        "e-mail is already registered), `cancelled`, `no_registration`; 422 "
        "`invalid_answers`, `invalid_seats`, `invalid_email`."
    ),
)
@domain_errors
def register(request: HttpRequest, event_id: int, payload: RegistrationIn) -> Any:
    user = writer(request)
    event = visible_event(user, event_id)
    language = (translation.get_language() or "fr")[:10]
    if payload.add:
        if not user.is_authenticated:
            raise AuthenticationError
        if not can_edit_event(user, event):
            raise PermissionDenied(_("Only the organisers can add someone."))
        registration = registrations.register(
            event=event,
            name=payload.name,
            email=payload.email,
            seats=payload.seats,
            answers=payload.answers,
            language=language,
            added_by=user,
        )
    elif user.is_authenticated:
        assert isinstance(user, User)
        registration = registrations.register(
            name=payload.name or user.display_name,
            email=user.email,
            seats=payload.seats,
            answers=payload.answers,
            user=user,
            language=language,
            event=event,
        )
    else:
        if not payload.name.strip():
            raise _invalid("name", _("Give a name."), "missing")
        if not payload.email.strip():
            raise _invalid("email", _("Give your e-mail address."), "missing")
        _register_limit().check(client_ip(request))
        registration = registrations.register(
            event=event,
            name=payload.name,
            email=payload.email,
            seats=payload.seats,
            answers=payload.answers,
            language=language,
        )
    registration = Registration.objects.select_related("event").get(pk=registration.pk)
    organiser = user.is_authenticated and can_edit_event(user, event)
    return _json(
        registration_out(request, registration, organiser=organiser),
        201,
        reverse("api:registration", kwargs={"registration_id": registration.pk}),
    )


@router.get(
    "/registrations",
    response={200: RegistrationPage, **MINE},
    auth=token_or_session(),
    url_name="my_registrations",
    summary="My registrations",
    description="The caller's registrations to all events, cancelled ones included.",
)
def my_registrations(
    request: HttpRequest, filters: Query[RegistrationFilter], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = Registration.objects.filter(user=user)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    return _registration_page(request, qs, paging, False)


def visible_registration(user: AnyUser, registration_id: int) -> Registration:
    """Its registrant's or its event's organisers'; 404 for everybody else."""
    registration = (
        Registration.objects.select_related("event__place", "event__network")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not can_see_registration(user, registration):
        raise Http404
    return registration


def _answer(request: HttpRequest, user: AnyUser, registration: Registration) -> HttpResponse:
    fresh = Registration.objects.select_related("event").get(pk=registration.pk)
    return _json(
        registration_out(request, fresh, organiser=can_edit_event(user, registration.event))
    )


@router.get(
    "/registrations/{int:registration_id}",
    response={200: RegistrationOut, **READ},
    auth=token_or_session(),
    url_name="registration",
    summary="One registration",
    description="For its registrant and the event's organisers; 404 for the others.",
)
def get_registration(request: HttpRequest, registration_id: int) -> Any:
    user = caller(request)
    return _answer(request, user, visible_registration(user, registration_id))


@router.delete(
    "/registrations/{int:registration_id}",
    response={200: RegistrationOut, **ERRORS},
    auth=token_or_session(),
    url_name="registration_cancel",
    summary="Cancel a registration",
    description=(
        "Its registrant or the organisers. The seats freed are offered to the waiting "
        "list. 409 `not_active` when already cancelled, `closed` when the event is over."
    ),
)
@domain_errors
def cancel_registration(request: HttpRequest, registration_id: int) -> Any:
    user = caller(request)
    registration = visible_registration(user, registration_id)
    registrations.registration_cancel(registration=registration, by=user)
    return _answer(request, user, registration)


@router.post(
    "/registrations/{int:registration_id}/accept",
    response={200: RegistrationOut, **ERRORS},
    auth=token_or_session(),
    url_name="registration_accept",
    summary="Accept a seat offered from the waiting list (the registrant)",
    description="409 `not_offered`, or `offer_expired` when too late.",
)
@domain_errors
def accept_offer(request: HttpRequest, registration_id: int) -> Any:
    user = caller(request)
    registration = visible_registration(user, registration_id)
    if registration.user_id != user.pk:
        raise PermissionDenied(_("Only the registrant accepts a seat."))
    registrations.offer_accept(registration=registration)
    return _answer(request, user, registration)


@router.post(
    "/registrations/{int:registration_id}/check-in",
    response={200: RegistrationOut, **ERRORS},
    auth=token_or_session(),
    url_name="registration_check_in",
    summary="Mark someone present or absent (organisers)",
    description="Registered (confirmed) people only: 409 `not_registered` otherwise.",
)
@domain_errors
def check_in(request: HttpRequest, registration_id: int, payload: CheckInIn) -> Any:
    user = caller(request)
    registration = visible_registration(user, registration_id)
    if not can_edit_event(user, registration.event):
        raise PermissionDenied(_("Only the organisers can check people in."))
    registrations.check_in(registration=registration, by=user, present=payload.present)
    return _answer(request, user, registration)


@router.post(
    "/registrations/{int:registration_id}/move-first",
    response={200: RegistrationOut, **ERRORS},
    auth=token_or_session(),
    url_name="registration_move_first",
    summary="Put someone first on the waiting list (organisers)",
    description="409 `not_waitlisted` when they are not on it. A free seat is offered at once.",
)
@domain_errors
def move_first(request: HttpRequest, registration_id: int) -> Any:
    user = caller(request)
    registration = visible_registration(user, registration_id)
    if not can_edit_event(user, registration.event):
        raise PermissionDenied(_("Only the organisers can reorder the waiting list."))
    registrations.waitlist_move_first(registration=registration, by=user)
    return _answer(request, user, registration)


# --- festivals --------------------------------------------------------------------------


class FestivalFilter(Schema):
    network: str | None = Field(None, max_length=200, description="Short name of a network.")


def _festivals() -> QuerySet[Festival]:
    listed = Q(
        events__festival_state=Event.FestivalState.ACCEPTED,
        events__status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED],
    )
    return Festival.objects.select_related("network").annotate(
        event_count=Count("events", filter=listed, distinct=True),
        place_count=Count("events__place", filter=listed, distinct=True),
    )


def festival_out(request: HttpRequest, festival: Festival) -> dict[str, Any]:
    base = request.build_absolute_uri("/")[:-1]
    slug = festival.slug
    return {
        "slug": slug,
        "name": festival.name,
        "theme": festival.theme,
        "description": festival.description,
        "start_date": festival.start_date.isoformat(),
        "end_date": festival.end_date.isoformat(),
        "network": festival.network.slug,
        "requires_approval": festival.requires_approval,
        "is_published": festival.is_published,
        "events": getattr(festival, "event_count", 0),
        "places": getattr(festival, "place_count", 0),
        "url": base + reverse("events:festival", args=[slug]),
        "events_url": base + reverse("api:events") + "?festival=" + slug,
        "ics_url": base + reverse("events:festival_ics", args=[slug]),
        "rss_url": base + reverse("events:festival_rss", args=[slug]),
        "atom_url": base + reverse("events:festival_atom", args=[slug]),
    }


@router.get(
    "/festivals",
    response={200: FestivalPage, **READ},
    url_name="festivals",
    summary="List festivals",
    description=(
        "Published festivals of the networks, the latest first, with the number of events "
        "in their programme and of places taking part. Paginated like the list of places."
    ),
)
def list_festivals(
    request: HttpRequest, filters: Query[FestivalFilter], paging: Query[PageParams]
) -> Any:
    reader(request)
    offset, limit = page_bounds(paging)
    qs = Festival.objects.filter(is_published=True)
    if filters.network:
        qs = qs.filter(network__slug=filters.network)
    count = qs.count()
    rows = (
        list(
            _festivals()
            .filter(pk__in=qs.values("pk"))
            .order_by("-start_date", "pk")[offset : offset + limit]
        )
        if offset < count
        else []
    )
    return _json(
        {
            "count": count,
            **page_links(request, offset=offset, limit=limit, count=count),
            "results": [festival_out(request, f) for f in rows],
        }
    )


@router.get(
    "/festivals/{slug}",
    response={200: FestivalOut, **READ},
    url_name="festival",
    summary="One festival, with its counts",
    description="Its events are listed by `/events?festival=` (see `events_url`).",
)
def get_festival(request: HttpRequest, slug: str) -> Any:
    user = reader(request)
    festival = _festivals().filter(slug=slug).first()
    if festival is None or not (festival.is_published or can_manage_festival(user, festival)):
        raise Http404
    return _json(festival_out(request, festival))


# --- rides ------------------------------------------------------------------------------


class PassengerOut(Schema):
    id: int = Field(description="Id of the seat (to accept, decline or cancel it).")
    name: str = Field(description="First name; empty for a passenger's own view.")
    seats: int
    status: SeatStatus
    email: str | None = Field(description="Only once the seat is accepted.")
    phone: str | None = Field(description="Only once the seat is accepted.")


class RideDetail(RideOut):
    from_detail: str | None = Field(
        description="The meeting point: for its author and the passengers accepted."
    )
    note: str
    driver: str | None = Field(description="First name: its author and the accepted.")
    email: str | None = Field(description="The author's contact: once a seat is accepted.")
    phone: str | None
    passengers: list[PassengerOut] = Field(
        description="Its author sees every seat asked or proposed; a passenger their own."
    )
    suggestions: list[RideOut] = Field(
        description="Its author only: rides of the other kind leaving near it."
    )


class ProposalIn(InputSchema):
    request: Id = Field(description="Id of a ride asked for (`kind` request) of the event.")
    seats: int | None = Field(None, ge=1, le=8, description="Default: the seats it asks for.")
    message: Text2000 = ""


def _participant(user: User, event: Event) -> Any:
    """Through the API, the participant is the signed-in account."""
    return rides.participant_for_user(user, event)


def ride_out(ride: Ride, user: AnyUser, tz: Any) -> dict[str, Any]:
    """What everybody sees of a ride: no name, no contact, no meeting point. `ride` comes
    annotated by `rides.with_counts` (else its free seats cost a query)."""
    return {
        "id": ride.pk,
        "event": ride.event_id,
        "kind": ride.kind,
        "from_town": ride.from_town,
        "departure_at": _iso(ride.departure_at, tz),
        "seats": ride.seats,
        "seats_free": rides.seats_free(ride),
        "round_trip": ride.round_trip,
        "return_at": _iso(ride.return_at, tz),
        "contribution": ride.contribution,
        "contribution_amount": _amount(ride.contribution_amount),
        "status": ride.status,
        "mine": bool(user.is_authenticated and ride.user_id == user.pk),
    }


def _is_author(user: AnyUser, ride: Ride) -> bool:
    return bool(user.is_authenticated and ride.user_id == user.pk)


def _seat_is_mine(user: AnyUser, seat: RideSeat) -> bool:
    return bool(user.is_authenticated and seat.user_id == user.pk)


def ride_detail(ride: Ride, user: User) -> dict[str, Any]:
    tz = ride.event.tz
    participant = _participant(user, ride.event)
    author = _is_author(user, ride)
    seats = [
        s
        for s in RideSeat.objects.filter(ride=ride).select_related("ride")
        if author or _seat_is_mine(user, s)
    ]
    contact = author or any(rides.can_see_contact(s, participant) for s in seats)

    def passenger(seat: RideSeat) -> dict[str, Any]:
        shown = author and rides.can_see_contact(seat, participant)
        return {
            "id": seat.pk,
            "name": seat.name if author else "",
            "seats": seat.seats,
            "status": seat.status,
            "email": seat.email if shown else None,
            "phone": (seat.phone or None) if shown else None,
        }

    suggestions = []
    if author and ride.status == Ride.Status.OPEN:
        near = rides.suggestions(ride)
        counted = {
            r.pk: r for r in rides.with_counts(Ride.objects.filter(pk__in=[r.pk for r in near]))
        }
        suggestions = [ride_out(counted[r.pk], user, tz) for r in near if r.pk in counted]
    return {
        **ride_out(ride, user, tz),
        "from_detail": ride.from_detail if contact else None,
        "note": ride.note,
        "driver": ride.name if contact else None,
        "email": ride.email if contact else None,
        "phone": (ride.phone or None) if contact else None,
        "passengers": [passenger(s) for s in seats],
        "suggestions": suggestions,
    }


def _ride(user: AnyUser, ride_id: int) -> Ride:
    """A ride of an event the caller may see; 404 otherwise."""
    found = (
        rides.with_counts(Ride.objects.filter(pk=ride_id))
        .select_related("event__place", "event__network")
        .first()
    )
    if found is None or not can_see_event(user, found.event):
        raise Http404
    return found


def _seat_out(seat: RideSeat) -> dict[str, Any]:
    return {"id": seat.pk, "ride": seat.ride_id, "seats": seat.seats, "status": seat.status}


@router.get(
    "/events/{int:event_id}/rides",
    response={200: RideList, **READ},
    url_name="event_rides",
    summary="Rides offered and asked for an event",
    description=(
        "Open rides, by departure: where from, when, seats (offered, or needed) and how "
        "many are still free (or still looked for), return trip, contribution. Nobody's "
        "name nor contact: ask for a seat, the driver accepts, then each sees the other's "
        "contact (`/rides/{id}`)."
    ),
)
def list_rides(request: HttpRequest, event_id: int) -> Any:
    user = reader(request)
    event = visible_event(user, event_id)
    rows = rides.with_counts(Ride.objects.filter(event=event, status=Ride.Status.OPEN))
    tz = event.tz
    return _json({"results": [ride_out(r, user, tz) for r in rows.order_by("departure_at", "pk")]})


@router.post(
    "/events/{int:event_id}/rides",
    response={201: RideDetail, **ERRORS},
    auth=token_or_session(),
    url_name="ride_create",
    summary="Offer a ride, or ask for one",
    description=(
        "`kind`: `offer` (you drive, with `seats` for passengers) or `request` (you look "
        "for `seats`). One open offer and one open request per person and event. Your "
        "e-mail, `phone` and meeting point are shown only to the people whose seat is "
        "accepted. 422 for a departure in the past or after the event, 409 `cancelled`, "
        "`over`, `rides_disabled`, `duplicate`."
    ),
)
@domain_errors
def create_ride(request: HttpRequest, event_id: int, payload: RideIn) -> Any:
    user = caller(request)
    event = visible_event(user, event_id)
    amount = payload.contribution_amount
    ride = rides.ride_create(
        event=event,
        participant=_participant(user, event),
        kind=payload.kind,
        from_town=payload.from_town,
        from_detail=payload.from_detail,
        departure_at=payload.departure_at,
        seats=payload.seats,
        round_trip=payload.round_trip,
        return_at=payload.return_at,
        contribution=payload.contribution,
        contribution_amount=None if amount is None else Decimal(str(round(amount, 2))),
        note=payload.note,
        phone=payload.phone,
    )
    return _json(
        ride_detail(_ride(user, ride.pk), user),
        201,
        reverse("api:ride", kwargs={"ride_id": ride.pk}),
    )


@router.get(
    "/rides/{int:ride_id}",
    response={200: RideDetail, **READ},
    auth=token_or_session(),
    url_name="ride",
    summary="One ride",
    description=(
        "Everybody signed in sees its public part. Its author also sees the seats asked "
        "(first names; contacts once accepted) and suggestions of rides nearby; a passenger "
        "sees their own seat, and the author's contact once accepted."
    ),
)
def get_ride(request: HttpRequest, ride_id: int) -> Any:
    user = caller(request)
    return _json(ride_detail(_ride(user, ride_id), user))


@router.delete(
    "/rides/{int:ride_id}",
    response={200: RideDetail, **ERRORS},
    auth=token_or_session(),
    url_name="ride_cancel",
    summary="Withdraw a ride (its author)",
    description="The passengers are told by e-mail.",
)
@domain_errors
def cancel_ride(request: HttpRequest, ride_id: int) -> Any:
    user = caller(request)
    ride = _ride(user, ride_id)
    rides.ride_cancel(ride=ride, participant=_participant(user, ride.event))
    return _json(ride_detail(_ride(user, ride_id), user))


@router.post(
    "/rides/{int:ride_id}/seats",
    response={201: SeatOut, **ERRORS},
    auth=token_or_session(),
    url_name="ride_seats",
    summary="Ask for a seat in a ride offered",
    description=(
        "The driver gets your `message` by e-mail (not your contact) and accepts or "
        "declines. 409 `full` when not enough seats are free, `duplicate`, `own_ride`, "
        "`not_an_offer`, `ride_cancelled`, `departed`."
    ),
)
@domain_errors
def request_seat(request: HttpRequest, ride_id: int, payload: SeatIn) -> Any:
    user = caller(request)
    ride = _ride(user, ride_id)
    seat = rides.seat_request(
        ride=ride,
        participant=_participant(user, ride.event),
        seats=payload.seats,
        message=payload.message,
    )
    return _json(_seat_out(seat), 201)


@router.post(
    "/rides/{int:ride_id}/proposals",
    response={201: SeatOut, **ERRORS},
    auth=token_or_session(),
    url_name="ride_proposals",
    summary="Propose seats of your ride to someone looking for one (the driver)",
    description="They accept or decline (`/ride-seats/{id}/accept`).",
)
@domain_errors
def propose_seat(request: HttpRequest, ride_id: int, payload: ProposalIn) -> Any:
    user = caller(request)
    ride = _ride(user, ride_id)
    wanted = Ride.objects.filter(pk=payload.request, event_id=ride.event_id).first()
    if wanted is None:
        raise _invalid("request", _("No ride asked for this event has this id."), "not_found")
    seat = rides.seat_propose(
        offer=ride,
        request_ride=wanted,
        participant=_participant(user, ride.event),
        seats=payload.seats,
        message=payload.message,
    )
    return _json(_seat_out(seat), 201)


def _seat(user: AnyUser, seat_id: int) -> RideSeat:
    """A seat, for the two people concerned (the driver and the passenger); 404 else."""
    seat = RideSeat.objects.select_related("ride__event").filter(pk=seat_id).first()
    if seat is None or not (_is_author(user, seat.ride) or _seat_is_mine(user, seat)):
        raise Http404
    return seat


def _decide(request: HttpRequest, seat_id: int, accept: bool) -> HttpResponse:
    user = caller(request)
    seat = _seat(user, seat_id)
    decided = rides.seat_decide(
        seat=seat, participant=_participant(user, seat.ride.event), accept=accept
    )
    return _json(_seat_out(decided))


@router.post(
    "/ride-seats/{int:seat_id}/accept",
    response={200: SeatOut, **ERRORS},
    auth=token_or_session(),
    url_name="ride_seat_accept",
    summary="Accept a seat (the driver; or the passenger, for a seat proposed)",
    description="Seats are never given beyond the ride's: 409 `full` when not enough are free.",
)
@domain_errors
def accept_seat(request: HttpRequest, seat_id: int) -> Any:
    return _decide(request, seat_id, True)


@router.post(
    "/ride-seats/{int:seat_id}/decline",
    response={200: SeatOut, **ERRORS},
    auth=token_or_session(),
    url_name="ride_seat_decline",
    summary="Decline a seat asked (the driver) or proposed (the passenger)",
)
@domain_errors
def decline_seat(request: HttpRequest, seat_id: int) -> Any:
    return _decide(request, seat_id, False)


@router.delete(
    "/ride-seats/{int:seat_id}",
    response={200: SeatOut, **ERRORS},
    auth=token_or_session(),
    url_name="ride_seat_cancel",
    summary="Cancel a seat (the passenger, or the driver for one accepted or proposed)",
)
@domain_errors
def cancel_seat(request: HttpRequest, seat_id: int) -> Any:
    user = caller(request)
    seat = _seat(user, seat_id)
    cancelled = rides.seat_cancel(seat=seat, participant=_participant(user, seat.ride.event))
    return _json(_seat_out(cancelled))
