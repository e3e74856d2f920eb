"""Ride sharing to events (covoiturage).

Someone going to an event offers a ride (a driver with seats) or asks for one. A would-be
passenger asks a driver for seats, or a driver proposes seats to someone who asked; the
other side accepts. Accepted seats never exceed the ride's seats: they are taken inside one
transaction that locks the ride's row, re-counts the accepted seats from the real rows, then
writes (DESIGN.md §4).

Privacy: the public lists show a first name, a town and times, never an e-mail address or a
phone number. A driver and a passenger see each other's contact details only once the seat
is accepted; before that they write through a short message thread relayed by e-mail, which
never shows the sender's address.

Who is who (`Participant`): a signed-in account, or an e-mail-only registrant of the event
recognised by the secret token of their registration (kept in the session by the
registration page, or by the link of a ride e-mail).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from tiers.accounts.models import User
from tiers.core.mail import send_templated
from tiers.core.ratelimit import RateLimit
from tiers.core.text import fold
from tiers.events import clock
from tiers.events.errors import EventError
from tiers.events.models import Event, Registration, Ride, RideMessage, RideSeat
from tiers.places.search import distance_km, town_centre

RADIUS_KM = 20.0
MAX_SUGGESTIONS = 10
MAX_SEATS = 8
MAX_CONTRIBUTION = Decimal("500")
# a departure earlier than this before the event's start is a typing mistake
EARLIEST_DEPARTURE = dt.timedelta(days=7)
MAX_MESSAGE = 2000
# relayed messages per seat thread and side: enough to arrange a ride, not to flood someone
MESSAGE_LIMIT = RateLimit("ride-message", limit=20, window=3600)
SESSION_TOKENS = "event_tokens"
MAX_SESSION_TOKENS = 20
# registrations that identify an e-mail-only person on the rides pages
RIDER_STATUSES = (
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.OFFERED,
)
ACTIVE_SEAT = (RideSeat.Status.REQUESTED, RideSeat.Status.PROPOSED, RideSeat.Status.ACCEPTED)
PENDING_SEAT = (RideSeat.Status.REQUESTED, RideSeat.Status.PROPOSED)

_PHONE = re.compile(r"^\+?[0-9][0-9 .()\-]{5,28}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# HTTP status of an error for the API (EventError's default is 409 Conflict): bad input 422
_STATUS = {"not_allowed": 403, "rate_limited": 429}
_BAD_INPUT = {"departure_past", "departure_after_end", "departure_too_early", "return_too_late"}
_BAD_INPUT |= {"return_before_departure"}


# the field of a ride each refusal is about (forms show it there; the API names it)
FIELD_OF_CODE = {
    "invalid_kind": "kind",
    "invalid_town": "from_town",
    "invalid_seats": "seats",
    "invalid_phone": "phone",
    "invalid_amount": "contribution_amount",
    "invalid_contribution": "contribution",
    "invalid_departure": "departure_at",
    "departure_past": "departure_at",
    "departure_after_end": "departure_at",
    "departure_too_early": "departure_at",
    "invalid_return": "return_at",
    "return_before_departure": "return_at",
    "return_too_late": "return_at",
    "invalid_message": "message",
}


def _error(code: str, message: str | Promise) -> EventError:
    error = EventError(message, code=code)
    if code in _STATUS:
        error.status = _STATUS[code]
    elif code.startswith("invalid") or code in _BAD_INPUT:
        error.status = 422
    return error


# Summary (event page) ---------------------------------------------------------------------------


@dataclass
class RideSummary:
    offers: int
    requests: int
    seats_offered: int


def summary(event: Event) -> RideSummary:
    """What the event page says about ride sharing (2 queries at most)."""
    rides = Ride.objects.filter(event=event, status=Ride.Status.OPEN)
    offers = rides.filter(kind=Ride.Kind.OFFER)
    return RideSummary(
        offers=offers.count(),
        requests=rides.filter(kind=Ride.Kind.REQUEST).count(),
        seats_offered=sum(offers.values_list("seats", flat=True)),
    )


# Who is who ---------------------------------------------------------------------------------------


@dataclass
class Participant:
    """Someone taking part in the rides of one event: an account (`user`, with their
    registration of the event if they have one) or an e-mail-only registrant
    (`registration` only)."""

    user: User | None
    registration: Registration | None
    name: str
    email: str
    language: str = "fr"

    @property
    def first_name(self) -> str:
        return first_name(self.name)

    def is_author(self, ride: Ride) -> bool:
        """Wrote this ride (offered or asked)."""
        return _same(self, ride.user_id, ride.registration_id)

    def is_passenger(self, seat: RideSeat) -> bool:
        return _same(self, seat.user_id, seat.registration_id)


def _same(participant: Participant, user_id: int | None, registration_id: int | None) -> bool:
    if participant.user is not None and user_id is not None and user_id == participant.user.pk:
        return True
    return (
        participant.registration is not None
        and registration_id is not None
        and registration_id == participant.registration.pk
    )


def first_name(name: str) -> str:
    """What others see of someone: the first word of their name."""
    words = name.split()
    return words[0][:150] if words else "?"


def participant_for_user(user: User, event: Event) -> Participant:
    """A signed-in account (site or API), with its registration of the event if any."""
    registration = (
        Registration.objects.filter(event=event, user=user, status__in=RIDER_STATUSES)
        .order_by("-pk")
        .first()
    )
    return Participant(
        user=user, registration=registration, name=user.display_name or user.email,
        email=user.email, language=user.language or settings.LANGUAGE_CODE,
    )  # fmt: skip


def participant_for_registration(registration: Registration) -> Participant:
    """An e-mail-only registrant, known by the secret token of their registration."""
    return Participant(
        user=None, registration=registration, name=registration.name,
        email=registration.email, language=registration.language or settings.LANGUAGE_CODE,
    )  # fmt: skip


def session_tokens(request: HttpRequest) -> list[str]:
    tokens = request.session.get(SESSION_TOKENS, [])
    if not isinstance(tokens, list):
        return []
    return [t for t in tokens if isinstance(t, str) and t][-MAX_SESSION_TOKENS:]


def remember_token(request: HttpRequest, token: str) -> None:
    """Keep a registration's token in the session (the latest MAX_SESSION_TOKENS)."""
    tokens = [t for t in session_tokens(request) if t != token] + [token]
    request.session[SESSION_TOKENS] = tokens[-MAX_SESSION_TOKENS:]


