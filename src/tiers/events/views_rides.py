"""Ride-sharing pages of an event: the offers and requests, offering or asking for a ride,
a ride's page (passengers, requests, message threads) and the actions on rides and seats.

Everyone may read the lists (a first name, a town, times: no contact details). Writing needs
a `Participant` (`sharing.participant_for`): a signed-in account, or an e-mail-only registrant
of the event known by their registration's token in the session. Every change is a POST
with CSRF, then a redirect; nothing needs JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiers.events import clock
from tiers.events import rides as sharing
from tiers.events.errors import EventError
from tiers.events.forms_rides import MessageForm, ProposeForm, RideForm, SeatRequestForm
from tiers.events.models import Event, Ride, RideMessage, RideSeat
from tiers.events.permissions import can_see_event, event_for_visitor


def _ride_url(ride: Ride, anchor: str = "") -> str:
    url = reverse("events:ride", args=[ride.pk])
    return f"{url}#{anchor}" if anchor else url


def _ride(pk: int, request: HttpRequest) -> Ride:
    ride = get_object_or_404(Ride.objects.select_related("event__place", "event__network"), pk=pk)
    if not can_see_event(request.user, ride.event):
        raise Http404
    return ride


def _participant(request: HttpRequest, event: Event) -> sharing.Participant:
    participant = sharing.participant_for(request, event)
    if participant is None:
        raise PermissionDenied
    return participant


def _form_error(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def rides(request: HttpRequest, slug: str) -> HttpResponse:
    """The event's offers and requests; for a participant, their own rides and seats and,
    for each of their rides, the ones near it."""
    event = event_for_visitor(request, slug)
    participant = sharing.participant_for(request, event)
    open_rides = list(
        sharing.with_counts(Ride.objects.filter(event=event, status=Ride.Status.OPEN)).order_by(
            "departure_at", "pk"
        )
    )
    my_rides: list[Ride] = []
    my_seats: list[RideSeat] = []
    for item in open_rides:
        item.free = sharing.seats_free(item)  # type: ignore[attr-defined]
        if participant is not None and participant.is_author(item):
            item.suggested = sharing.match(item, open_rides)  # type: ignore[attr-defined]
            my_rides.append(item)
    if participant is not None:
        my_seats = list(
            sharing.seats_of(participant, event)
            .filter(status__in=sharing.ACTIVE_SEAT, ride__status=Ride.Status.OPEN)
            .select_related("ride")
        )
    return render(
        request,
        "events/rides/list.html",
        {
            "event": event,
            "participant": participant,
            "offers": [r for r in open_rides if r.kind == Ride.Kind.OFFER],
            "requests": [r for r in open_rides if r.kind == Ride.Kind.REQUEST],
            "my_rides": my_rides,
            "my_seats": my_seats,
            "can_write": sharing.rides_open(event),
            "has_offer": any(r.kind == Ride.Kind.OFFER for r in my_rides),
            "has_request": any(r.kind == Ride.Kind.REQUEST for r in my_rides),
        },
    )


def ride_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Offer a ride (`events:ride_offer`) or ask for one (`events:ride_request`)."""
    event = event_for_visitor(request, slug)
    match = request.resolver_match
    kind = Ride.Kind.REQUEST if match and match.url_name == "ride_request" else Ride.Kind.OFFER
    participant = sharing.participant_for(request, event)
    if request.method == "POST" and participant is None:
        raise PermissionDenied
    can_write = sharing.rides_open(event)
    existing = None
    if participant is not None:
        existing = sharing.rides_of(participant, event).filter(kind=kind, status="open").first()
    form = None
    if participant is not None and can_write and existing is None:
        form = RideForm(request.POST or None, event=event, kind=kind)
        if request.method == "POST" and form.is_valid():
            try:
                ride = sharing.ride_create(
                    event=event, participant=participant, kind=kind, **form.service_arguments()
                )
            except EventError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("Your ride is offered.")
                    if kind == Ride.Kind.OFFER
                    else _("Your request is published."),
                )
                return redirect(_ride_url(ride))
    elif request.method == "POST":
        if existing is not None:
            messages.error(request, _("You already have one: change or cancel it first."))
            return redirect(_ride_url(existing))
        messages.error(request, _("Rides can no longer be offered or asked for this event."))
        return redirect("events:rides", event.slug)
    return render(
        request,
        "events/rides/create.html",
        {
            "event": event,
            "kind": kind,
            "participant": participant,
            "form": form,
            "existing": existing,
            "can_write": can_write,
        },
        status=422 if form is not None and form.is_bound and form.errors else 200,
    )


