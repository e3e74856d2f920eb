"""The event pages: lists (all, by tag, of a place, of a network), an event's page and its
programme, and the organisers' forms (create, edit, publish, cancel, sessions).

Thin views: permission helpers fetch, forms read, services act; an `EventError` becomes a
form error or a message. Every list reads a constant number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tiers.accounts.models import User
from tiers.events import clock, jsonld, rides, sections, services
from tiers.events.errors import EventError
from tiers.events.forms import CancelForm, EventForm, FilterForm, SessionForm
from tiers.events.models import (
    Event,
    EventQuerySet,
    Registration,
    Session,
    SessionSignup,
    Tag,
)
from tiers.events.permissions import (
    can_edit_event,
    can_organise_at,
    can_organise_for,
    event_for_organiser,
    event_for_visitor,
)
from tiers.places.models import Network, Place

PAGE_SIZE = 20
NEXT_OCCURRENCES = 5
SESSIONS_ON_EVENT_PAGE = 8

# where an EventError of the services is shown in the forms
EVENT_ERROR_FIELDS = {
    "room_taken": "room",
    "invalid_room": "room",
    "invalid_capacity": "capacity",
}
SESSION_ERROR_FIELDS = {
    "room_taken": "room",
    "invalid_room": "room",
    "invalid_capacity": "capacity",
    "session_outside": "start",
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _form_error(form: Any, exc: EventError, fields: dict[str, str]) -> None:
    name = fields.get(exc.code)
    form.add_error(name if name in form.fields else None, str(exc.message))


# Lists ------------------------------------------------------------------------------------------


def with_seats_left(events: list[Event]) -> list[Event]:
    """Set `seats_left_shown` on events that take registrations with a number of seats
    (None otherwise), with one query for all of them."""
    counted = [e.pk for e in events if e.registration_open and e.capacity]
    taken: dict[int, int] = {}
    if counted:
        rows = (
            Registration.objects.filter(event_id__in=counted, status__in=Registration.HOLDS_SEATS)
            .values("event_id")
            .annotate(seats=Sum("seats"))
            .order_by()
        )
        taken = {row["event_id"]: int(row["seats"] or 0) for row in rows}
    for event in events:
        left = None
        if event.registration_open and event.capacity:
            left = max(0, event.capacity - taken.get(event.pk, 0))
        event.seats_left_shown = left  # type: ignore[attr-defined]
    return events


def _day_start(day: dt.date) -> dt.datetime:
    tz = timezone.get_default_timezone()
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def apply_filters(events: QuerySet[Event], filters: dict[str, Any]) -> QuerySet[Event]:
    if q := filters.get("q"):
        events = events.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    if kind := filters.get("kind"):
        events = events.filter(kind=kind)
    if audience := filters.get("audience"):
        events = events.filter(audience=audience)
    if tag := filters.get("tag"):
        events = events.filter(tags__slug=tag)
    if place := filters.get("place"):
        events = events.filter(place__slug=place)
    if town := filters.get("town"):
        events = events.filter(place__town__iexact=" ".join(town.split()))
    if day := filters.get("date_from"):
        events = events.filter(end__gt=_day_start(day))
    if day := filters.get("date_to"):
        events = events.filter(start__lt=_day_start(day + dt.timedelta(days=1)))
    return events


def _listing(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("place", "network").prefetch_related("tags")


def _render_list(
    request: HttpRequest,
    events: QuerySet[Event],
    *,
    title: str,
    feeds: tuple[str, str, str] | None,
    lead: str = "",
    past: bool = False,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    form = FilterForm(request.GET or None)
    filters = form.values()
    events = apply_filters(events, filters)
    order = ("-start", "-pk") if past else ("start", "pk")
    page = Paginator(_listing(events).order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    items = with_seats_left(list(page.object_list))
    context = {
        "title": title,
        "lead": lead,
        "page": page,
        "events": items,
        "form": form,
        "filters_active": bool(filters),
        "feeds": feeds,
        "past": past,
        **(extra or {}),
    }
    return render(request, "events/list.html", context)


def event_list(request: HttpRequest) -> HttpResponse:
    events = Event.objects.listed().upcoming(clock.now())
    return _render_list(
        request,
        events,
        title=_("Upcoming events"),
        lead=_("Workshops, café-débats, repair cafés, open days… in the tiers-lieux."),
        extra={"festivals": sections.current_festivals()},
        feeds=(
            reverse("events:all_ics"),
            reverse("events:all_rss"),
            reverse("events:all_atom"),
        ),
    )


def tag(request: HttpRequest, tag: str) -> HttpResponse:
    item = get_object_or_404(Tag, slug=tag)
    events = Event.objects.listed().upcoming(clock.now()).filter(tags=item)
    return _render_list(
        request,
        events,
        title=_("Events: %(tag)s") % {"tag": item.name},
        feeds=(
            reverse("events:tag_ics", args=[item.slug]),
            reverse("events:tag_rss", args=[item.slug]),
            reverse("events:tag_atom", args=[item.slug]),
        ),
        extra={"tag": item},
    )


def _wants_past(request: HttpRequest) -> bool:
    return request.GET.get("passe") == "1"


def _upcoming_or_past(
    request: HttpRequest, listed: EventQuerySet, own: EventQuerySet, organiser: bool
) -> tuple[EventQuerySet, bool, list[Event]]:
    """The listed events to come, or past ones (`?passe=1`), and for the organisers their
    drafts to come (`own`: the events they organise)."""
    moment = clock.now()
    past = _wants_past(request)
    events = listed.filter(end__lte=moment) if past else listed.upcoming(moment)
    drafts: list[Event] = []
    if organiser and not past:
        drafts = list(
            own.filter(status=Event.Status.DRAFT).upcoming(moment).order_by("start", "pk")[:50]
        )
    return events, past, drafts


def place_events(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(Place, slug=slug)
    organiser = can_organise_at(request.user, place)
    events, past, drafts = _upcoming_or_past(
        request,
        Event.objects.listed().filter(place=place),
        Event.objects.filter(place=place),
        organiser,
    )
    title = (_("Past events at %(place)s") if past else _("Events at %(place)s")) % {
        "place": place.name
    }
    return _render_list(
        request,
        events,
        title=title,
        past=past,
        feeds=(
            reverse("events:place_ics", args=[place.slug]),
            reverse("events:place_rss", args=[place.slug]),
            reverse("events:place_atom", args=[place.slug]),
        ),
        extra={
            "place": place,
            "drafts": drafts,
            "create_url": reverse("events:create", args=[place.slug]) if organiser else "",
            "past_toggle": True,
            "widget_url": reverse("events:widget", args=[place.slug]),
        },
    )


def network_events(request: HttpRequest, slug: str) -> HttpResponse:
    network = get_object_or_404(Network, slug=slug)
    organiser = can_organise_for(request.user, network)
    events, past, drafts = _upcoming_or_past(
        request,
        Event.objects.listed().of_network(network),
        Event.objects.filter(network=network),
        organiser,
    )
    title = (_("Past events of %(network)s") if past else _("Events of %(network)s")) % {
        "network": network.name
    }
    return _render_list(
        request,
        events,
        title=title,
        past=past,
        lead=_("Events organised by the network and by its places."),
        feeds=(
            reverse("events:network_ics", args=[network.slug]),
            reverse("events:network_rss", args=[network.slug]),
            reverse("events:network_atom", args=[network.slug]),
        ),
        extra={
            "network": network,
            "drafts": drafts,
            "create_url": (
                reverse("events:network_create", args=[network.slug]) if organiser else ""
            ),
            "past_toggle": True,
        },
    )


# An event's page --------------------------------------------------------------------------------


@dataclass
class RegistrationBox:
    """What the event page says about registering."""

    state: str  # none, cancelled, over, not_yet, closed, open, waitlist, full
    seats_left: int | None = None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None


def registration_box(event: Event, moment: dt.datetime) -> RegistrationBox:
    if not event.registration_open:
        return RegistrationBox("none")
    if event.is_cancelled:
        return RegistrationBox("cancelled")
    if moment >= event.end:
        return RegistrationBox("over")
    left = with_seats_left([event])[0].seats_left_shown  # type: ignore[attr-defined]
    box = RegistrationBox(
        "open", seats_left=left, opens_at=event.registration_opens_at, closes_at=event.closes_at
    )
    if event.registration_opens_at and moment < event.registration_opens_at:
        box.state = "not_yet"
    elif moment >= event.closes_at:
        box.state = "closed"
    elif left == 0:
        box.state = "waitlist" if event.waitlist_enabled else "full"
    return box


def own_registration(request: HttpRequest, event: Event) -> Registration | None:
    """The visitor's active registration to the event: through their account, or through
    the secret links of the e-mails they opened in this browser."""
    condition = Q()
    if request.user.is_authenticated:
        condition |= Q(user_id=request.user.pk)
    tokens = request.session.get("event_tokens") if hasattr(request, "session") else None
    if isinstance(tokens, list) and tokens:
        condition |= Q(token__in=[t for t in tokens[:20] if isinstance(t, str)])
    if not condition:
        return None
    return (
        Registration.objects.filter(condition, event=event, status__in=Registration.ACTIVE)
        .order_by("-created_at", "-pk")
        .first()
    )


def _local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_visitor(request, slug)
    moment = clock.now()
    organiser = can_edit_event(request.user, event)
    sessions = list(event.sessions.select_related("room"))
    for session in sessions:
        session.local_start = _local(session.start, event.tz)  # type: ignore[attr-defined]
        session.local_end = _local(session.end, event.tz)  # type: ignore[attr-defined]
    series, occurrences = None, []
    if event.series_id is not None:
        series = event.series
        others = Event.objects.filter(series_id=event.series_id, end__gt=moment).exclude(
            pk=event.pk
        )
        if not organiser:
            others = others.listed()
        occurrences = list(others.order_by("start", "pk")[:NEXT_OCCURRENCES])
    counts: dict[str, dict[str, int]] = {}
    if organiser and event.registration_open:
        rows = (
            Registration.objects.filter(event=event, status__in=Registration.ACTIVE)
            .values("status")
            .annotate(people=Count("pk"), seats=Sum("seats"))
            .order_by()
        )
        counts = {
            row["status"]: {"people": row["people"], "seats": int(row["seats"] or 0)}
            for row in rows
        }
    show_rides = event.rides_enabled and not event.is_cancelled and moment < event.end
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "place": event.place,
            "organiser": organiser,
            "tags": list(event.tags.all()),
            "box": registration_box(event, moment),
            "mine": own_registration(request, event),
            "sessions": sessions[:SESSIONS_ON_EVENT_PAGE],
            "session_count": len(sessions),
            "series": series,
            "occurrences": occurrences,
            "counts": counts,
            "rides": rides.summary(event) if show_rides else None,
            "festival_shown": event.festival_id is not None
            and (event.festival_state == Event.FestivalState.ACCEPTED or organiser),
            "is_past": event.end <= moment,
            "jsonld": jsonld.event_jsonld(event, request),
        },
    )


# Programme --------------------------------------------------------------------------------------

MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
NOON, SIX_PM = dt.time(12), dt.time(18)


def half_day(local: dt.datetime) -> str:
    """morning < 12:00 <= afternoon < 18:00 <= evening, on the event's clock."""
    if local.time() < NOON:
        return MORNING
    if local.time() < SIX_PM:
        return AFTERNOON
    return EVENING