def participant_for(request: HttpRequest, event: Event) -> Participant | None:
    """The signed-in account, or an e-mail-only registrant of this event whose token is in
    the session; None for other visitors (they may read, not write)."""
    user = request.user
    if user.is_authenticated and isinstance(user, User):
        return participant_for_user(user, event)
    tokens = session_tokens(request)
    if not tokens:
        return None
    registration = (
        Registration.objects.filter(event=event, token__in=tokens, status__in=RIDER_STATUSES)
        .order_by("-pk")
        .first()
    )
    return participant_for_registration(registration) if registration else None


def registration_for_token(event: Event, token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return Registration.objects.filter(event=event, token=token, status__in=RIDER_STATUSES).first()


def _author_fields(participant: Participant) -> dict[str, Any]:
    return {
        "user": participant.user,
        "registration": participant.registration,
        "name": first_name(participant.name),
        "email": participant.email,
    }


def _mine(participant: Participant) -> Q:
    """Rows (rides or seats) written by this participant."""
    condition = Q(pk__in=[])
    if participant.user is not None:
        condition |= Q(user=participant.user)
    if participant.registration is not None:
        condition |= Q(registration=participant.registration)
    return condition


def _check_participant(participant: Participant | None, event: Event) -> Participant:
    """Re-checked inside the transaction: an e-mail-only registrant still registered."""
    if participant is None or (participant.user is None and participant.registration is None):
        raise _error(
            "not_allowed",
            _("Sign in, or register for the event, to offer or ask for a ride."),
        )
    if participant.user is not None and not participant.user.is_active:
        raise _error("not_allowed", _("This account is not active."))
    if participant.user is None:
        assert participant.registration is not None
        if not Registration.objects.filter(
            pk=participant.registration.pk, event=event, status__in=RIDER_STATUSES
        ).exists():
            raise _error("not_allowed", _("Your registration for this event is no longer active."))
    return participant


def _check_event(event: Event, moment: dt.datetime) -> None:
    if event.status == Event.Status.CANCELLED:
        raise _error("cancelled", _("This event is cancelled."))
    if event.status != Event.Status.PUBLISHED:
        raise _error("not_published", _("This event is not published."))
    if not event.rides_enabled:
        raise _error("rides_disabled", _("Ride sharing is not open for this event."))
    if moment >= event.end:
        raise _error("over", _("This event is over."))


def rides_open(event: Event) -> bool:
    """Whether rides can still be offered or asked for this event (for the pages)."""
    try:
        _check_event(event, clock.now())
    except EventError:
        return False
    return True


# Reading ------------------------------------------------------------------------------------------


def with_counts(qs: QuerySet[Ride]) -> QuerySet[Ride]:
    """Rides annotated with `seats_taken` (offers: seats accepted) and `seats_found`
    (requests: seats accepted through them), in the same query."""
    return qs.annotate(
        seats_taken=Coalesce(
            Sum("passengers__seats", filter=Q(passengers__status=RideSeat.Status.ACCEPTED)), 0
        ),
        seats_found=Coalesce(
            Sum("proposals__seats", filter=Q(proposals__status=RideSeat.Status.ACCEPTED)), 0
        ),
    )


def _accepted(ride: Ride) -> int:
    total = RideSeat.objects.filter(ride=ride, status=RideSeat.Status.ACCEPTED).aggregate(
        seats=Sum("seats")
    )["seats"]
    return int(total or 0)


def seats_free(ride: Ride) -> int:
    """Offers: seats not accepted yet. Requests: seats still looked for."""
    annotated = getattr(ride, "seats_taken", None)
    if ride.kind == Ride.Kind.REQUEST:
        found = getattr(ride, "seats_found", None)
        if found is None:
            found = RideSeat.objects.filter(
                request=ride, status=RideSeat.Status.ACCEPTED
            ).aggregate(seats=Sum("seats"))["seats"]
        return max(0, ride.seats - int(found or 0))
    taken = annotated if annotated is not None else _accepted(ride)
    return max(0, ride.seats - int(taken))


def can_see_contact(seat: RideSeat, participant: Participant | None) -> bool:
    """Contact details (e-mail, phone, meeting point) are shown only between a driver and a
    passenger whose seat is accepted."""
    if participant is None or seat.status != RideSeat.Status.ACCEPTED:
        return False
    ride = seat.ride
    if ride.status != Ride.Status.OPEN:
        return False
    return participant.is_author(ride) or participant.is_passenger(seat)


def town_key(town: str) -> str:
    return fold(town.replace("-", " ").replace("'", " "))


def _distance(a: Ride, b: Ride) -> float | None:
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    return distance_km(a.latitude, a.longitude, b.latitude, b.longitude)


def match(ride: Ride, candidates: list[Ride]) -> list[Ride]:
    """Among `candidates`, the open rides of the opposite kind that start in the same town
    or within RADIUS_KM, nearest first (`distance_km` set on each), at most
    MAX_SUGGESTIONS. Offers without a free seat and requests already served are left out."""
    opposite = Ride.Kind.REQUEST if ride.kind == Ride.Kind.OFFER else Ride.Kind.OFFER
    key = town_key(ride.from_town)
    found: list[tuple[float, dt.datetime, int, Ride]] = []
    for other in candidates:
        if other.pk == ride.pk or other.kind != opposite or other.status != Ride.Status.OPEN:
            continue
        if other.event_id != ride.event_id:
            continue
        if (ride.user_id and other.user_id == ride.user_id) or (
            ride.registration_id and other.registration_id == ride.registration_id
        ):
            continue
        if seats_free(other) == 0:
            continue
        distance = _distance(ride, other)
        same_town = town_key(other.from_town) == key
        if not same_town and (distance is None or distance > RADIUS_KM):
            continue
        if distance is None:
            distance = 0.0
        other.distance_km = round(distance, 1)  # type: ignore[attr-defined]
        found.append((distance, other.departure_at, other.pk, other))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found[:MAX_SUGGESTIONS]]