def ride(request: HttpRequest, pk: int) -> HttpResponse:
    """A ride's page. Its driver sees the requests, the message threads and, once accepted,
    the passengers' contact details; a passenger sees their seat, its thread and, once
    accepted, the driver's; others see what the list shows and can ask or propose."""
    item = _ride(pk, request)
    event = item.event
    if "jeton" in request.GET:
        # the link of a ride e-mail to an e-mail-only registrant: remember who they are,
        # then drop the secret from the address (history, Referer)
        registration = sharing.registration_for_token(event, request.GET.get("jeton", ""))
        if registration is not None:
            sharing.remember_token(request, registration.token)
        else:
            messages.warning(request, _("This link is no longer valid."))
        return redirect(_ride_url(item))
    participant = sharing.participant_for(request, event)
    is_author = participant is not None and participant.is_author(item)
    free = sharing.seats_free(item)
    can_write = sharing.rides_open(event) and item.status == Ride.Status.OPEN
    departed = item.departure_at <= clock.now()
    threads = Prefetch("messages", queryset=RideMessage.objects.order_by("created_at", "pk"))
    seats: list[RideSeat] = []
    my_seats: list[RideSeat] = []
    suggestions: list[Ride] = []
    my_offer = None
    proposed_already = False
    if is_author:
        assert participant is not None
        if item.kind == Ride.Kind.OFFER:
            seats = list(item.passengers.prefetch_related(threads).order_by("created_at", "pk"))
        else:
            seats = list(
                RideSeat.objects.filter(request=item)
                .select_related("ride")
                .prefetch_related(threads)
                .order_by("created_at", "pk")
            )
        if can_write:
            suggestions = sharing.suggestions(item)
    elif participant is not None:
        if item.kind == Ride.Kind.OFFER:
            my_seats = list(
                sharing.seats_of(participant, event)
                .filter(ride=item)
                .prefetch_related(threads)
                .order_by("created_at", "pk")
            )
            for seat in my_seats:
                seat.ride = item
        else:
            my_offer = (
                sharing.rides_of(participant, event)
                .filter(kind=Ride.Kind.OFFER, status=Ride.Status.OPEN)
                .first()
            )
            if my_offer is not None:
                proposed_already = RideSeat.objects.filter(
                    ride=my_offer, request=item, status__in=sharing.ACTIVE_SEAT
                ).exists()
    for seat in seats + my_seats:
        _seat_view(seat, participant, driver=is_author and item.kind == Ride.Kind.OFFER)
    for suggestion in suggestions:
        if item.kind == Ride.Kind.OFFER:
            suggestion.propose_url = reverse(  # type: ignore[attr-defined]
                "events:ride_action", args=[item.pk, f"proposer-{suggestion.pk}"]
            )
            suggestion.propose_form = ProposeForm(  # type: ignore[attr-defined]
                initial={"seats": max(1, min(suggestion.seats, free))},
                auto_id=f"id_p{suggestion.pk}_%s",
            )
    active_seat = next((s for s in my_seats if s.status in sharing.ACTIVE_SEAT), None)
    accepted = any(getattr(s, "contact", False) for s in my_seats)
    return render(
        request,
        "events/rides/detail.html",
        {
            "event": event,
            "ride": item,
            "participant": participant,
            "is_author": is_author,
            "free": free,
            "departed": departed,
            "can_write": can_write and not departed,
            "seats": seats,
            "my_seats": my_seats,
            "active_seat": active_seat,
            "show_driver_contact": accepted,
            "suggestions": suggestions,
            "my_offer": my_offer,
            "proposed_already": proposed_already,
            "request_form": SeatRequestForm(initial={"seats": 1}),
            "propose_form": ProposeForm(initial={"seats": item.seats}),
            "propose_url": reverse("events:ride_action", args=[my_offer.pk, f"proposer-{item.pk}"])
            if my_offer
            else "",
        },
    )


