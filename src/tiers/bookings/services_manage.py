"""Writes of the managers' booking pages: resources and their rules, closures,
qualifications and time-credit plans. Forms validate the input; these functions check who
acts, re-check what a form cannot guarantee (another request may have won the race), and
write, each in one transaction.

Bookings themselves (create, cancel, approve, block...) go through `services.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.bookings.models import (
    Closure,
    CreditPlan,
    Qualification,
    QualificationGrant,
    Resource,
)
from tiers.bookings.permissions import can_manage_bookings
from tiers.core.errors import DomainError
from tiers.places.models import Membership, Place


class ManageError(DomainError):
    code = "manage"


# The columns a manager sets on a resource (the form's fields, minus the photo).
RESOURCE_FIELDS = [
    "kind", "name", "slug", "description", "capacity", "location", "visibility",
    "opening_hours", "granularity_minutes", "min_duration_minutes", "max_duration_minutes",
    "max_days_ahead", "min_notice_minutes", "buffer_minutes", "cancellation_deadline_hours",
    "allowed_statuses", "requires_approval", "weekly_hours_limit", "max_simultaneous",
    "required_qualification", "credit_plan",
]  # fmt: skip


def _check_manager(by: User, place: Place) -> None:
    if not can_manage_bookings(by, place):
        raise ManageError(_("Only the place's managers can do this."), code="not_allowed")


def resource_slug(name: str) -> str:
    """The short name of a resource in its address, from its name."""
    return slugify(name)[:80].strip("-") or "ressource"


def _slug_taken(place: Place, slug: str, exclude_pk: int | None = None) -> bool:
    others = Resource.objects.filter(place=place, slug=slug)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def slug_taken_error(slug: str) -> ManageError:
    return ManageError(
        _(
            "Another resource of this place already has the short name “%(slug)s”. "
            "Choose another name or short name."
        )
        % {"slug": slug},
        code="slug_taken",
    )


def _check_same_place(place: Place, data: Mapping[str, Any]) -> None:
    for key in ("required_qualification", "credit_plan"):
        value = data.get(key)
        if value is not None and value.place_id != place.pk:
            raise ManageError(_("This choice belongs to another place."), code="other_place")


def _apply(resource: Resource, data: Mapping[str, Any]) -> list[str]:
    changed = []
    for key in RESOURCE_FIELDS:
        if key in data:
            setattr(resource, key, data[key])
            changed.append(key)
    return changed


def resource_create(*, place: Place, by: User, data: Mapping[str, Any]) -> Resource:
    """A new resource of `place` from a validated form's data; its short name comes from its
    name when none is given."""
    _check_manager(by, place)
    _check_same_place(place, data)
    resource = Resource(place=place)
    _apply(resource, data)
    resource.slug = resource.slug or resource_slug(resource.name)
    try:
        with transaction.atomic():
            if _slug_taken(place, resource.slug):
                raise slug_taken_error(resource.slug)
            resource.save()
    except IntegrityError as exc:
        if "slug" not in str(exc):
            raise
        # another manager took the short name meanwhile
        raise slug_taken_error(resource.slug) from exc
    return resource


def resource_update(*, resource: Resource, by: User, data: Mapping[str, Any]) -> Resource:
    """Change the rules of a resource: only the given columns are written. Bookings already
    taken stay as they are; the new rules apply to the next ones."""
    _check_manager(by, resource.place)
    _check_same_place(resource.place, data)
    changed = _apply(resource, data)
    if "slug" in changed and not resource.slug:
        resource.slug = resource_slug(resource.name)
    try:
        with transaction.atomic():
            if _slug_taken(resource.place, resource.slug, exclude_pk=resource.pk):
                raise slug_taken_error(resource.slug)
            resource.save(update_fields=changed)
    except IntegrityError as exc:
        if "slug" not in str(exc):
            raise
        raise slug_taken_error(resource.slug) from exc
    return resource


def resource_set_active(*, resource: Resource, by: User, is_active: bool) -> Resource:
    """Hide a resource from booking (its bookings and history stay), or bring it back."""
    _check_manager(by, resource.place)
    with transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(is_active=is_active)
    resource.is_active = is_active
    return resource


def resource_set_photo(
    *, resource: Resource, by: User, photo: UploadedFile | None, photo_alt: str
) -> Resource:
    """Replace the photo (None removes it). The old file is removed once the change is
    committed, so a rolled-back change never loses it."""
    _check_manager(by, resource.place)
    old = resource.photo.name if resource.photo else ""
    storage = resource.photo.storage
    with transaction.atomic():
        if photo is None:
            resource.photo = None
            resource.photo_alt = ""
        else:
            resource.photo = photo
            resource.photo_alt = photo_alt
        resource.save(update_fields=["photo", "photo_alt"])
        if old and old != resource.photo.name:
            transaction.on_commit(lambda: storage.delete(old))
    return resource


def closure_create(
    *,
    place: Place,
    by: User,
    resource: Resource | None,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
) -> Closure:
    """Close the whole place (resource None) or one resource for [start, end). Bookings
    already taken in that range are not cancelled: the day's list shows them."""
    _check_manager(by, place)
    if resource is not None and resource.place_id != place.pk:
        raise ManageError(_("This resource belongs to another place."), code="other_place")
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ManageError(_("Give the start and end with their time zone."), code="invalid_range")
    if end <= start:
        raise ManageError(_("The end must be after the start."), code="invalid_range")
    with transaction.atomic():
        return Closure.objects.create(
            place=place, resource=resource, start=start, end=end, reason=reason
        )