def suggestions(ride: Ride) -> list[Ride]:
    """The open rides of the opposite kind of the same event near this one: same town
    (accents and case ignored) or within RADIUS_KM, nearest first, at most 10."""
    if ride.status != Ride.Status.OPEN:
        return []
    opposite = Ride.Kind.REQUEST if ride.kind == Ride.Kind.OFFER else Ride.Kind.OFFER
    candidates = list(
        with_counts(Ride.objects.filter(event_id=ride.event_id, kind=opposite, status="open"))
    )
    return match(ride, candidates)


def rides_of(participant: Participant, event: Event) -> QuerySet[Ride]:
    """The rides this participant wrote for the event (open and cancelled)."""
    return Ride.objects.filter(_mine(participant), event=event)


def seats_of(participant: Participant, event: Event) -> QuerySet[RideSeat]:
    """The seats this participant asked for, or was proposed, in the event's rides."""
    return RideSeat.objects.filter(_mine(participant), ride__event=event)


# Writing ------------------------------------------------------------------------------------------


def _text(value: str | None, limit: int, *, lines: bool = False) -> str:
    value = _CONTROL.sub("", value or "")
    if lines:
        value = "\n".join(" ".join(line.split()) for line in value.strip().splitlines())
    else:
        value = " ".join(value.split())
    return value[:limit]