def _seat_view(seat: RideSeat, participant: sharing.Participant | None, *, driver: bool) -> None:
    """What the viewer (the driver, or the passenger) may see and do with a seat."""
    seat.contact = sharing.can_see_contact(seat, participant)  # type: ignore[attr-defined]
    seat.is_open = (  # type: ignore[attr-defined]
        seat.status in sharing.ACTIVE_SEAT and seat.ride.status == Ride.Status.OPEN
    )
    seat.message_form = MessageForm(auto_id=f"id_m{seat.pk}_%s")  # type: ignore[attr-defined]
    status = seat.status
    if driver:
        seat.can_answer = status == RideSeat.Status.REQUESTED  # type: ignore[attr-defined]
        seat.can_cancel = status in (RideSeat.Status.PROPOSED, RideSeat.Status.ACCEPTED)  # type: ignore[attr-defined]
        seat.cancel_label = (  # type: ignore[attr-defined]
            _("Withdraw the proposal")
            if status == RideSeat.Status.PROPOSED
            else _("Remove this passenger")
        )
    else:
        seat.can_answer = status == RideSeat.Status.PROPOSED  # type: ignore[attr-defined]
        seat.can_cancel = status in (RideSeat.Status.REQUESTED, RideSeat.Status.ACCEPTED)  # type: ignore[attr-defined]
        seat.cancel_label = (  # type: ignore[attr-defined]
            _("Withdraw my request")
            if status == RideSeat.Status.REQUESTED
            else _("Give up my seat")
        )


@require_POST
def ride_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """`reserver` (ask for seats), `annuler` (withdraw one's ride), `proposer-<request pk>`
    (the driver proposes seats to someone who asked for a ride)."""
    item = _ride(pk, request)
    participant = _participant(request, item.event)
    try:
        if action == "reserver":
            form = SeatRequestForm(request.POST)
            if not form.is_valid():
                _form_error(request, form)
                return redirect(_ride_url(item))
            seat = sharing.seat_request(
                ride=item, participant=participant, seats=form.cleaned_data["seats"],
                message=form.cleaned_data["message"],
            )  # fmt: skip
            messages.success(request, _("Your request is sent to the driver."))
            return redirect(_ride_url(item, f"seat-{seat.pk}"))
        if action == "annuler":
            sharing.ride_cancel(ride=item, participant=participant)
            messages.success(request, _("Your ride is cancelled."))
            return redirect("events:rides", item.event.slug)
        if action.startswith("proposer-") and action.removeprefix("proposer-").isdigit():
            wanted = get_object_or_404(
                Ride, pk=int(action.removeprefix("proposer-")), event=item.event
            )
            proposal = ProposeForm(request.POST)
            if not proposal.is_valid():
                _form_error(request, proposal)
                return redirect(_ride_url(wanted))
            seat = sharing.seat_propose(
                offer=item, request_ride=wanted, participant=participant,
                seats=proposal.cleaned_data["seats"], message=proposal.cleaned_data["message"],
            )  # fmt: skip
            messages.success(request, _("Your proposal is sent."))
            return redirect(_ride_url(item, f"seat-{seat.pk}"))
    except EventError as error:
        messages.error(request, str(error.message))
        return redirect(_ride_url(item))
    raise Http404


SEAT_ACTIONS = {"accepter", "refuser", "annuler", "message"}


@require_POST
def seat_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """`accepter` / `refuser` (the driver for a requested seat, the passenger for a proposed
    one), `annuler` (either side), `message` (a message in the seat's thread)."""
    if action not in SEAT_ACTIONS:
        raise Http404
    seat = get_object_or_404(RideSeat.objects.select_related("ride__event"), pk=pk)
    if not can_see_event(request.user, seat.ride.event):
        raise Http404
    participant = _participant(request, seat.ride.event)
    if not (participant.is_author(seat.ride) or participant.is_passenger(seat)):
        raise PermissionDenied
    back = redirect(_ride_url(seat.ride, f"seat-{seat.pk}"))
    try:
        if action == "accepter":
            sharing.seat_decide(seat=seat, participant=participant, accept=True)
            messages.success(request, _("Accepted: you can now see each other's contact details."))
        elif action == "refuser":
            sharing.seat_decide(seat=seat, participant=participant, accept=False)
            messages.success(request, _("Declined."))
        elif action == "annuler":
            sharing.seat_cancel(seat=seat, participant=participant)
            messages.success(request, _("Cancelled."))
        else:
            form = MessageForm(request.POST)
            if not form.is_valid():
                _form_error(request, form)
                return back
            sharing.message_send(seat=seat, participant=participant, body=form.cleaned_data["body"])
            messages.success(request, _("Your message is sent."))
    except EventError as error:
        messages.error(request, str(error.message))
    return back
