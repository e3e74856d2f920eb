"""The festival pages: the list of festivals, a festival's page (its programme by day, region
and town, filters, a map of the places taking part), the coordinators' pages (create, edit,
the queue of submitted events) and the organisers' submission of an event.

The festival page stays fast for very large festivals (thousands of places, tens of
thousands of events): the programme is paginated (`PAGE_SIZE` events a page) and sorted in the
database; the list of participating places (for pages read without JavaScript) is cached
under a key that changes with the programme and, beyond `PLACES_LISTED_UP_TO` places, gives
each region's number of places with a link to its programme, listing the places of the
region filtered only; the map reads the places as GeoJSON from `?format=geojson` of the same
page, built (and cached) only when it is asked for. The number of queries depends neither on
the number of events nor on the number of places.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from tiers.accounts.models import User
from tiers.events import clock, feeds, festivals
from tiers.events.errors import EventError
from tiers.events.forms_festivals import (
    EVERY_DAY,
    DecideForm,
    FestivalForm,
    ProgrammeFilterForm,
    SubmitForm,
)
from tiers.events.models import Event, Festival
from tiers.events.permissions import (
    can_manage_festival,
    event_for_organiser,
    festival_for_coordinator,
)
from tiers.places.models import Network, Place
from tiers.places.permissions import network_for_coordinator
from tiers.places.regions import region_of

PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 50
LIST_PAGE_SIZE = 20
PLACES_CACHE_SECONDS = 600
# a festival with more places lists them region by region (each region's number of places
# links to its programme, where its places are listed)
PLACES_LISTED_UP_TO = 200
# a larger programme opens on one day ("every day" stays a choice)
ALL_DAYS_UP_TO = 1000
FILTER_NAMES = ("day", "kind", "audience", "region", "town")


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _visible_festival(request: HttpRequest, slug: str) -> Festival:
    """A published festival, or an unpublished one for its coordinators (404 for others)."""
    festival = get_object_or_404(Festival.objects.select_related("network"), slug=slug)
    if not festival.is_published and not can_manage_festival(request.user, festival):
        raise Http404
    return festival


# The list -------------------------------------------------------------------------------------


@require_safe
def festival_list(request: HttpRequest) -> HttpResponse:
    today = _today()
    visible = Festival.objects.select_related("network")
    coordinated: list[Network] = []
    if request.user.is_authenticated:
        user = _user(request)
        if user.is_superuser:
            coordinated = list(Network.objects.order_by("name")[:50])
        else:
            coordinated = list(Network.objects.filter(coordinators=user).order_by("name"))
            visible = visible.filter(Q(is_published=True) | Q(network__coordinators=user))
    else:
        visible = visible.filter(is_published=True)
    if not (request.user.is_authenticated and _user(request).is_superuser):
        visible = visible.distinct()
    current = list(visible.filter(start_date__lte=today, end_date__gte=today).order_by("end_date"))
    upcoming = list(visible.filter(start_date__gt=today).order_by("start_date", "pk"))
    past = Paginator(
        visible.filter(end_date__lt=today).order_by("-end_date", "pk"), LIST_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "events/festival/list.html",
        {
            "current": current,
            "upcoming": upcoming,
            "past": past,
            "coordinated": coordinated,
        },
    )


# A festival's page ----------------------------------------------------------------------------


def _stats(festival: Festival) -> dict[str, Any]:
    return festivals.programme(festival).aggregate(
        events=Count("pk"), places=Count("place", distinct=True), last=Max("updated_at")
    )


def _version(festival: Festival, stats: dict[str, Any], *parts: str) -> str:
    """A key that changes with the programme, the language of the page and the `parts`."""
    version = "|".join(
        [
            festival.slug,
            str(stats["events"]),
            str(stats["places"]),
            str(stats["last"]),
            translation.get_language() or "",
            *parts,
        ]
    )
    return hashlib.sha256(version.encode()).hexdigest()


def _places_block(festival: Festival, stats: dict[str, Any], region: str) -> dict[str, Any]:
    """The places with an event in the programme, as an HTML list for pages read without
    JavaScript (the map reads `_geojson`), and the programme's time zones. Up to
    `PLACES_LISTED_UP_TO` places, all are listed by region and town; beyond, each region's
    number of places links to the programme of that region, and only the places of the
    region filtered (`region`, if any) are listed. Built with two queries whatever the number
    of places, and cached until the programme changes."""
    list_all = stats["places"] <= PLACES_LISTED_UP_TO
    selected = "" if list_all else region
    key = f"events:festival-places:{festival.pk}:{_version(festival, stats, selected)}"
    block = cache.get(key)
    if block is not None:
        # rendered (and escaped) by the template below
        return {**block, "html": mark_safe(block["html"])}  # noqa: S308
    groups = festivals.programme_places(festival, listed=None if list_all else selected)
    html = render_to_string(
        "events/festival/_places.html",
        {
            "groups": groups,
            "count": stats["places"],
            "list_all": list_all,
            "selected": selected,
            "selected_count": next((g.count for g in groups if g.region == selected), 0),
            "festival_url": festival.get_absolute_url(),
        },
    )
    block = {
        "count": stats["places"],
        "time_zones": festivals.programme_time_zones(festival),
        "html": html,
    }
    cache.set(key, block, PLACES_CACHE_SECONDS)
    return {**block, "html": mark_safe(html)}  # noqa: S308


def _geojson(festival: Festival, stats: dict[str, Any]) -> bytes:
    """The map's places (those with coordinates), by region, town and name: built only
    when the map asks for it, and cached until the programme changes."""
    key = f"events:festival-geojson:{festival.pk}:{_version(festival, stats)}"
    body = cache.get(key)
    if body is not None:
        return bytes(body)
    rows = (
        Place.objects.filter(
            pk__in=festivals.programme(festival).values("place_id"),
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .order_by()
        .values("name", "slug", "town", "postcode", "latitude", "longitude")
    )
    places = sorted(
        rows,
        key=lambda p: (region_of(p["postcode"]) or "~", p["town"].casefold(), p["name"].casefold()),
    )
    url = reverse("places:detail", args=["__slug__"])  # one `reverse()` for all the places
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p["longitude"], p["latitude"]]},
            "properties": {
                "name": p["name"],
                "url": url.replace("__slug__", p["slug"]),
                "town": p["town"],
            },
        }
        for p in places
    ]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    ).encode()
    cache.set(key, body, PLACES_CACHE_SECONDS)
    return body


def _default_day(festival: Festival, stats: dict[str, Any]) -> dt.date | None:
    """A large programme is shown one day at a time unless "every day" is chosen: today
    during the festival, else its first day."""
    if stats["events"] <= ALL_DAYS_UP_TO:
        return None
    today = _today()
    return today if festival.start_date <= today <= festival.end_date else festival.start_date


@require_safe
def festival(request: HttpRequest, slug: str) -> HttpResponse:
    festival = _visible_festival(request, slug)
    stats = _stats(festival)
    if request.GET.get("format") == "geojson":
        response = HttpResponse(_geojson(festival, stats), content_type="application/geo+json")
        patch_cache_control(response, public=True, max_age=300)
        return response
    form = ProgrammeFilterForm(request.GET or None, festival=festival)
    filters = form.filters()
    places = _places_block(festival, stats, filters.region)
    if filters.day is None and request.GET.get("day") != EVERY_DAY:
        filters.day = _default_day(festival, stats)
    ordered = festivals.programme_page_queryset(festival, filters, places["time_zones"])
    # the page's events are chosen by their ids (a narrow sort), then read in full
    page = Paginator(ordered.values_list("pk", flat=True), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ids = list(page.object_list)
    by_id = {e.pk: e for e in Event.objects.filter(pk__in=ids).select_related("place", "network")}
    shown = [by_id[pk] for pk in ids if pk in by_id]
    for event in shown:
        start, end = event.local_start, event.local_end
        event.hours = f"{start:%H:%M}\u2013{end:%H:%M}"  # type: ignore[attr-defined]
    days = festivals.group_by_day(shown)
    is_coordinator = can_manage_festival(request.user, festival)
    pending = (
        festival.events.filter(festival_state=Event.FestivalState.PENDING).count()
        if is_coordinator
        else 0
    )
    scope = feeds.festival_scope(festival, filters)
    return render(
        request,
        "events/festival/detail.html",
        {
            "festival": festival,
            "stats": stats,
            "places": places,
            "form": form,
            "filters": filters,
            "shown_day": filters.day,
            "shown_day_iso": filters.day.isoformat() if filters.day else "",
            "filtered": any(request.GET.get(name, EVERY_DAY) != EVERY_DAY for name in FILTER_NAMES),
            "every_day": EVERY_DAY,
            "page": page,
            "days": days,
            "is_coordinator": is_coordinator,
            "pending": pending,
            "scope": scope,
            "today": _today(),
        },
    )


# Coordinators -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, slug: str) -> HttpResponse:
    network = network_for_coordinator(request, slug)
    form = FestivalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        festival = form.save(commit=False)
        festival.network = network
        try:
            festivals.festival_save(festival=festival, by=_user(request))
        except EventError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The festival is created."))
            return redirect(festival.get_absolute_url())
    return render(
        request, "events/festival/form.html", {"form": form, "network": network, "festival": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    festival = festival_for_coordinator(request, slug)
    form = FestivalForm(request.POST or None, instance=festival)
    if request.method == "POST" and form.is_valid():
        try:
            festivals.festival_save(festival=form.save(commit=False), by=_user(request))
        except EventError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The festival is saved."))
            return redirect(festival.get_absolute_url())
    return render(
        request,
        "events/festival/form.html",
        {"form": form, "network": festival.network, "festival": festival},
    )


QUEUE_STATES = {
    "attente": Event.FestivalState.PENDING,
    "acceptes": Event.FestivalState.ACCEPTED,
    "refuses": Event.FestivalState.REFUSED,
}


@login_required
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """The events submitted to the festival: accept or refuse them (a decision can be
    changed: an accepted event can be taken out, a refused one accepted)."""
    festival = festival_for_coordinator(request, slug)
    state_key = request.GET.get("etat", "attente")
    if state_key not in QUEUE_STATES:
        state_key = "attente"
    if request.method == "POST":
        decision = DecideForm(request.POST)
        if not decision.is_valid():
            messages.error(request, _("This decision is not understood."))
            return redirect(request.get_full_path())
        event = get_object_or_404(
            Event.objects.select_related("festival__network"),
            pk=decision.cleaned_data["event"],
            festival=festival,
        )
        accept = decision.cleaned_data["decision"] == "accept"
        try:
            festivals.festival_decide(event=event, by=_user(request), accept=accept)
        except EventError as error:
            messages.error(request, str(error.message))
        else:
            text = (
                _("“%(title)s” is in the programme.")
                if accept
                else _("“%(title)s” is not in the programme.")
            )
            messages.success(request, text % {"title": event.title})
        return redirect(request.get_full_path())
    submitted = (
        festival.events.exclude(festival_state=Event.FestivalState.NONE)
        .order_by()
        .values("festival_state")
        .annotate(n=Count("pk"))
    )
    counts = {row["festival_state"]: row["n"] for row in submitted}
    events = (
        festival.events.filter(festival_state=QUEUE_STATES[state_key])
        .select_related("place", "network")
        .order_by("start", "pk")
    )
    page = Paginator(events, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [
        (key, label, counts.get(QUEUE_STATES[key], 0))
        for key, label in (
            ("attente", _("Waiting")),
            ("acceptes", _("Accepted")),
            ("refuses", _("Not accepted")),
        )
    ]
    return render(
        request,
        "events/festival/queue.html",
        {"festival": festival, "page": page, "state": state_key, "tabs": tabs},
    )


# Organisers --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    """An organiser puts their event in one of the open festivals of its networks."""
    event = event_for_organiser(request, slug)
    open_festivals = festivals.open_festivals_for(event, _today())
    form = SubmitForm(request.POST or None, festivals=open_festivals)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["festival"]
        try:
            festivals.festival_submit(event=event, festival=chosen, by=_user(request))
        except EventError as error:
            form.add_error("festival", str(error.message))
        else:
            if event.festival_state == Event.FestivalState.PENDING:
                messages.success(
                    request,
                    _("The event is submitted to %(festival)s: the coordinators will decide.")
                    % {"festival": chosen.name},
                )
            else:
                messages.success(
                    request,
                    _("The event is in the programme of %(festival)s.") % {"festival": chosen.name},
                )
            return redirect(reverse("events:festival_submit", args=[event.slug]))
    return render(
        request,
        "events/festival/submit.html",
        {
            "event": event,
            "form": form,
            "open_festivals": open_festivals,
            "current": event.festival if event.festival_id else None,
        },
    )