def _check_seats(seats: object, most: int = MAX_SEATS) -> int:
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= most:
        raise _error(
            "invalid_seats",
            _("Give a number of seats between 1 and %(max)s.") % {"max": most},
        )
    return seats


def _check_amount(contribution: str, amount: object) -> Decimal | None:
    if contribution == Ride.Contribution.FREE or amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise _error("invalid_amount", _("Give the contribution in euros.")) from exc
    if not value.is_finite() or value < 0 or value > MAX_CONTRIBUTION:
        raise _error(
            "invalid_amount",
            _("The contribution is between 0 and %(max)s € per person.")
            % {"max": MAX_CONTRIBUTION},
        )
    return value


def _check_times(
    event: Event,
    moment: dt.datetime,
    departure_at: dt.datetime | None,
    round_trip: bool,
    return_at: dt.datetime | None,
) -> tuple[dt.datetime, dt.datetime | None]:
    if not isinstance(departure_at, dt.datetime) or timezone.is_naive(departure_at):
        raise _error("invalid_departure", _("Give the day and time of departure."))
    if departure_at < moment:
        raise _error("departure_past", _("The departure cannot be in the past."))
    if departure_at >= event.end:
        raise _error("departure_after_end", _("The departure must be before the event ends."))
    if departure_at < event.start - EARLIEST_DEPARTURE:
        raise _error(
            "departure_too_early",
            _("The departure must be at most a week before the event."),
        )
    if not round_trip:
        return departure_at, None
    if return_at is None:
        return departure_at, None
    if not isinstance(return_at, dt.datetime) or timezone.is_naive(return_at):
        raise _error("invalid_return", _("Give the day and time of the return."))
    if return_at <= departure_at:
        raise _error("return_before_departure", _("The return must be after the departure."))
    if return_at > event.end + EARLIEST_DEPARTURE:
        raise _error("return_too_late", _("The return must be at most a week after the event."))
    return departure_at, return_at


