from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiers.core.errors import DomainError
from tiers.places import permissions, sections, services
from tiers.places.forms import (
    JoinForm,
    MembershipChangeForm,
    NetworkForm,
    PhotoForm,
    PlaceForm,
)
from tiers.places.hours import DayHours, next_change, week_table
from tiers.places.jsonld import place_jsonld
from tiers.places.models import Kind, Membership, Network, Place, PlacePhoto
from tiers.places.search import FilterError, apply_filters, ordered_page, parse_filters

PAGE_SIZE = 24


def directory(request: HttpRequest) -> HttpResponse:
    """The home page: the map and the list of places, with the same filters (no JS needed)."""
    error = None
    try:
        filters = parse_filters(request.GET)
    except FilterError as exc:
        error = exc.message
        filters = parse_filters({})
    result = apply_filters(Place.objects.listed(), filters)
    total = len(result.distances) if result.distances else result.places.count()
    paginator = Paginator(range(total), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    base = result.places.prefetch_related("kinds").order_by("name", "pk")
    places = ordered_page(result, base, page.start_index() - 1 if total else 0, PAGE_SIZE)
    return render(
        request,
        "places/directory.html",
        {
            "places": places,
            "page": page,
            "total": total,
            "filters": filters,
            "filter_error": error,
            "town_not_found": result.town_not_found,
            "kinds": Kind.choices,
            "networks": Network.objects.only("name", "slug"),
            "geojson_query": request.GET.urlencode(),
            "home_sections": sections.render_home_sections(request),
        },
    )


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(
        Place.objects.prefetch_related("kinds", "photos", "networks"), slug=slug
    )
    user = request.user
    visible_members = (
        place.memberships.filter(state=Membership.State.ACTIVE, is_visible=True)
        .select_related("user")
        .order_by("user__display_name")
    )
    change = next_change(place.opening_hours, place.tz)
    own = services.membership_current(place=place, user=user) if user.is_authenticated else None
    can_edit = permissions.can_edit_place(user, place)
    can_manage = permissions.can_manage_members(user, place)
    pending = place.memberships.filter(state=Membership.State.PENDING).count() if can_manage else 0
    return render(
        request,
        "places/detail.html",
        {
            "place": place,
            "members": visible_members,
            "own_membership": own,
            "can_edit": can_edit,
            "can_manage": can_manage,
            "pending_count": pending,
            "sections": sections.render_sections(request, place),
            "manager_links": sections.manager_links(request, place),
            "join_form": JoinForm() if own is None else None,
            "week": _week(place),
            "next_change": change,
            "next_change_day": _relative_day(change, place),
            "jsonld": json.dumps(place_jsonld(place, request), ensure_ascii=False).replace(
                "<", "\\u003c"
            ),
        },
    )


def _relative_day(moment: dt.datetime | None, place: Place) -> str:
    """ "today", "tomorrow" or "" for a naive datetime on the place's own clock."""
    if moment is None:
        return ""
    today = timezone.localtime(timezone=place.tz).date()
    return {today: "today", today + dt.timedelta(days=1): "tomorrow"}.get(moment.date(), "")


def _week(place: Place) -> list[DayHours]:
    return week_table(place.opening_hours, place.tz)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_place(request.user):
        messages.error(request, _("Confirm your e-mail address before adding a place."))
        return redirect("places:directory")
    form = PlaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        place = services.place_create(
            creator=request.user,  # type: ignore[arg-type]
            place=form.save(commit=False),
            kinds=form.cleaned_data["kinds"],
        )
        messages.success(request, _("The place has been added. You are its manager."))
        return redirect(place)
    return render(request, "places/form.html", {"form": form, "place": None})


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    place = permissions.place_for_editor(request, slug)
    form = PlaceForm(request.POST or None, instance=place)
    if request.method == "POST" and form.is_valid():
        place = form.save()
        services.place_set_kinds(place=place, kinds=form.cleaned_data["kinds"])
        messages.success(request, _("The place's page has been updated."))
        return redirect(place)
    return render(request, "places/form.html", {"form": form, "place": place})


@login_required
def photos(request: HttpRequest, slug: str) -> HttpResponse:
    place = permissions.place_for_editor(request, slug)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        photo = form.save(commit=False)
        photo.place = place
        photo.position = place.photos.count()
        photo.save()
        messages.success(request, _("The photo has been added."))
        return redirect("places:photos", slug=place.slug)
    return render(request, "places/photos.html", {"place": place, "form": form})


@login_required
@require_POST
def photo_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = permissions.place_for_editor(request, slug)
    photo = get_object_or_404(PlacePhoto, place=place, pk=pk)
    photo.image.delete(save=False)
    photo.delete()
    messages.success(request, _("The photo has been removed."))
    return redirect("places:photos", slug=place.slug)


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(Place, slug=slug)
    form = JoinForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect(place)
    try:
        services.membership_request(
            place=place,
            user=request.user,  # type: ignore[arg-type]
            status=form.cleaned_data["status"],
            message=form.cleaned_data["message"],
            is_visible=form.cleaned_data["is_visible"],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your request has been sent to the place's managers."))
    return redirect(place)


@login_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(Place, slug=slug)
    membership = services.membership_current(place=place, user=request.user)  # type: ignore[arg-type]
    if membership is None:
        messages.error(request, _("You are not a member of this place."))
        return redirect(place)
    try:
        services.membership_end(membership=membership, by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("You have left this place."))
    return redirect(place)


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    place = permissions.place_for_manager(request, slug)
    memberships = place.memberships.select_related("user").order_by("user__display_name")
    return render(
        request,
        "places/members.html",
        {
            "place": place,
            "pending": [m for m in memberships if m.state == Membership.State.PENDING],
            "active": [m for m in memberships if m.state == Membership.State.ACTIVE],
            "past": [
                m
                for m in memberships
                if m.state in (Membership.State.ENDED, Membership.State.DECLINED)
            ],
            "statuses": Membership.Status.choices,
        },
    )


@login_required
@require_POST
def member_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    place = permissions.place_for_manager(request, slug)
    membership = get_object_or_404(Membership, place=place, pk=pk)
    by = request.user
    try:
        if action == "accept":
            status = request.POST.get("status") or membership.status
            if status not in Membership.Status.values:
                raise DomainError(_("Unknown status."))
            services.membership_accept(membership=membership, by=by, status=status)  # type: ignore[arg-type]
            messages.success(request, _("%(name)s is now a member.") % {"name": membership.user})
        elif action == "decline":
            services.membership_decline(membership=membership, by=by)  # type: ignore[arg-type]
            messages.success(request, _("The request has been declined."))
        elif action == "change":
            form = MembershipChangeForm(request.POST)
            if not form.is_valid():
                raise DomainError(
                    _("Check the form: %(errors)s") % {"errors": form.errors.as_text()}
                )
            services.membership_change(membership=membership, by=by, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("The membership has been updated."))
        elif action == "end":
            services.membership_end(membership=membership, by=by)  # type: ignore[arg-type]
            messages.success(request, _("The membership has ended."))
        else:
            raise PermissionDenied
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("places:members", slug=place.slug)


def network_detail(request: HttpRequest, slug: str) -> HttpResponse:
    network = get_object_or_404(
        Network.objects.prefetch_related(
            Prefetch("places", queryset=Place.objects.listed().prefetch_related("kinds")),
            "coordinators",
        ),
        slug=slug,
    )
    return render(
        request,
        "places/network.html",
        {
            "network": network,
            "can_edit": permissions.can_edit_network(request.user, network),
            "geojson_query": f"network={network.slug}",
            "sections": sections.render_network_sections(request, network),
        },
    )


def network_list(request: HttpRequest) -> HttpResponse:
    networks = Network.objects.annotate(
        place_count=Count("places", filter=~Q(places__status=Place.Status.CLOSED))
    )
    return render(request, "places/network_list.html", {"networks": networks})


@login_required
def network_edit(request: HttpRequest, slug: str) -> HttpResponse:
    network = permissions.network_for_coordinator(request, slug)
    form = NetworkForm(request.POST or None, instance=network)
    if request.method == "POST":
        if "add_place" in request.POST:
            place = Place.objects.filter(slug=request.POST.get("add_place", "").strip()).first()
            if place is None:
                messages.error(request, _("No place has this short name."))
            else:
                network.places.add(place)
                messages.success(request, _("%(place)s joined the network.") % {"place": place})
            return redirect("places:network_edit", slug=network.slug)
        if "remove_place" in request.POST:
            network.places.remove(*Place.objects.filter(slug=request.POST["remove_place"]))
            messages.success(request, _("The place has left the network."))
            return redirect("places:network_edit", slug=network.slug)
        if form.is_valid():
            form.save()
            messages.success(request, _("The network has been updated."))
            return redirect(network)
    return render(
        request,
        "places/network_form.html",
        {"network": network, "form": form, "places": network.places.order_by("name")},
    )