def half_day_label(day: dt.date, part: str) -> str:
    name = date_format(day, "l j F")
    if part == MORNING:
        return _("%(day)s, morning") % {"day": name}
    if part == AFTERNOON:
        return _("%(day)s, afternoon") % {"day": name}
    return _("%(day)s, evening") % {"day": name}


@dataclass
class GridRow:
    day: dt.date
    part: str
    label: str
    cells: list[list[Session]]


@dataclass
class ProgrammeGrid:
    """The sessions by half-day (rows) and by room or track (columns), and by day."""

    column_kind: str  # room, track or none
    columns: list[str]
    rows: list[GridRow] = field(default_factory=list)
    days: list[tuple[dt.date, list[Session]]] = field(default_factory=list)


def programme_grid(sessions: Iterable[Session], tz: ZoneInfo) -> ProgrammeGrid:
    sessions = sorted(sessions, key=lambda s: (s.start, s.track, s.pk or 0))
    if any(s.where for s in sessions):
        column_kind, key = "room", (lambda s: s.where)
    elif any(s.track for s in sessions):
        column_kind, key = "track", (lambda s: s.track)
    else:
        column_kind, key = "none", (lambda s: "")
    names = sorted({key(s) for s in sessions if key(s)}, key=str.casefold)
    if any(not key(s) for s in sessions) or not names:
        names.append("")
    index = {name: i for i, name in enumerate(names)}
    grid = ProgrammeGrid(column_kind=column_kind, columns=names)
    rows: dict[tuple[dt.date, str], GridRow] = {}
    days: dict[dt.date, list[Session]] = {}
    for session in sessions:
        local = session.start.astimezone(tz)
        session.local_start = local  # type: ignore[attr-defined]
        session.local_end = session.end.astimezone(tz)  # type: ignore[attr-defined]
        part = half_day(local)
        row = rows.get((local.date(), part))
        if row is None:
            row = GridRow(
                local.date(), part, half_day_label(local.date(), part), [[] for _ in names]
            )
            rows[(local.date(), part)] = row
            grid.rows.append(row)
        row.cells[index[key(session)]].append(session)
        days.setdefault(local.date(), []).append(session)
    grid.days = list(days.items())
    return grid


