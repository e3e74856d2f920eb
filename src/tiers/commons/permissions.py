"""Who may do what in the documentation commons. Views and the API ask these only.

- Everybody reads every page, its history and its discussion (hidden revisions aside).
- The commons is a wiki: anyone signed in with a verified e-mail edits the pages that belong
  to no place nor network, and creates new ones.
- A network's pages: members of the network's places and its coordinators.
- A place's pages: the place's members (any status), its managers and the coordinators of its
  networks.
- Moderators of a page (site staff; a place's managers and its networks' coordinators for a
  place's page; a network's coordinators for its pages; any network coordinator for the
  pages of the whole commons) also protect pages, hide revisions and revert a vandal's edits.
  A protected page is edited by its moderators only.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from tiers.accounts.models import User
from tiers.commons.models import Page
from tiers.places.models import Membership, Network, Place
from tiers.places.permissions import is_coordinator_of_place, is_manager

AnyUser = User | AnonymousUser


def _can_write(user: AnyUser) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.erased_at is None
        and (user.email_verified_at is not None or user.is_superuser)
    )


def _is_staff(user: AnyUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.is_staff))


def is_place_member(user: AnyUser, place: Place) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(place=place, user=user, state=Membership.State.ACTIVE).exists()


def is_network_member(user: AnyUser, network: Network) -> bool:
    if not user.is_authenticated:
        return False
    if network.coordinators.filter(pk=user.pk).exists():
        return True
    return Membership.objects.filter(
        place__networks=network, user=user, state=Membership.State.ACTIVE
    ).exists()


def can_write_in(user: AnyUser, place: Place | None = None, network: Network | None = None) -> bool:
    """May create and edit (unprotected) pages owned by `place`, `network`, or the commons."""
    if not _can_write(user):
        return False
    if _is_staff(user):
        return True
    if place is not None:
        return is_place_member(user, place) or is_coordinator_of_place(user, place)
    if network is not None:
        return is_network_member(user, network)
    return True


def can_moderate(user: AnyUser, page: Page) -> bool:
    if not _can_write(user):
        return False
    if _is_staff(user):
        return True
    if page.place_id is not None:
        place = page.place
        assert place is not None
        return is_manager(user, place) or is_coordinator_of_place(user, place)
    if page.network_id is not None:
        return Network.objects.filter(pk=page.network_id, coordinators=user.pk).exists()
    return Network.objects.filter(coordinators=user.pk).exists()


def can_moderate_commons(user: AnyUser) -> bool:
    """Site-wide moderation (a person's contributions, reverting all of them): staff and
    network coordinators."""
    if not _can_write(user):
        return False
    return _is_staff(user) or Network.objects.filter(coordinators=user.pk).exists()


def can_edit(user: AnyUser, page: Page) -> bool:
    if page.protected:
        return can_moderate(user, page)
    return can_write_in(user, page.place, page.network)


def can_comment(user: AnyUser) -> bool:
    return _can_write(user)


def can_watch(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_record_use(user: AnyUser, place: Place) -> bool:
    """A place says it uses a commons: its managers."""
    return _can_write(user) and (_is_staff(user) or is_manager(user, place))


def can_write_in_a_place(user: AnyUser) -> bool:
    """Whether `user` may create pages in at least one place (one cheap query)."""
    if not _can_write(user):
        return False
    if _is_staff(user):
        return True
    return Membership.objects.filter(user=user.pk, state=Membership.State.ACTIVE).exists()


def places_to_write_in(user: AnyUser) -> list[Place]:
    """The places whose pages `user` may create (to adapt a page into, say)."""
    if not _can_write(user):
        return []
    if _is_staff(user):
        return list(Place.objects.exclude(status=Place.Status.CLOSED).order_by("name"))
    return list(
        Place.objects.filter(
            memberships__user=user.pk, memberships__state=Membership.State.ACTIVE
        ).distinct().order_by("name")
    )  # fmt: skip
