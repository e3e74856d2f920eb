"""Registrations and rides in a person's data export and erasure, plugged into the accounts
app's registries (like the bookings app).

A person's registrations are those of their account, and those made without signing in with
their account's address once it is verified. Erasing the account cancels their upcoming
registrations (the freed places go to the waiting list, without e-mails to the erased
address), then anonymises every registration (name "—", address `erased-<id>@invalid`, no
answers): the organisers keep the count of who came, not who it was. Open rides are cancelled
and the ride-sharing rows lose their contact details and messages.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import Q

from tiers.accounts.models import User
from tiers.accounts.services import personal_data_eraser, personal_data_exporter
from tiers.events import clock, registrations
from tiers.events.errors import EventError
from tiers.events.models import Registration, Ride, RideMessage, RideSeat

ERASED_NAME = "—"


def _registrations_of(user: User) -> Q:
    mine = Q(user=user)
    if user.email and user.email_verified_at is not None:
        mine |= Q(user__isnull=True, email=user.email.lower())
    return mine


def _registration_ids(user: User) -> list[int]:
    return list(Registration.objects.filter(_registrations_of(user)).values_list("pk", flat=True))


@personal_data_exporter("event_registrations")
def export_registrations(user: User) -> list[dict[str, Any]]:
    rows = (
        Registration.objects.filter(_registrations_of(user))
        .select_related("event__place", "event__network")
        .order_by("event__start", "pk")
    )
    return [
        {
            "event": r.event.title,
            "organiser": r.event.place.name
            if r.event.place
            else (r.event.network.name if r.event.network else ""),
            "start": r.event.start,
            "end": r.event.end,
            "name": r.name,
            "email": r.email,
            "places": r.seats,
            "status": r.status,
            "answers": r.answers,
            "language": r.language,
            "created_at": r.created_at,
            "confirmed_at": r.confirmed_at,
            "cancelled_at": r.cancelled_at,
            "checked_in_at": r.checked_in_at,
            "sessions": [s.session.title for s in r.session_signups.all()],
        }
        for r in rows.prefetch_related("session_signups__session")
    ]


@personal_data_exporter("rides")
def export_rides(user: User) -> list[dict[str, Any]]:
    ids = _registration_ids(user)
    rides = (
        Ride.objects.filter(Q(user=user) | Q(registration_id__in=ids))
        .select_related("event")
        .order_by("departure_at", "pk")
    )
    seats = (
        RideSeat.objects.filter(Q(user=user) | Q(registration_id__in=ids))
        .select_related("ride__event")
        .order_by("created_at", "pk")
    )
    exported: list[dict[str, Any]] = [
        {
            "what": "ride",
            "event": ride.event.title,
            "kind": ride.kind,
            "name": ride.name,
            "email": ride.email,
            "phone": ride.phone,
            "from_town": ride.from_town,
            "meeting_point": ride.from_detail,
            "departure_at": ride.departure_at,
            "seats": ride.seats,
            "round_trip": ride.round_trip,
            "return_at": ride.return_at,
            "contribution": ride.contribution,
            "contribution_amount": ride.contribution_amount,
            "note": ride.note,
            "status": ride.status,
            "created_at": ride.created_at,
        }
        for ride in rides
    ]
    for seat in seats:
        exported.append(
            {
                "what": "seat in a ride",
                "event": seat.ride.event.title,
                "from_town": seat.ride.from_town,
                "name": seat.name,
                "email": seat.email,
                "phone": seat.phone,
                "seats": seat.seats,
                "status": seat.status,
                "created_at": seat.created_at,
                "messages": [
                    {"at": m.created_at, "body": m.body}
                    for m in seat.messages.filter(from_driver=False)
                ],
            }
        )
    driver_messages = RideMessage.objects.filter(
        Q(seat__ride__user=user) | Q(seat__ride__registration_id__in=ids), from_driver=True
    ).order_by("created_at", "pk")
    for m in driver_messages:
        exported.append({"what": "message as a driver", "at": m.created_at, "body": m.body})
    return exported


@personal_data_eraser
def erase_registrations(user: User) -> None:
    moment = clock.now()
    mine = Registration.objects.filter(_registrations_of(user))
    upcoming = list(
        mine.filter(status__in=Registration.ACTIVE, event__end__gt=moment).select_related("event")
    )
    for registration in upcoming:
        # already cancelled meanwhile, or the event just ended: nothing to free
        with contextlib.suppress(EventError):
            registrations.registration_cancel(registration=registration, by=None, notify=False)
    ids = list(mine.values_list("pk", flat=True))
    _erase_rides(user, ids, moment)
    # still-active ones (an event in progress...) end too: nobody can use them any more
    Registration.objects.filter(pk__in=ids, status__in=Registration.ACTIVE).exclude(
        status=Registration.Status.CONFIRMED
    ).update(status=Registration.Status.CANCELLED, cancelled_at=moment)
    for pk in ids:
        Registration.objects.filter(pk=pk).update(
            name=ERASED_NAME, email=f"erased-{pk}@invalid", answers={}, language="fr"
        )


def _erase_rides(user: User, registration_ids: list[int], moment: Any) -> None:
    rides = Ride.objects.filter(Q(user=user) | Q(registration_id__in=registration_ids))
    ride_ids = list(rides.values_list("pk", flat=True))
    Ride.objects.filter(pk__in=ride_ids, status=Ride.Status.OPEN).update(
        status=Ride.Status.CANCELLED
    )
    # the seats of their rides, and their seats in others' rides, end
    active = [RideSeat.Status.REQUESTED, RideSeat.Status.PROPOSED, RideSeat.Status.ACCEPTED]
    RideSeat.objects.filter(
        Q(ride_id__in=ride_ids) | Q(request_id__in=ride_ids), status__in=active
    ).update(status=RideSeat.Status.CANCELLED, decided_at=moment)
    seats = RideSeat.objects.filter(Q(user=user) | Q(registration_id__in=registration_ids))
    seat_ids = list(seats.values_list("pk", flat=True))
    RideSeat.objects.filter(pk__in=seat_ids, status__in=active).update(
        status=RideSeat.Status.CANCELLED, decided_at=moment
    )
    for pk in ride_ids:
        Ride.objects.filter(pk=pk).update(
            name=ERASED_NAME, email=f"erased-ride-{pk}@invalid", phone="", from_detail="",
            note="", latitude=None, longitude=None,
        )  # fmt: skip
    for pk in seat_ids:
        RideSeat.objects.filter(pk=pk).update(
            name=ERASED_NAME, email=f"erased-seat-{pk}@invalid", phone=""
        )
    RideMessage.objects.filter(
        Q(seat_id__in=seat_ids, from_driver=False) | Q(seat__ride_id__in=ride_ids, from_driver=True)
    ).update(body=ERASED_NAME)