def programme(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_visitor(request, slug)
    sessions = list(
        event.sessions.select_related("room").annotate(
            taken=Sum(
                "signups__registration__seats",
                filter=Q(signups__registration__status=Registration.Status.CONFIRMED),
            )
        )
    )
    for session in sessions:
        taken = int(session.taken or 0)
        session.seats_left = (  # type: ignore[attr-defined]
            max(0, session.capacity - taken) if session.capacity else None
        )
    mine = own_registration(request, event)
    signed_up: set[int] = set()
    if mine is not None:
        signed_up = set(
            SessionSignup.objects.filter(registration=mine).values_list("session_id", flat=True)
        )
    view = "list" if request.GET.get("vue") == "liste" else "grid"
    return render(
        request,
        "events/programme.html",
        {
            "event": event,
            "grid": programme_grid(sessions, event.tz),
            "view": view,
            "organiser": can_edit_event(request.user, event),
            "mine": mine,
            "signed_up": signed_up,
            "has_capacities": any(s.capacity for s in sessions),
        },
    )


# Organisers -------------------------------------------------------------------------------------


def _after_create(request: HttpRequest, created: list[Event], skipped: list[Any]) -> None:
    if len(created) == 1:
        messages.success(request, _("The event is created."))
    else:
        messages.success(
            request,
            ngettext("%(count)s date is created.", "%(count)s dates are created.", len(created))
            % {"count": len(created)},
        )
    for start, error in skipped:
        messages.warning(
            request,
            _("%(date)s was skipped: %(reason)s")
            % {
                "date": date_format(timezone.localtime(start, created[0].tz), "l j F Y, H:i"),
                "reason": error.message,
            },
        )


def _create(request: HttpRequest, event: Event, *, place: Place | None) -> HttpResponse:
    user = _user(request)
    form = EventForm(
        request.POST or None, request.FILES or None, instance=event, place=place, creating=True
    )
    conflicts: list[tuple[dt.datetime, EventError]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("repeat"):
                result = services.series_create(
                    event=form.instance, by=user, frequency=data["repeat"],
                    count=data["occurrences"], tags=form.tags,
                    skip_conflicts=data.get("skip_conflicts", False),
                )  # fmt: skip
                if result.created:
                    _after_create(request, result.created, result.skipped)
                    return redirect(result.created[0])
                form.add_error(None, _("No date of the series could be used."))
                conflicts = result.skipped
            else:
                created = services.event_create(event=form.instance, by=user, tags=form.tags)
                _after_create(request, [created], [])
                return redirect(created)
        except services.SeriesError as exc:
            form.add_error(None, str(exc.message))
            conflicts = exc.conflicts
        except EventError as exc:
            _form_error(form, exc, EVENT_ERROR_FIELDS)
    return render(
        request,
        "events/form.html",
        {
            "form": form,
            "event": None,
            "place": place,
            "network": event.network if event.network_id else None,
            "conflicts": conflicts,
            "tz": form.tz,
        },
    )


@login_required
def create_for_place(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(Place, slug=slug)
    if not can_organise_at(request.user, place):
        raise PermissionDenied
    return _create(request, Event(place=place, time_zone=place.time_zone), place=place)


@login_required
def create_for_network(request: HttpRequest, slug: str) -> HttpResponse:
    network = get_object_or_404(Network, slug=slug)
    if not can_organise_for(request.user, network):
        raise PermissionDenied
    return _create(request, Event(network=network), place=None)


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    if event.is_cancelled:
        messages.error(request, _("This event is cancelled; create a new one."))
        return redirect(event)
    user = _user(request)
    in_series = event.series_id is not None
    form = EventForm(
        request.POST or None, request.FILES or None, instance=event, place=event.place,
        creating=False, in_series=in_series,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        scope = form.cleaned_data.get("scope") or EventForm.SCOPE_THIS
        try:
            if scope == EventForm.SCOPE_THIS:
                services.event_update(event=form.instance, by=user, tags=form.tags)
                messages.success(request, _("The event is saved."))
            else:
                changed = services.series_update(
                    event=form.instance, by=user, tags=form.tags,
                    following=scope == EventForm.SCOPE_FOLLOWING,
                )  # fmt: skip
                messages.success(
                    request,
                    ngettext("%(count)s date is saved.", "%(count)s dates are saved.", len(changed))
                    % {"count": len(changed)},
                )
            return redirect(reverse("events:detail", args=[event.slug]))
        except EventError as exc:
            _form_error(form, exc, EVENT_ERROR_FIELDS)
    return render(
        request,
        "events/form.html",
        {
            "form": form,
            "event": Event.objects.get(pk=event.pk) if form.is_bound else event,
            "place": event.place,
            "network": event.network,
            "conflicts": [],
            "tz": form.tz,
        },
    )


@login_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    user = _user(request)
    events = [event]
    if request.POST.get("scope") == "series" and event.series_id is not None:
        events = list(
            Event.objects.filter(series_id=event.series_id, status=Event.Status.DRAFT)
            .select_related("place", "network")
            .order_by("start")
        )
    try:
        for each in events:
            services.event_publish(event=each, by=user)
    except EventError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            ngettext("The event is published.", "%(count)s dates are published.", len(events))
            % {"count": len(events)},
        )
    return redirect(event)


@login_required
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    in_series = event.series_id is not None
    form = CancelForm(request.POST or None, in_series=in_series)
    if event.is_cancelled:
        messages.info(request, _("This event is already cancelled."))
        return redirect(event)
    if request.method == "POST" and form.is_valid():
        user = _user(request)
        reason = form.cleaned_data["reason"]
        try:
            if form.cleaned_data.get("scope") == "following":
                count = services.series_cancel(event=event, by=user, reason=reason)
                messages.success(
                    request,
                    ngettext(
                        "%(count)s date is cancelled.", "%(count)s dates are cancelled.", count
                    )
                    % {"count": count},
                )
            else:
                services.event_cancel(event=event, by=user, reason=reason)
                messages.success(request, _("The event is cancelled; the registrants are told."))
            return redirect(event)
        except EventError as exc:
            form.add_error(None, str(exc.message))
    registrants = Registration.objects.filter(event=event, status__in=Registration.ACTIVE).count()
    return render(
        request,
        "events/cancel.html",
        {"event": event, "form": form, "registrants": registrants},
    )


def _session_form(request: HttpRequest, event: Event, session: Session) -> HttpResponse:
    creating = session.pk is None
    initial = {"start": event.start, "end": event.end} if creating else None
    form = SessionForm(request.POST or None, instance=session, event=event, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_save(session=form.instance, by=_user(request))
        except EventError as exc:
            _form_error(form, exc, SESSION_ERROR_FIELDS)
        else:
            messages.success(
                request, _("The session is added.") if creating else _("The session is saved.")
            )
            return redirect(reverse("events:programme", args=[event.slug]) + "?vue=liste")
    return render(
        request,
        "events/session_form.html",
        {"event": event, "form": form, "session": None if creating else session},
    )


@login_required
def session_create(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    if event.is_cancelled:
        messages.error(request, _("This event is cancelled; create a new one."))
        return redirect(event)
    return _session_form(request, event, Session(event=event))


@login_required
def session_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for_organiser(request, slug)
    session = get_object_or_404(Session.objects.select_related("room"), pk=pk, event=event)
    session.event = event
    return _session_form(request, event, session)


@login_required
@require_POST
def session_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for_organiser(request, slug)
    session = get_object_or_404(Session, pk=pk, event=event)
    session.event = event
    try:
        services.session_delete(session=session, by=_user(request))
    except EventError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The session is deleted."))
    return redirect(reverse("events:programme", args=[event.slug]) + "?vue=liste")
