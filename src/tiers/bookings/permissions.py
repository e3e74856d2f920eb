"""Who may see and run a place's bookings. Views and API endpoints ask these.

- everybody sees a place's public resources; members (and managers, admins) its
  members-only ones too;
- a place's managers (and site admins) run its bookings: resources, rules, approvals,
  time credits, statistics;
- its concierges also see the day's list and mark who came;
- a booking is seen by its person, the place's managers and site admins.
"""

from __future__ import annotations

from django.db.models import QuerySet

from tiers.bookings.models import Booking, Resource
from tiers.places.models import Membership, Place
from tiers.places.permissions import AnyUser, is_manager


def _active_membership(user: AnyUser, place: Place) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(place=place, user=user, state=Membership.State.ACTIVE).first()


def visible_resources(user: AnyUser, place: Place) -> QuerySet[Resource]:
    resources = Resource.objects.filter(place=place, is_active=True)
    if user.is_authenticated and (user.is_superuser or _active_membership(user, place)):
        return resources
    return resources.filter(visibility=Resource.Visibility.PUBLIC)


def can_see_resource(user: AnyUser, resource: Resource) -> bool:
    if resource.visibility == Resource.Visibility.PUBLIC and resource.is_active:
        return True
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    membership = _active_membership(user, resource.place)
    if membership is None:
        return False
    return resource.is_active or membership.is_manager


def can_manage_bookings(user: AnyUser, place: Place) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser) or is_manager(user, place)


def can_see_day_list(user: AnyUser, place: Place) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    membership = _active_membership(user, place)
    return membership is not None and (membership.is_manager or membership.is_concierge)


def can_see_booking(user: AnyUser, booking: Booking) -> bool:
    if not user.is_authenticated:
        return False
    if booking.user_id == user.pk or user.is_superuser:
        return True
    return is_manager(user, booking.resource.place)