def ride_create(
    event: Event,
    participant: Participant | None,
    kind: str,
    from_town: str,
    from_detail: str = "",
    departure_at: dt.datetime | None = None,
    seats: int = 1,
    round_trip: bool = False,
    return_at: dt.datetime | None = None,
    contribution: str = Ride.Contribution.FREE,
    contribution_amount: Decimal | str | None = None,
    note: str = "",
    phone: str = "",
) -> Ride:
    """Offer a ride (`kind` "offer": a driver with `seats` free seats) or ask for one
    ("request": `seats` needed). One open offer and one open request per person and event."""
    if kind not in Ride.Kind.values:
        raise _error("invalid_kind", _("A ride is offered or asked for."))
    town = _text(from_town, 120)
    if not town:
        raise _error("invalid_town", _("Give the town you leave from."))
    detail = _text(from_detail, 255)
    text = _text(note, 500, lines=True)
    phone = _text(phone, 30)
    if phone and not _PHONE.match(phone):
        raise _error(
            "invalid_phone", _("Give a phone number with digits only (or leave it empty).")
        )
    seats = _check_seats(seats)
    if contribution not in Ride.Contribution.values:
        raise _error("invalid_contribution", _("Choose free or shared costs."))
    if kind == Ride.Kind.REQUEST:
        contribution, contribution_amount = Ride.Contribution.FREE, None
    amount = _check_amount(contribution, contribution_amount)
    round_trip = bool(round_trip)
    moment = clock.now()
    coordinates = town_centre(town)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        _check_event(locked, moment)
        participant = _check_participant(participant, locked)
        departure_at, return_at = _check_times(locked, moment, departure_at, round_trip, return_at)
        if Ride.objects.filter(_mine(participant), event=locked, kind=kind, status="open").exists():
            raise _error(
                "duplicate",
                _("You already offer a ride to this event: change or cancel it first.")
                if kind == Ride.Kind.OFFER
                else _("You already ask for a ride to this event: cancel it first."),
            )
        ride = Ride.objects.create(
            event=locked, kind=kind, **_author_fields(participant), phone=phone,
            from_town=town, from_detail=detail,
            latitude=coordinates[0] if coordinates else None,
            longitude=coordinates[1] if coordinates else None,
            departure_at=departure_at, seats=seats, round_trip=round_trip, return_at=return_at,
            contribution=contribution, contribution_amount=amount, note=text, created_at=moment,
        )  # fmt: skip
    ride.event = event
    return ride


def _lock_ride(ride: Ride) -> Ride:
    """The ride's row, locked: every change of its seats goes through this lock."""
    return Ride.objects.select_for_update().select_related("event").get(pk=ride.pk)


def ride_cancel(ride: Ride, participant: Participant | None) -> Ride:
    """The author withdraws their ride. An offer's passengers (accepted or waiting) are told;
    a request's pending proposals are withdrawn (an accepted seat stays: cancel it apart)."""
    moment = clock.now()
    with transaction.atomic():
        locked = _lock_ride(ride)
        if participant is None or not participant.is_author(locked):
            raise _error("not_allowed", _("Only its author can cancel a ride."))
        if locked.status == Ride.Status.CANCELLED:
            return locked
        Ride.objects.filter(pk=locked.pk).update(status=Ride.Status.CANCELLED)
        locked.status = Ride.Status.CANCELLED
        if locked.kind == Ride.Kind.OFFER:
            told = list(
                RideSeat.objects.filter(
                    ride=locked,
                    status__in=(RideSeat.Status.ACCEPTED, RideSeat.Status.REQUESTED),
                ).values_list("pk", flat=True)
            )
            RideSeat.objects.filter(ride=locked, status__in=ACTIVE_SEAT).update(
                status=RideSeat.Status.CANCELLED, decided_at=moment
            )
            for seat_id in told:
                _notify("cancelled", seat_id, to_driver=False)
        else:
            RideSeat.objects.filter(request=locked, status__in=PENDING_SEAT).update(
                status=RideSeat.Status.CANCELLED, decided_at=moment
            )
    return locked


