"""The members' booking pages: a place's resources and which are free, a resource's week or
day, the booking form, "my bookings", a booking and its cancellation, and the private
calendar address. Thin views: permission helpers to fetch, forms to read, services to act."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiers.accounts.models import User
from tiers.bookings import availability, calendar, permissions, presets, services
from tiers.bookings.forms import BookingForm, FeedForm
from tiers.bookings.models import Booking, CalendarFeed, Resource
from tiers.bookings.services import BookingError
from tiers.places.models import Place

PAST_PAGE_SIZE = 20
# Dates further than this from today are not shown (and the calendar library's ends are
# never reached): a clear message instead.
SHOWN_YEARS = 5
EN_DASH = "\u2013"


def _today(place: Place, moment: dt.datetime) -> dt.date:
    return moment.astimezone(place.tz).date()


def _day_param(request: HttpRequest, name: str, today: dt.date) -> dt.date | None:
    """A date from the query string, or None (absent or not understood: with a message)."""
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        messages.warning(request, _("This date is not understood; here is today instead."))
        return None
    if abs((day - today).days) > SHOWN_YEARS * 366:
        messages.warning(
            request,
            _("Only dates within %(years)s years of today are shown; here is today instead.")
            % {"years": SHOWN_YEARS},
        )
        return None
    return day


def _resource(request: HttpRequest, slug: str, resource_slug: str) -> Resource:
    """The place's active resource if the person may see it; 404 otherwise (a members-only
    resource is not revealed to others)."""
    place = get_object_or_404(Place, slug=slug)
    resource = permissions.visible_resources(request.user, place).filter(slug=resource_slug).first()
    if resource is None:
        raise Http404
    resource.place = place
    return resource


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


BOARD_PAGE_SIZE = 40


def place(request: HttpRequest, slug: str) -> HttpResponse:
    """The place's resources and, for one day, which ones are free now, in the morning and
    in the afternoon."""
    place = get_object_or_404(Place, slug=slug)
    moment = services.now()
    today = _today(place, moment)
    day = _day_param(request, "jour", today) or today
    visible = permissions.visible_resources(request.user, place)
    # A large place (hundreds of desks) is shown a kind and a page at a time.
    present = set(visible.order_by().values_list("kind", flat=True).distinct())
    kinds = [(value, label) for value, label in Resource.Kind.choices if value in present]
    kind = request.GET.get("type", "")
    if kind not in {value for value, _label in kinds}:
        kind = ""
    if kind:
        visible = visible.filter(kind=kind)
    page = Paginator(visible.order_by("name", "pk"), BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    resources = list(page.object_list)
    for resource in resources:
        resource.place = place
    rows = calendar.board(resources, day, now=moment, tz=place.tz)
    return render(
        request,
        "bookings/place.html",
        {
            "place": place,
            "rows": rows,
            "kinds": kinds if len(kinds) > 1 else [],
            "kind": kind,
            "page": page,
            "day": day,
            "today": today,
            "is_today": day == today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )


def _presets_for(
    resource: Resource,
    day: dt.date,
    moment: dt.datetime,
    free_busy: availability.FreeBusy | None = None,
) -> list[presets.Preset]:
    """The day's presets a person can still pick: not begun, with the notice the resource
    asks, within how far ahead it can be booked."""
    if day > _today(resource.place, moment) + dt.timedelta(days=resource.max_days_ahead):
        return []
    try:
        found = presets.day_presets(resource, day, free_busy=free_busy, now=moment)
    except (ValueError, OverflowError):
        return []
    earliest = moment + dt.timedelta(minutes=resource.min_notice_minutes)
    return [p for p in found if p.start >= earliest]


def resource(request: HttpRequest, slug: str, resource: str) -> HttpResponse:
    """A resource's week (`?semaine=`, Monday-based) or day (`?jour=`), and the booking form."""
    item = _resource(request, slug, resource)
    tz = item.tz
    moment = services.now()
    today = _today(item.place, moment)
    day = _day_param(request, "jour", today)
    week = _day_param(request, "semaine", today)
    if day is not None:
        days = [day]
        monday = day - dt.timedelta(days=day.weekday())
        step = item.granularity_minutes
        form_day = day
    else:
        reference = week or today
        monday = reference - dt.timedelta(days=reference.weekday())
        days = calendar.week_days(monday)
        step = 60
        form_day = today if monday <= today < monday + dt.timedelta(days=7) else monday
    start = presets.day_bounds(days[0], tz)[0]
    end = presets.day_bounds(days[-1], tz)[1]
    hours_problem = False
    try:
        window = availability.free_busy(item, start, end)
    except ValueError:
        hours_problem = True
        window = availability.FreeBusy(capacity=item.capacity)
    user_id = request.user.pk if request.user.is_authenticated else None
    grid = calendar.grid(
        item, days, window, step_minutes=step, now=moment,
        mine=calendar.my_intervals(item, user_id, start, end),
    )  # fmt: skip
    form = None
    if request.user.is_authenticated:
        day_presets = _presets_for(item, form_day, moment, window if form_day in days else None)
        form = BookingForm(resource=item, presets=day_presets, initial={"day": form_day})
    return render(
        request,
        "bookings/resource.html",
        {
            "place": item.place,
            "resource": item,
            "grid": grid,
            "is_day": day is not None,
            "day": day,
            "monday": monday,
            "sunday": monday + dt.timedelta(days=6),
            "previous_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "previous_day": day - dt.timedelta(days=1) if day else None,
            "next_day": day + dt.timedelta(days=1) if day else None,
            "today": today,
            "form": form,
            "form_day": form_day,
            "hours_problem": hours_problem,
        },
    )


