"""Writes on places, networks and memberships. Each function is one transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.core.errors import DomainError
from tiers.places.models import Membership, Place, PlaceKind


class MembershipError(DomainError):
    code = "membership"


def unique_slug(
    name: str, *, model: type[Place] | None = None, exclude_pk: int | None = None
) -> str:
    model = model or Place
    base = slugify(name)[:70].strip("-") or "lieu"
    slug, n = base, 2
    others = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while others.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def place_set_kinds(*, place: Place, kinds: list[str]) -> None:
    PlaceKind.objects.bulk_create([PlaceKind(code=k) for k in kinds], ignore_conflicts=True)
    if sorted(place.kind_codes()) == sorted(set(kinds)):
        return
    place.kinds.set(PlaceKind.objects.filter(code__in=kinds))
    # the place changed: its `updated_at` says so (open data exports and caches rely on it)
    Place.objects.filter(pk=place.pk).update(updated_at=timezone.now())


@transaction.atomic
def place_create(*, creator: User, place: Place, kinds: list[str]) -> Place:
    """Save a new place; its creator becomes its first manager."""
    if not place.slug:
        place.slug = unique_slug(place.name)
    place.save()
    place_set_kinds(place=place, kinds=kinds)
    Membership.objects.create(
        place=place, user=creator, status=Membership.Status.RESIDENT,
        state=Membership.State.ACTIVE, is_manager=True, started_on=timezone.localdate(),
        is_visible=True, decided_by=creator,
    )  # fmt: skip
    return place


@transaction.atomic
def place_update(*, place: Place, fields: list[str], kinds: list[str] | None = None) -> Place:
    """Save the already validated `fields` of an edited place, and its kinds when given.

    Only these columns are written, so that two people editing different fields at the
    same time do not undo each other's change."""
    place.save(update_fields=[name for name in fields if name != "kinds"])
    if kinds is not None:
        place_set_kinds(place=place, kinds=kinds)
    return place


def membership_current(*, place: Place, user: User) -> Membership | None:
    return (
        Membership.objects.filter(
            place=place, user=user, state__in=[Membership.State.PENDING, Membership.State.ACTIVE]
        )
        .order_by("-requested_at")
        .first()
    )


@transaction.atomic
def membership_request(
    *, place: Place, user: User, status: str, message: str = "", is_visible: bool = False
) -> Membership:
    """A person asks to join a place; its managers decide."""
    if place.status == Place.Status.CLOSED:
        raise MembershipError(_("This place is closed."), code="closed")
    current = membership_current(place=place, user=user)
    if current is not None:
        if current.state == Membership.State.ACTIVE:
            raise MembershipError(
                _("You are already a member of this place."), code="already_member"
            )
        raise MembershipError(_("You have already asked to join this place."), code="already_asked")
    try:
        with transaction.atomic():
            return Membership.objects.create(
                place=place, user=user, status=status, message=message, is_visible=is_visible
            )
    except IntegrityError as exc:  # a second request sent at the same instant
        raise MembershipError(
            _("You have already asked to join this place."), code="already_asked"
        ) from exc


def _transition(membership: Membership, *, from_states: list[str], **changes: object) -> None:
    """A conditional UPDATE: only succeeds if the membership is still in one of `from_states`."""
    updated = Membership.objects.filter(pk=membership.pk, state__in=from_states).update(**changes)
    if updated != 1:
        raise MembershipError(
            _("This membership has changed meanwhile; reload the page."), code="stale"
        )
    for field, value in changes.items():
        setattr(membership, field, value)


@transaction.atomic
def membership_accept(*, membership: Membership, by: User, status: str | None = None) -> Membership:
    _transition(
        membership, from_states=[Membership.State.PENDING],
        state=Membership.State.ACTIVE, status=status or membership.status,
        started_on=timezone.localdate(), decided_by=by,
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_decline(*, membership: Membership, by: User) -> Membership:
    _transition(
        membership, from_states=[Membership.State.PENDING],
        state=Membership.State.DECLINED, decided_by=by,
    )  # fmt: skip
    return membership


def _managers_left(place: Place, without: Membership) -> int:
    return (
        Membership.objects.filter(place=place, state=Membership.State.ACTIVE, is_manager=True)
        .exclude(pk=without.pk)
        .count()
    )


@transaction.atomic
def membership_change(
    *, membership: Membership, by: User, status: str, is_manager: bool, is_concierge: bool
) -> Membership:
    if (
        membership.is_manager
        and not is_manager
        and _managers_left(membership.place, membership) == 0
    ):
        raise MembershipError(_("A place needs at least one manager."), code="last_manager")
    _transition(
        membership, from_states=[Membership.State.ACTIVE],
        status=status, is_manager=is_manager, is_concierge=is_concierge, decided_by=by,
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, by: User) -> Membership:
    """End a membership (a manager ends it, or the person leaves). Kept as history."""
    if membership.is_manager and _managers_left(membership.place, membership) == 0:
        raise MembershipError(_("A place needs at least one manager."), code="last_manager")
    _transition(
        membership, from_states=[Membership.State.ACTIVE, Membership.State.PENDING],
        state=Membership.State.ENDED, ended_on=timezone.localdate(), decided_by=by,
        is_manager=False, is_concierge=False,
    )  # fmt: skip
    return membership