def registration_cancelled(registration: Registration) -> None:
    """An e-mail-only registrant cancelled: without their registration they could no longer
    manage their rides, so these are withdrawn and their seats given back (the other side is
    told). Someone with an account keeps theirs: they still sign in to manage them."""
    if registration.user_id is not None:
        return
    participant = participant_for_registration(registration)
    for ride in Ride.objects.filter(registration=registration, status=Ride.Status.OPEN):
        ride_cancel(ride, participant)
    for seat in RideSeat.objects.filter(registration=registration, status__in=ACTIVE_SEAT):
        seat_cancel(seat, participant)


def _check_ride_open(ride: Ride, moment: dt.datetime) -> None:
    if ride.status != Ride.Status.OPEN:
        raise _error("ride_cancelled", _("This ride is cancelled."))
    _check_event(ride.event, moment)
    if ride.departure_at <= moment:
        raise _error("departed", _("This ride has already left."))


def _check_free(ride: Ride, seats: int) -> None:
    free = ride.seats - _accepted(ride)
    if seats > free:
        if free <= 0:
            raise _error("full", _("There is no free seat left in this car."))
        raise _error(
            "full",
            _("Only %(free)s seat(s) left in this car.") % {"free": free},
        )


def _body(message: str | None) -> str:
    return _text(message, MAX_MESSAGE, lines=True)


def seat_request(
    ride: Ride, participant: Participant | None, seats: int = 1, message: str = ""
) -> RideSeat:
    """Ask the driver of an offered ride for seats (they accept or decline)."""
    seats = _check_seats(seats)
    body = _body(message)
    moment = clock.now()
    with transaction.atomic():
        locked = _lock_ride(ride)
        if locked.kind != Ride.Kind.OFFER:
            raise _error("not_an_offer", _("Seats are asked in an offered ride."))
        _check_ride_open(locked, moment)
        participant = _check_participant(participant, locked.event)
        if participant.is_author(locked):
            raise _error("own_ride", _("This is your own ride."))
        previous = list(
            RideSeat.objects.filter(_mine(participant), ride=locked).values_list(
                "status", flat=True
            )
        )
        if any(status in ACTIVE_SEAT for status in previous):
            raise _error("duplicate", _("You already asked for a seat in this car."))
        if RideSeat.Status.DECLINED in previous:
            raise _error("declined", _("The driver has declined your request for this ride."))
        _check_free(locked, seats)
        asked = Ride.objects.filter(
            _mine(participant), event=locked.event, kind=Ride.Kind.REQUEST, status="open"
        ).first()
        seat = RideSeat.objects.create(
            ride=locked, request=asked, **_author_fields(participant),
            phone=asked.phone if asked else "", seats=seats,
            status=RideSeat.Status.REQUESTED, created_at=moment,
        )  # fmt: skip
        if body:
            RideMessage.objects.create(seat=seat, from_driver=False, body=body, created_at=moment)
        _notify("seat_requested", seat.pk, to_driver=True)
    return seat


def seat_propose(
    offer: Ride,
    request_ride: Ride,
    participant: Participant | None,
    seats: int | None = None,
    message: str = "",
) -> RideSeat:
    """The driver of `offer` proposes seats to the author of `request_ride`, who accepts or
    declines."""
    body = _body(message)
    moment = clock.now()
    with transaction.atomic():
        locked = _lock_ride(offer)
        if participant is None or not participant.is_author(locked):
            raise _error("not_allowed", _("Only the driver can propose seats in this car."))
        if locked.kind != Ride.Kind.OFFER:
            raise _error("not_an_offer", _("Seats are proposed in an offered ride."))
        _check_ride_open(locked, moment)
        _check_participant(participant, locked.event)
        wanted = Ride.objects.filter(pk=request_ride.pk).first()
        if (
            wanted is None
            or wanted.kind != Ride.Kind.REQUEST
            or wanted.event_id != locked.event_id
            or wanted.status != Ride.Status.OPEN
        ):
            raise _error("not_a_request", _("This person no longer looks for a ride."))
        if participant.is_author(wanted):
            raise _error("own_ride", _("This is your own ride."))
        seats = _check_seats(wanted.seats if seats is None else seats)
        same_person = Q(pk__in=[])
        if wanted.user_id:
            same_person |= Q(user_id=wanted.user_id)
        if wanted.registration_id:
            same_person |= Q(registration_id=wanted.registration_id)
        previous = list(
            RideSeat.objects.filter(same_person, ride=locked).values_list("status", flat=True)
        )
        if any(status in ACTIVE_SEAT for status in previous):
            raise _error("duplicate", _("This person already has a seat or a proposal here."))
        _check_free(locked, seats)
        seat = RideSeat.objects.create(
            ride=locked, request=wanted, user_id=wanted.user_id,
            registration_id=wanted.registration_id, name=wanted.name, email=wanted.email,
            phone=wanted.phone, seats=seats, status=RideSeat.Status.PROPOSED, created_at=moment,
        )  # fmt: skip
        if body:
            RideMessage.objects.create(seat=seat, from_driver=True, body=body, created_at=moment)
        _notify("seat_proposed", seat.pk, to_driver=False)
    return seat