def closure_delete(*, closure: Closure, by: User) -> None:
    _check_manager(by, closure.place)
    with transaction.atomic():
        Closure.objects.filter(pk=closure.pk).delete()


def qualification_create(*, place: Place, by: User, name: str) -> Qualification:
    _check_manager(by, place)
    name = name.strip()
    error = ManageError(
        _("This place already has a qualification named “%(name)s”.") % {"name": name},
        code="name_taken",
    )
    try:
        with transaction.atomic():
            if Qualification.objects.filter(place=place, name__iexact=name).exists():
                raise error
            return Qualification.objects.create(place=place, name=name)
    except IntegrityError as exc:
        raise error from exc


def qualification_grant(
    *, qualification: Qualification, user: User, by: User, expires_on: dt.date | None
) -> QualificationGrant:
    """Grant a qualification to an active member of its place, until `expires_on` (None: no
    expiry). Granting it again replaces the earlier grant (a new date, a new granter)."""
    place = qualification.place
    _check_manager(by, place)
    if not Membership.objects.filter(
        place=place, user=user, state=Membership.State.ACTIVE
    ).exists():
        raise ManageError(
            _("Qualifications are granted to active members of the place."), code="not_member"
        )
    with transaction.atomic():
        QualificationGrant.objects.filter(qualification=qualification, user=user).delete()
        return QualificationGrant.objects.create(
            qualification=qualification, user=user, granted_by=by, expires_on=expires_on
        )


def qualification_revoke(*, grant: QualificationGrant, by: User) -> None:
    _check_manager(by, grant.qualification.place)
    with transaction.atomic():
        QualificationGrant.objects.filter(pk=grant.pk).delete()


def _plan_resources(plan: CreditPlan, resources: Iterable[Resource]) -> None:
    """The resources of the plan's place that draw on it are exactly `resources`."""
    wanted = [r.pk for r in resources if r.place_id == plan.place_id]
    Resource.objects.filter(credit_plan=plan).exclude(pk__in=wanted).update(credit_plan=None)
    Resource.objects.filter(place_id=plan.place_id, pk__in=wanted).update(credit_plan=plan)


def _clean_hours(monthly_hours: Mapping[str, int]) -> dict[str, int]:
    statuses = set(Membership.Status.values)
    return {k: int(v) for k, v in monthly_hours.items() if k in statuses and v and int(v) > 0}


def _plan_name_error(name: str) -> ManageError:
    return ManageError(
        _("This place already has time credits named “%(name)s”.") % {"name": name},
        code="name_taken",
    )


def credit_plan_create(
    *,
    place: Place,
    by: User,
    name: str,
    monthly_hours: Mapping[str, int],
    allow_negative: bool,
    resources: Iterable[Resource] = (),
) -> CreditPlan:
    """A new hour allowance of the place; `resources` then draw on it (a resource draws on
    one plan at most: it leaves its former plan)."""
    _check_manager(by, place)
    name = name.strip()
    try:
        with transaction.atomic():
            if CreditPlan.objects.filter(place=place, name__iexact=name).exists():
                raise _plan_name_error(name)
            plan = CreditPlan.objects.create(
                place=place, name=name, monthly_hours=_clean_hours(monthly_hours),
                allow_negative=allow_negative,
            )  # fmt: skip
            _plan_resources(plan, resources)
    except IntegrityError as exc:
        raise _plan_name_error(name) from exc
    return plan


def credit_plan_update(
    *,
    plan: CreditPlan,
    by: User,
    name: str,
    monthly_hours: Mapping[str, int],
    allow_negative: bool,
    resources: Iterable[Resource] = (),
) -> CreditPlan:
    """Change a plan. Allowances already credited for a month stay (the ledger is
    append-only); the new hours count from the next month credited."""
    _check_manager(by, plan.place)
    name = name.strip()
    try:
        with transaction.atomic():
            others = CreditPlan.objects.filter(place_id=plan.place_id, name__iexact=name)
            if others.exclude(pk=plan.pk).exists():
                raise _plan_name_error(name)
            plan.name = name
            plan.monthly_hours = _clean_hours(monthly_hours)
            plan.allow_negative = allow_negative
            plan.save(update_fields=["name", "monthly_hours", "allow_negative"])
            _plan_resources(plan, resources)
    except IntegrityError as exc:
        raise _plan_name_error(name) from exc
    return plan