def _initial_from_query(request: HttpRequest, item: Resource) -> dict[str, Any]:
    """The form's fields from `?start=&end=` (ISO 8601; without an offset, the place's
    clock), as links from the week grid give them."""
    initial: dict[str, Any] = {}
    tz = item.tz
    values = []
    for name in ("start", "end"):
        text = request.GET.get(name, "").strip()
        if not text:
            return initial
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            messages.warning(request, _("The proposed times are not understood; give them below."))
            return initial
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        try:
            values.append(moment.astimezone(tz))
        except OverflowError:
            messages.warning(request, _("The proposed times are not understood; give them below."))
            return initial
    start, end = values
    initial.update(day=start.date(), start_time=start.time(), end_time=end.time())
    if end.date() != start.date():
        initial["end_day"] = end.date()
    return initial


def _posted_day(request: HttpRequest, today: dt.date) -> dt.date:
    """The day whose presets a posted form is checked against."""
    parsed = presets.parse_value(request.POST.get("preset", ""))
    if parsed is not None:
        return parsed[0]
    try:
        return dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        return today


@login_required
def book(request: HttpRequest, slug: str, resource: str) -> HttpResponse:
    item = _resource(request, slug, resource)
    user = _user(request)
    moment = services.now()
    today = _today(item.place, moment)
    if request.method == "POST":
        form_day = _posted_day(request, today)
        form = BookingForm(
            request.POST, resource=item, presets=_presets_for(item, form_day, moment)
        )
    else:
        initial = _initial_from_query(request, item)
        form_day = initial.get("day") or today
        if abs((form_day - today).days) > SHOWN_YEARS * 366:
            form_day = today
        initial.setdefault("day", form_day)
        form = BookingForm(
            initial=initial, resource=item, presets=_presets_for(item, form_day, moment)
        )
    conflicts: list[tuple[dt.datetime, dt.datetime, BookingError]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["repeat"] > 1:
                result = services.series_create(
                    resource=item, user=user, start=data["start"], end=data["end"],
                    count=data["repeat"], units=data["units"], note=data["note"],
                    skip_conflicts=not data["all_or_nothing"],
                )  # fmt: skip
                return _series_result(request, item, result)
            booking = services.booking_create(
                resource=item, user=user, start=data["start"], end=data["end"],
                units=data["units"], note=data["note"],
            )  # fmt: skip
        except BookingError as exc:
            form.add_error(None, str(exc.message))
            if isinstance(exc, services.SeriesConflict):
                conflicts = exc.conflicts
        else:
            if booking.status == Booking.Status.PENDING:
                messages.success(
                    request,
                    _("Your request has been sent: a manager of the place must approve it."),
                )
            else:
                messages.success(
                    request,
                    _("Booked: %(resource)s, %(when)s.")
                    % {"resource": item.name, "when": booking_when(booking)},
                )
            return redirect("bookings:detail", pk=booking.pk)
    return render(
        request,
        "bookings/book.html",
        {
            "place": item.place,
            "resource": item,
            "form": form,
            "form_day": form_day,
            "conflicts": conflicts,
        },
    )


def _series_result(
    request: HttpRequest, item: Resource, result: services.SeriesResult
) -> HttpResponse:
    booked = list(result.booked)
    if booked:
        count = len(booked)
        if any(b.status == Booking.Status.PENDING for b in booked):
            text = ngettext(
                "%(count)s week is booked; it waits for a manager's approval.",
                "%(count)s weeks are booked; each waits for a manager's approval.",
                count,
            )
        else:
            text = ngettext("%(count)s week is booked.", "%(count)s weeks are booked.", count)
        messages.success(request, text % {"count": count})
    else:
        messages.error(request, _("Nothing could be booked."))
    return render(
        request,
        "bookings/series_result.html",
        {
            "place": item.place,
            "resource": item,
            "series": result.series,
            "booked": booked,
            "skipped": list(result.skipped),
        },
    )


def _owner_can_cancel(booking: Booking, moment: dt.datetime) -> bool:
    deadline = dt.timedelta(hours=booking.resource.cancellation_deadline_hours)
    return booking.is_active and booking.start >= moment + deadline


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    moment = services.now()
    own = Booking.objects.filter(user=user, kind=Booking.Kind.BOOKING).select_related(
        "resource__place"
    )
    upcoming_filter = Q(status__in=Booking.ACTIVE, end__gt=moment)
    upcoming = list(own.filter(upcoming_filter).order_by("start", "pk"))
    last_of_series: dict[int, dt.datetime] = {}
    for booking in upcoming:
        if booking.series_id is not None:
            last_of_series[booking.series_id] = booking.start
    for booking in upcoming:
        booking.can_cancel = _owner_can_cancel(booking, moment)  # type: ignore[attr-defined]
        booking.has_following = (  # type: ignore[attr-defined]
            booking.series_id is not None and last_of_series[booking.series_id] > booking.start
        )
    past = own.exclude(upcoming_filter).order_by("-start", "-pk")
    page = Paginator(past, PAST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "bookings/mine.html",
        {"upcoming": upcoming, "past_page": page},
    )


def _booking_for(request: HttpRequest, pk: int) -> Booking:
    booking = get_object_or_404(
        Booking.objects.select_related("resource__place", "user", "booked_by", "series"), pk=pk
    )
    if not permissions.can_see_booking(request.user, booking):
        raise Http404
    return booking


def _can_cancel(request: HttpRequest, booking: Booking, moment: dt.datetime) -> bool:
    if not booking.is_active:
        return False
    if permissions.can_manage_bookings(request.user, booking.resource.place):
        return True
    return booking.user_id == request.user.pk and _owner_can_cancel(booking, moment)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking_for(request, pk)
    moment = services.now()
    occurrences = []
    if booking.series_id is not None:
        occurrences = list(
            Booking.objects.filter(series_id=booking.series_id).order_by("start", "pk")
        )
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "place": booking.resource.place,
            "can_cancel": _can_cancel(request, booking, moment),
            "is_owner": booking.user_id == request.user.pk,
            "occurrences": occurrences,
            "has_following": any(o.start > booking.start and o.is_active for o in occurrences),
            "log": booking.log.select_related("actor"),
        },
    )