def _lock_seat(seat: RideSeat) -> tuple[Ride, RideSeat]:
    """The ride's row then the seat's, always in this order."""
    ride_id = RideSeat.objects.filter(pk=seat.pk).values_list("ride_id", flat=True).first()
    if ride_id is None:
        raise _error("not_found", _("This seat no longer exists."))
    ride = Ride.objects.select_for_update().select_related("event").get(pk=ride_id)
    locked = RideSeat.objects.select_for_update().get(pk=seat.pk)
    locked.ride = ride
    return ride, locked


def seat_decide(seat: RideSeat, participant: Participant | None, accept: bool) -> RideSeat:
    """The driver answers a requested seat; the passenger answers a proposed one. Accepting
    never gives more seats than the car has."""
    moment = clock.now()
    with transaction.atomic():
        ride, locked = _lock_seat(seat)
        if locked.status == RideSeat.Status.REQUESTED:
            allowed = participant is not None and participant.is_author(ride)
        elif locked.status == RideSeat.Status.PROPOSED:
            allowed = participant is not None and participant.is_passenger(locked)
        else:
            if participant is not None and (
                participant.is_author(ride) or participant.is_passenger(locked)
            ):
                raise _error("not_pending", _("This has already been answered."))
            allowed = False
        if not allowed:
            raise _error("not_allowed", _("You cannot answer this."))
        # the other side is told: the passenger when the driver answers, and the reverse
        to_driver = locked.status == RideSeat.Status.PROPOSED
        if accept:
            _check_ride_open(ride, moment)
            _check_free(ride, locked.seats)
            locked.status = RideSeat.Status.ACCEPTED
        else:
            locked.status = RideSeat.Status.DECLINED
        locked.decided_at = moment
        locked.save(update_fields=["status", "decided_at"])
        _notify("seat_accepted" if accept else "seat_declined", locked.pk, to_driver=to_driver)
    return locked


def seat_cancel(seat: RideSeat, participant: Participant | None) -> RideSeat:
    """The passenger gives up their seat (or withdraws their request); the driver withdraws
    a proposal or a passenger they had accepted. The other side is told."""
    moment = clock.now()
    with transaction.atomic():
        ride, locked = _lock_seat(seat)
        is_driver = participant is not None and participant.is_author(ride)
        is_passenger = participant is not None and participant.is_passenger(locked)
        if not (is_driver or is_passenger):
            raise _error("not_allowed", _("You cannot cancel this."))
        if locked.status not in ACTIVE_SEAT:
            raise _error("not_active", _("This is already cancelled or declined."))
        if is_driver and not is_passenger and locked.status == RideSeat.Status.REQUESTED:
            raise _error("not_allowed", _("Decline the request instead."))
        locked.status = RideSeat.Status.CANCELLED
        locked.decided_at = moment
        locked.save(update_fields=["status", "decided_at"])
        _notify("seat_cancelled", locked.pk, to_driver=not is_driver)
    return locked


