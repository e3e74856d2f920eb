"""Who may do what with events, festivals, registrations and rides.

- a place's events are run by its managers; a network's events by its coordinators;
- a festival is run by its network's coordinators; a place's managers submit their events;
- site admins may do anything;
- a registrant sees their own registration (signed in, or with the secret link of the e-mail);
- the registrants' list is seen by the event's organisers only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from tiers.events.models import Event, Festival, Registration
from tiers.places.models import Network, Place
from tiers.places.permissions import AnyUser, can_edit_network, is_manager


def can_organise_at(user: AnyUser, place: Place) -> bool:
    """May create events for this place."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or is_manager(user, place)


def can_organise_for(user: AnyUser, network: Network) -> bool:
    """May create events organised by this network."""
    return can_edit_network(user, network)


def can_edit_event(user: AnyUser, event: Event) -> bool:
    """Organisers: the network's coordinators for a network's event, the place's managers
    for a place's event."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if event.network_id is not None:
        return can_edit_network(user, event.network)  # type: ignore[arg-type]
    return event.place is not None and is_manager(user, event.place)


def can_see_event(user: AnyUser, event: Event) -> bool:
    """Drafts are seen by their organisers only."""
    return event.status != Event.Status.DRAFT or can_edit_event(user, event)


def can_manage_festival(user: AnyUser, festival: Festival) -> bool:
    return can_edit_network(user, festival.network)


def can_see_registration(user: AnyUser, registration: Registration) -> bool:
    """Its own registrant (signed in), or the event's organisers. E-mail-only registrants
    use the secret link instead."""
    if user.is_authenticated and registration.user_id == user.pk:
        return True
    return can_edit_event(user, registration.event)


def event_for_organiser(request: HttpRequest, slug: str) -> Event:
    """The event, if the request's user organises it; 404 for a draft they cannot see,
    403 for a published one."""
    event = get_object_or_404(Event.objects.select_related("place", "network"), slug=slug)
    if not can_edit_event(request.user, event):
        if not can_see_event(request.user, event):
            raise Http404
        raise PermissionDenied
    return event


def event_for_visitor(request: HttpRequest, slug: str) -> Event:
    event = get_object_or_404(
        Event.objects.select_related("place", "network", "room", "festival"), slug=slug
    )
    if not can_see_event(request.user, event):
        raise Http404
    return event


def festival_for_coordinator(request: HttpRequest, slug: str) -> Festival:
    festival = get_object_or_404(Festival.objects.select_related("network"), slug=slug)
    if not can_manage_festival(request.user, festival):
        raise PermissionDenied
    return festival
