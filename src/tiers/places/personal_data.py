"""What the places app holds about a person, plugged into the accounts app's registries.

Memberships and coordinated networks go into the personal data export and the profile page;
the last manager of a place cannot erase their account; erasing ends the memberships (kept as
the places' history) and removes the person from the networks they coordinate. Imported by
`PlacesConfig.ready()`, so that accounts never imports places.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tiers.accounts.models import User
from tiers.accounts.services import (
    AccountError,
    personal_data_eraser,
    personal_data_erasure_blocker,
    personal_data_exporter,
    profile_section,
)
from tiers.core.errors import DomainError
from tiers.places.models import Membership, Place
from tiers.places.services import membership_end

# Export ------------------------------------------------------------------------------------------


@personal_data_exporter("memberships")
def export_memberships(user: User) -> list[dict[str, Any]]:
    memberships = Membership.objects.filter(user=user).select_related("place")
    return [
        {
            "place": m.place.name,
            "place_url": settings.SITE_URL + m.place.get_absolute_url(),
            "status": m.status,
            "state": m.state,
            "is_manager": m.is_manager,
            "is_concierge": m.is_concierge,
            "is_visible": m.is_visible,
            "message": m.message,
            "requested_at": m.requested_at,
            "started_on": m.started_on,
            "ended_on": m.ended_on,
        }
        for m in memberships.order_by("requested_at", "pk")
    ]


@personal_data_exporter("networks_coordinated")
def export_networks(user: User) -> list[dict[str, Any]]:
    return [
        {"name": n.name, "url": settings.SITE_URL + n.get_absolute_url()}
        for n in user.coordinated_networks.order_by("name", "pk")
    ]


# Profile page ------------------------------------------------------------------------------------


@profile_section
def profile_places(request: HttpRequest, user: User) -> str:
    """The "My places" section: the person's memberships and the networks they coordinate."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("place")
        .order_by("-requested_at", "-pk")
    )
    context = {"memberships": memberships, "networks": user.coordinated_networks.order_by("name")}
    return render_to_string("places/_profile_places.html", context, request=request)


# Erasure -----------------------------------------------------------------------------------------


def places_where_last_manager(user: User) -> QuerySet[Membership]:
    """The person's active manager memberships of places that have no other active manager."""
    other_managers = Membership.objects.filter(
        place_id=OuterRef("place_id"), state=Membership.State.ACTIVE, is_manager=True
    ).exclude(user=user)
    return (
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE, is_manager=True)
        .filter(~Exists(other_managers))
        .select_related("place")
        .order_by("place__name")
    )


@personal_data_erasure_blocker("last-manager")
def last_manager_blocker(user: User) -> list[str]:
    """The last manager of a place hands it over before erasing their account.

    Locks the places the person manages, in a fixed order, before counting their managers: two
    co-managers erasing at the same instant must not leave a place with no manager. The locks
    hold until the erasure's transaction ends, while the eraser below ends the memberships."""
    managed = Membership.objects.filter(
        user=user, state=Membership.State.ACTIVE, is_manager=True
    ).values("place_id")
    list(Place.objects.select_for_update().filter(pk__in=managed).order_by("pk").values("pk"))
    last = list(places_where_last_manager(user))
    if not last:
        return []
    return [
        _(
            "You are the last manager of %(places)s. Make someone else a manager "
            "before erasing your account."
        )
        % {"places": ", ".join(m.place.name for m in last)}
    ]


@personal_data_eraser
def erase_memberships(user: User) -> None:
    """End the current memberships (kept: the places' history shows "Former member"), clear the
    messages the person wrote with their requests, leave the networks they coordinate."""
    current = (
        Membership.objects.filter(
            user=user, state__in=[Membership.State.PENDING, Membership.State.ACTIVE]
        )
        .select_related("place")
        .order_by("pk")
    )
    for membership in current:
        try:
            membership_end(membership=membership, by=user)
        except DomainError as exc:  # a co-manager left meanwhile
            raise AccountError(exc.message, code=exc.code) from exc
    Membership.objects.filter(user=user).exclude(message="").update(message="")
    user.coordinated_networks.clear()
