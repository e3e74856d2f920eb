"""Memberships: ask to join a place, leave it; its managers accept, decline, change, end."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from tiers.api.auth import caller, token_or_session
from tiers.api.problems import form_errors, validation_problem
from tiers.api.schemas import (
    WRITE_ERRORS,
    MembershipAction,
    MembershipFilterParams,
    MembershipOut,
    MembershipPage,
    MembershipRequest,
    PageParams,
    page_bounds,
    page_links,
)
from tiers.places.forms import JoinForm
from tiers.places.models import Membership, Place
from tiers.places.permissions import can_manage_members, place_for_manager
from tiers.places.services import (
    MembershipError,
    membership_accept,
    membership_change,
    membership_decline,
    membership_end,
    membership_request,
)

router = Router(tags=["memberships"])


def membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "place": membership.place.slug,
        "user": {
            "id": membership.user.pk,
            "display_name": membership.user.display_name,
            "email": membership.user.email,
        },
        "status": membership.status,
        "state": membership.state,
        "is_manager": membership.is_manager,
        "is_concierge": membership.is_concierge,
        "is_visible": membership.is_visible,
        "message": membership.message,
        "requested_at": timezone.localtime(membership.requested_at),
        "started_on": membership.started_on,
        "ended_on": membership.ended_on,
    }


def _membership(pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("place", "user"), pk=pk)


def _pending(membership: Membership) -> None:
    if membership.state != Membership.State.PENDING:
        raise MembershipError(
            _("Only a pending request can be accepted or declined."), code="not_pending"
        )


def _active(membership: Membership) -> None:
    if membership.state != Membership.State.ACTIVE:
        raise MembershipError(_("Only an active membership can be changed."), code="not_active")


def _current(membership: Membership) -> None:
    if not membership.is_current:
        raise MembershipError(_("This membership has already ended."), code="already_ended")


@router.get(
    "/places/{slug}/memberships",
    response={200: MembershipPage, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="place_memberships",
    summary="Memberships of a place (its managers only)",
    description="Newest requests first. Paginated like the list of places.",
)
def list_memberships(
    request: HttpRequest,
    slug: str,
    filters: Query[MembershipFilterParams],
    paging: Query[PageParams],
) -> Any:
    caller(request)
    place = place_for_manager(request, slug)
    offset, limit = page_bounds(paging)
    qs = Membership.objects.filter(place=place).select_related("place", "user")
    if filters.state:
        qs = qs.filter(state=filters.state)
    count = qs.count()
    rows = qs.order_by("-requested_at", "-pk")[offset : offset + limit] if offset < count else []
    return {
        "count": count,
        **page_links(request, offset=offset, limit=limit, count=count),
        "results": [membership_out(m) for m in rows],
    }


@router.post(
    "/places/{slug}/memberships",
    response={201: MembershipOut, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="place_membership_request",
    summary="Ask to join a place",
    description=(
        "The caller asks to become a member; the place's managers accept or decline. "
        "409 `already_member`, `already_asked` or `closed` when it cannot be asked."
    ),
)
def request_membership(
    request: HttpRequest, slug: str, payload: MembershipRequest, response: HttpResponse
) -> Any:
    user = caller(request)
    place = get_object_or_404(Place, slug=slug)
    form = JoinForm(data=payload.model_dump(mode="json"))
    if not form.is_valid():
        return validation_problem(form_errors(form.errors))
    membership = membership_request(place=place, user=user, **form.cleaned_data)
    response["Location"] = request.build_absolute_uri(f"{request.path}/{membership.pk}")
    return Status(201, membership_out(membership))


@router.patch(
    "/memberships/{int:membership_id}",
    response={200: MembershipOut, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="membership_update",
    summary="Accept, decline, change or end a membership (the place's managers)",
    description=(
        "`accept` (optionally with `status`) or `decline` a pending request; `change` the "
        "`status`, `is_manager`, `is_concierge` of an active member (omitted ones are "
        "kept); `end` a membership. 409 `last_manager` when the place would be left "
        "without a manager."
    ),
)
def update_membership(request: HttpRequest, membership_id: int, payload: MembershipAction) -> Any:
    user = caller(request)
    membership = _membership(membership_id)
    if not can_manage_members(user, membership.place):
        raise PermissionDenied(_("Only the place's managers run its memberships."))
    action = payload.action
    given = payload.model_dump(exclude_unset=True, exclude={"action"})
    allowed = {"accept": {"status"}, "change": {"status", "is_manager", "is_concierge"}}
    extra = sorted(set(given) - allowed.get(action, set()))
    if extra:
        message = _("Not used with the action “%(action)s”.") % {"action": action}
        return validation_problem([{"field": name, "message": message} for name in extra])
    if action == "accept":
        _pending(membership)
        membership_accept(membership=membership, by=user, status=payload.status)
    elif action == "decline":
        _pending(membership)
        membership_decline(membership=membership, by=user)
    elif action == "change":
        _active(membership)
        membership_change(
            membership=membership,
            by=user,
            status=payload.status or membership.status,
            is_manager=membership.is_manager if payload.is_manager is None else payload.is_manager,
            is_concierge=(
                membership.is_concierge if payload.is_concierge is None else payload.is_concierge
            ),
        )
    else:
        _current(membership)
        membership_end(membership=membership, by=user)
    return membership_out(_membership(membership.pk))


@router.delete(
    "/memberships/{int:membership_id}",
    response={204: None, **WRITE_ERRORS},
    auth=token_or_session(),
    url_name="membership_end",
    summary="Leave a place, withdraw a request, or end a membership",
    description=(
        "The member themself, or the place's managers. The membership is kept as history "
        "(state `ended`)."
    ),
)
def end_membership(request: HttpRequest, membership_id: int) -> Any:
    user = caller(request)
    membership = _membership(membership_id)
    if membership.user_id != user.pk and not can_manage_members(user, membership.place):
        raise PermissionDenied(_("Only the member and the place's managers may end it."))
    _current(membership)
    membership_end(membership=membership, by=user)
    return Status(204, None)