def message_send(seat: RideSeat, participant: Participant | None, body: str) -> RideMessage:
    """A message in a seat's thread, relayed by e-mail to the other side without the
    sender's address (until the seat is accepted, when both see each other's)."""
    text = _body(body)
    if not text:
        raise _error("invalid_message", _("Write a message."))
    moment = clock.now()
    with transaction.atomic():
        ride, locked = _lock_seat(seat)
        is_driver = participant is not None and participant.is_author(ride)
        if participant is None or not (is_driver or participant.is_passenger(locked)):
            raise _error("not_allowed", _("Only the driver and this passenger write here."))
        if locked.status not in ACTIVE_SEAT or ride.status != Ride.Status.OPEN:
            raise _error("closed", _("This conversation is closed."))
        if not MESSAGE_LIMIT.hit(f"{locked.pk}:{int(is_driver)}").allowed:
            raise _error("rate_limited", _("Too many messages for now. Please wait and try again."))
        message = RideMessage.objects.create(
            seat=locked, from_driver=is_driver, body=text, created_at=moment
        )
        _notify("message", locked.pk, to_driver=not is_driver, message_id=message.pk)
    return message


# E-mails ------------------------------------------------------------------------------------------

EMAILS = {
    "seat_requested",
    "seat_proposed",
    "seat_accepted",
    "seat_declined",
    "seat_cancelled",
    "message",
    "cancelled",
}


def _notify(what: str, seat_id: int, *, to_driver: bool, message_id: int | None = None) -> None:
    transaction.on_commit(lambda: send_ride_email.enqueue(what, seat_id, to_driver, message_id))


def _recipient(
    user: User | None, registration: Registration | None, email: str
) -> tuple[str, str, str] | None:
    """(address, language, token for the link) of a ride's or a seat's author."""
    if user is not None:
        if user.erased_at or not user.is_active:
            return None
        token = registration.token if registration is not None else ""
        return user.email, user.language or settings.LANGUAGE_CODE, token
    if registration is not None:
        return (
            registration.email,
            registration.language or settings.LANGUAGE_CODE,
            registration.token,
        )
    return (email, settings.LANGUAGE_CODE, "") if email else None


def ride_url(ride: Ride, token: str = "") -> str:
    url = settings.SITE_URL.rstrip("/") + reverse("events:ride", args=[ride.pk])
    return f"{url}?jeton={token}" if token else url


@task()
def send_ride_email(what: str, seat_id: int, to_driver: bool, message_id: int | None) -> None:
    """One e-mail about a seat, to its driver or its passenger, in their language and on the
    event's clock. The sender's address is only given once the seat is accepted."""
    if what not in EMAILS:
        return
    seat = (
        RideSeat.objects.select_related(
            "ride__event__place", "ride__user", "ride__registration", "user", "registration"
        )
        .filter(pk=seat_id)
        .first()
    )
    if seat is None:
        return
    ride = seat.ride
    event = ride.event
    if to_driver:
        recipient = _recipient(ride.user, ride.registration, ride.email)
        other_name = seat.name
        contact = {"email": seat.email, "phone": seat.phone}
    else:
        recipient = _recipient(seat.user, seat.registration, seat.email)
        other_name = ride.name
        contact = {"email": ride.email, "phone": ride.phone, "detail": ride.from_detail}
    if recipient is None:
        return
    address, language, token = recipient
    message = None
    if message_id is not None:
        message = RideMessage.objects.filter(pk=message_id, seat=seat).first()
        if message is None:
            return
    context = {
        "event": event,
        "ride": ride,
        "seat": seat,
        "other_name": other_name,
        "to_driver": to_driver,
        "contact": contact if seat.status == RideSeat.Status.ACCEPTED else None,
        "message": message,
        "url": ride_url(ride, token),
        "event_url": settings.SITE_URL.rstrip("/") + event.get_absolute_url(),
    }
    with timezone.override(event.tz):
        send_templated(
            to=address, template=f"events/email/ride_{what}", context=context, language=language
        )
