"""Who may do what to a place. Every view and API endpoint asks these, never ad-hoc checks.

- a site admin (superuser) may do anything;
- a place's managers edit it and run its memberships;
- a network's coordinators edit the directory entries of the network's places;
- everybody else only reads.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from tiers.accounts.models import User
from tiers.places.models import Membership, Network, Place

AnyUser = User | AnonymousUser


def is_manager(user: AnyUser, place: Place) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        place=place, user=user, state=Membership.State.ACTIVE, is_manager=True
    ).exists()


def is_coordinator_of_place(user: AnyUser, place: Place) -> bool:
    if not user.is_authenticated:
        return False
    return Network.objects.filter(places=place, coordinators=user).exists()


def can_edit_place(user: AnyUser, place: Place) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return is_manager(user, place) or is_coordinator_of_place(user, place)


def can_manage_members(user: AnyUser, place: Place) -> bool:
    """Memberships are the place's own business: its managers (and site admins) only."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or is_manager(user, place)


def can_edit_network(user: AnyUser, network: Network) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return network.coordinators.filter(pk=user.pk).exists()


def can_create_place(user: AnyUser) -> bool:
    """Any signed-in person with a verified e-mail may add a place (and becomes its manager)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or user.email_verified_at is not None


def place_for_editor(request: HttpRequest, slug: str) -> Place:
    """The place, if the request's user may edit it; 403 otherwise."""
    place = get_object_or_404(Place, slug=slug)
    if not can_edit_place(request.user, place):
        raise PermissionDenied
    return place


def place_for_manager(request: HttpRequest, slug: str) -> Place:
    place = get_object_or_404(Place, slug=slug)
    if not can_manage_members(request.user, place):
        raise PermissionDenied
    return place


def network_for_coordinator(request: HttpRequest, slug: str) -> Network:
    network = get_object_or_404(Network, slug=slug)
    if not can_edit_network(request.user, network):
        raise PermissionDenied
    return network