@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: confirm; POST: cancel this booking (and, for a series, the following ones when
    `following=1`)."""
    booking = _booking_for(request, pk)
    user = _user(request)
    if request.method != "POST":
        moment = services.now()
        occurrences = []
        if booking.series_id is not None:
            occurrences = list(
                Booking.objects.filter(
                    series_id=booking.series_id, start__gt=booking.start,
                    status__in=Booking.ACTIVE,
                ).order_by("start")
            )  # fmt: skip
        return render(
            request,
            "bookings/cancel.html",
            {
                "booking": booking,
                "place": booking.resource.place,
                "can_cancel": _can_cancel(request, booking, moment),
                "following": occurrences,
            },
        )
    following = request.POST.get("following") == "1"
    try:
        if booking.series_id is not None:
            cancelled = services.series_cancel(booking=booking, by=user, following=following)
            count = len(cancelled)
        else:
            services.booking_cancel(booking=booking, by=user)
            count = 1
    except BookingError as exc:
        messages.error(request, str(exc.message))
        return redirect("bookings:detail", pk=booking.pk)
    if count == 1:
        messages.success(request, _("The booking is cancelled."))
    else:
        messages.success(
            request,
            ngettext("%(count)s booking is cancelled.", "%(count)s bookings are cancelled.", count)
            % {"count": count},
        )
    if booking.user_id == user.pk:
        return redirect("bookings:mine")
    return redirect("bookings:detail", pk=booking.pk)


@login_required
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The private iCalendar address of the person's bookings: show, create or reset, revoke."""
    user = _user(request)
    if request.method == "POST":
        form = FeedForm(request.POST)
        if form.is_valid() and form.cleaned_data["action"] == "reset":
            services.calendar_feed_reset(user=user)
            messages.success(
                request,
                _("Your calendar address is ready. Any previous address no longer works."),
            )
        elif form.is_valid():
            services.calendar_feed_revoke(user=user)
            messages.success(request, _("Your calendar address no longer works."))
        return redirect("bookings:calendar")
    feed = CalendarFeed.objects.filter(user=user).first()
    address = None
    if feed is not None:
        address = request.build_absolute_uri(
            reverse("bookings:private_ics", kwargs={"token": feed.token})
        )
    return render(request, "bookings/calendar.html", {"feed": feed, "address": address})


def booking_when(booking: Booking) -> str:
    """ "Monday 23 March 2026, 09:00-13:00" on the place's clock (for messages)."""
    tz = booking.resource.tz
    start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
    return f"{date_format(start.date(), 'l j F Y')}, {start:%H:%M}{EN_DASH}{end:%H:%M}"
