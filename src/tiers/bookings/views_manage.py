"""The managers' booking pages of a place (`lieux/<slug>/gestion/...`): resources and their
rules, closures, qualifications, the day's list with approvals and attendance, booking for
someone, blocking a range, and time credits.

Each view fetches the place with a permission-checking helper (anonymous people are sent to
the log-in page, everybody else who may not gets 403, as the places' members page does),
validates a form, calls a service, and redirects with a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiers.accounts.models import User
from tiers.bookings import credits, services, services_manage
from tiers.bookings.forms_manage import (
    PRESETS,
    PRESETS_BY_KEY,
    BlockForm,
    BookForForm,
    ClosureForm,
    CreditGrantForm,
    CreditPlanForm,
    DayForm,
    DeclineForm,
    GrantForm,
    QualificationForm,
    ResourceForm,
    ResourcePhotoForm,
)
from tiers.bookings.models import (
    Booking,
    Closure,
    CreditPlan,
    Qualification,
    QualificationGrant,
    Resource,
)
from tiers.bookings.permissions import can_manage_bookings, can_see_day_list
from tiers.core.errors import DomainError
from tiers.places.models import Membership, Place

MEMBERS_PER_PAGE = 25


def _place_for_bookings_manager(request: HttpRequest, slug: str) -> Place:
    place = get_object_or_404(Place, slug=slug)
    if not can_manage_bookings(request.user, place):
        raise PermissionDenied
    return place


def _place_for_day_list(request: HttpRequest, slug: str) -> Place:
    place = get_object_or_404(Place, slug=slug)
    if not can_see_day_list(request.user, place):
        raise PermissionDenied
    return place


def _by(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _today(place: Place) -> dt.date:
    return services.now().astimezone(place.tz).date()


def _day_url(place: Place, day: dt.date | None = None) -> str:
    url = reverse("bookings:manage_day", args=[place.slug])
    return f"{url}?jour={day.isoformat()}" if day else url


# ---- resources


@login_required
def resources(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    rows = (
        Resource.objects.filter(place=place)
        .select_related("required_qualification", "credit_plan")
        .order_by("-is_active", "name", "pk")
    )
    return render(
        request,
        "bookings/manage/resources.html",
        {"place": place, "resources": rows, "presets": PRESETS},
    )


@login_required
def resource_create(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    preset = PRESETS_BY_KEY.get(request.GET.get("modele", ""))
    form = ResourceForm(
        request.POST or None, place=place, initial=preset.initial if preset else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            resource = services_manage.resource_create(
                place=place, by=_by(request), data=form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request, _("The resource “%(name)s” has been added.") % {"name": resource.name}
            )
            return redirect("bookings:manage_resources", slug=place.slug)
    return render(
        request,
        "bookings/manage/resource_form.html",
        {"place": place, "form": form, "resource": None, "presets": PRESETS, "preset": preset},
    )


def _resource(place: Place, pk: int) -> Resource:
    return get_object_or_404(Resource.objects.select_related("place"), place=place, pk=pk)


@login_required
def resource_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    resource = _resource(place, pk)
    form = ResourceForm(request.POST or None, place=place, instance=resource)
    if request.method == "POST" and form.is_valid():
        try:
            services_manage.resource_update(
                resource=resource, by=_by(request), data=form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The resource has been updated."))
            return redirect("bookings:manage_resources", slug=place.slug)
    return render(
        request,
        "bookings/manage/resource_form.html",
        {"place": place, "form": form, "resource": resource},
    )


@login_required
def resource_photo(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    resource = _resource(place, pk)
    form = ResourcePhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if "remove" in request.POST:
            services_manage.resource_set_photo(
                resource=resource, by=_by(request), photo=None, photo_alt=""
            )
            messages.success(request, _("The photo has been removed."))
            return redirect("bookings:manage_resource_photo", slug=place.slug, pk=resource.pk)
        if form.is_valid():
            services_manage.resource_set_photo(
                resource=resource, by=_by(request), photo=form.cleaned_data["photo"],
                photo_alt=form.cleaned_data["photo_alt"],
            )  # fmt: skip
            messages.success(request, _("The photo has been saved."))
            return redirect("bookings:manage_resources", slug=place.slug)
    return render(
        request,
        "bookings/manage/resource_photo.html",
        {"place": place, "resource": resource, "form": form},
    )


@login_required
@require_POST
def resource_active(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    resource = _resource(place, pk)
    active = request.POST.get("is_active") == "1"
    services_manage.resource_set_active(resource=resource, by=_by(request), is_active=active)
    if active:
        messages.success(request, _("“%(name)s” can be booked again.") % {"name": resource.name})
    else:
        messages.success(
            request,
            _("“%(name)s” can no longer be booked; its bookings and history are kept.")
            % {"name": resource.name},
        )
    return redirect("bookings:manage_resources", slug=place.slug)


# ---- closures


@login_required
def closures(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    form = ClosureForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_manage.closure_create(
                place=place, by=_by(request), resource=data["resource"], start=data["start"],
                end=data["end"], reason=data["reason"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The closure has been added."))
            return redirect("bookings:manage_closures", slug=place.slug)
    today_start = dt.datetime.combine(_today(place), dt.time(), tzinfo=place.tz)
    rows = Closure.objects.filter(place=place).select_related("resource").order_by("start", "pk")
    return render(
        request,
        "bookings/manage/closures.html",
        {
            "place": place,
            "form": form,
            "upcoming": rows.filter(end__gt=today_start),
            "past": rows.filter(end__lte=today_start).order_by("-start")[:20],
        },
    )


@login_required
@require_POST
def closure_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    closure = get_object_or_404(Closure.objects.select_related("place"), place=place, pk=pk)
    services_manage.closure_delete(closure=closure, by=_by(request))
    messages.success(request, _("The closure has been removed."))
    return redirect("bookings:manage_closures", slug=place.slug)


# ---- qualifications


@login_required
def qualifications(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    form = QualificationForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        try:
            qualification = services_manage.qualification_create(
                place=place, by=_by(request), name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            form.add_error("name", str(exc.message))
        else:
            messages.success(
                request, _("The qualification has been added. Now grant it to members.")
            )
            return redirect("bookings:manage_qualification", slug=place.slug, pk=qualification.pk)
    rows = Qualification.objects.filter(place=place).prefetch_related(
        Prefetch(
            "grants",
            queryset=QualificationGrant.objects.select_related("user").order_by(
                "user__display_name"
            ),
        ),
        Prefetch("resources", queryset=Resource.objects.order_by("name")),
    )
    return render(
        request,
        "bookings/manage/qualifications.html",
        {"place": place, "form": form, "qualifications": rows, "today": _today(place)},
    )


@login_required
def qualification_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    qualification = get_object_or_404(
        Qualification.objects.select_related("place"), place=place, pk=pk
    )
    today = _today(place)
    form = GrantForm(request.POST or None, place=place, today=today)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["user"]
        try:
            services_manage.qualification_grant(
                qualification=qualification, user=person, by=_by(request),
                expires_on=form.cleaned_data["expires_on"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("%(name)s now holds “%(qualification)s”.")
                % {"name": person.display_name, "qualification": qualification.name},
            )
            return redirect("bookings:manage_qualification", slug=place.slug, pk=qualification.pk)
    grants = qualification.grants.select_related("user", "granted_by").order_by(
        "user__display_name", "pk"
    )
    return render(
        request,
        "bookings/manage/qualification.html",
        {
            "place": place,
            "qualification": qualification,
            "grants": grants,
            "resources": qualification.resources.order_by("name"),
            "form": form,
            "today": today,
        },
    )


@login_required
@require_POST
def qualification_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    grant = get_object_or_404(
        QualificationGrant.objects.select_related("qualification__place", "user"),
        qualification__place=place,
        pk=pk,
    )
    services_manage.qualification_revoke(grant=grant, by=_by(request))
    messages.success(
        request,
        _("%(name)s no longer holds “%(qualification)s”.")
        % {"name": grant.user.display_name, "qualification": grant.qualification.name},
    )
    return redirect("bookings:manage_qualification", slug=place.slug, pk=grant.qualification_id)


# ---- the day's list


@login_required
def day(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_day_list(request, slug)
    manager = can_manage_bookings(request.user, place)
    tz = place.tz
    today = _today(place)
    chosen = today
    if "jour" in request.GET:
        day_form = DayForm(request.GET)
        if day_form.is_valid():
            chosen = day_form.cleaned_data["jour"]
        else:
            messages.error(
                request,
                _("This day could not be read; here is today. %(errors)s")
                % {"errors": " ".join(str(e) for e in day_form.errors.get("jour") or [])},
            )
            day_form = DayForm(initial={"jour": today})
    else:
        day_form = DayForm(initial={"jour": today})
    start = dt.datetime.combine(chosen, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(chosen + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    show_all = request.GET.get("tous") == "1"
    rows = Booking.objects.overlapping(start, end).filter(resource__place=place)
    if not show_all:
        rows = rows.filter(status__in=Booking.ACTIVE)
    bookings = list(
        rows.select_related("resource", "user", "booked_by").order_by(
            "resource__name", "resource_id", "start", "pk"
        )
    )
    for booking in bookings:  # shown with their date when they spill over the day
        booking.starts_before = booking.start < start  # type: ignore[attr-defined]
        booking.ends_after = booking.end > end  # type: ignore[attr-defined]
    pending: list[Booking] = []
    if manager:
        pending = list(
            Booking.objects.filter(
                resource__place=place,
                status=Booking.Status.PENDING,
                start__gte=dt.datetime.combine(today, dt.time(), tzinfo=tz),
            )
            .select_related("resource", "user")
            .order_by("start", "pk")[:200]
        )
    return render(
        request,
        "bookings/manage/day.html",
        {
            "place": place,
            "day": chosen,
            "today": today,
            "previous_day": chosen - dt.timedelta(days=1),
            "next_day": chosen + dt.timedelta(days=1),
            "day_form": day_form,
            "bookings": bookings,
            "pending": pending,
            "manager": manager,
            "concierge_only": not manager,
            "now": services.now(),
            "show_all": show_all,
            "decline_form": DeclineForm(),
        },
    )


# action (in the address) -> (who may, what it does)
ATTENDANCE = {
    "present": Booking.Attendance.PRESENT,
    "absent": Booking.Attendance.NO_SHOW,
    "effacer-presence": Booking.Attendance.UNKNOWN,
}
MANAGER_ACTIONS = {"approuver", "refuser", "annuler"}


@login_required
@require_POST
def booking_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    """The buttons of the day's list: approve, decline, cancel (managers), mark who came
    (managers and concierges)."""
    if action in ATTENDANCE:
        place = _place_for_day_list(request, slug)
    elif action in MANAGER_ACTIONS:
        place = _place_for_bookings_manager(request, slug)
    else:
        raise PermissionDenied
    booking = get_object_or_404(
        Booking.objects.select_related("resource__place", "user"), resource__place=place, pk=pk
    )
    by = _by(request)
    name = booking.user.display_name
    try:
        if action in ATTENDANCE:
            services.booking_set_attendance(booking=booking, by=by, attendance=ATTENDANCE[action])
            messages.success(request, _("Attendance of %(name)s noted.") % {"name": name})
        elif action == "approuver":
            services.booking_approve(booking=booking, by=by)
            messages.success(request, _("The booking of %(name)s is approved.") % {"name": name})
        elif action == "refuser":
            form = DeclineForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            if not form.is_valid():
                raise DomainError(_("The reason is too long (500 characters at most)."))
            services.booking_decline(booking=booking, by=by, reason=reason)
            messages.success(request, _("The booking of %(name)s is declined.") % {"name": name})
        else:
            services.booking_cancel(booking=booking, by=by)
            messages.success(request, _("The booking of %(name)s is cancelled.") % {"name": name})
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(_day_url(place, booking.start.astimezone(place.tz).date()))


@login_required
def book_for(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    form = BookForForm(
        request.POST or None, place=place, initial={"day": _today(place), "units": 1}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.booking_create(
                resource=data["resource"], user=data["user"], start=data["start"],
                end=data["end"], units=data["units"], by=_by(request), note=data["note"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("“%(resource)s” is booked for %(name)s.")
                % {"resource": booking.resource.name, "name": booking.user.display_name},
            )
            return redirect(_day_url(place, data["day"]))
    return render(request, "bookings/manage/book_for.html", {"place": place, "form": form})


@login_required
def block(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    form = BlockForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.block_create(
                resource=data["resource"], by=_by(request), start=data["start"],
                end=data["end"], reason=data["reason"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The time range is blocked."))
            return redirect(_day_url(place, data["start_date"]))
    return render(request, "bookings/manage/block.html", {"place": place, "form": form})


# ---- time credits


@login_required
def credit_plans(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    plans = CreditPlan.objects.filter(place=place).prefetch_related(
        Prefetch("resources", queryset=Resource.objects.order_by("name"))
    )
    return render(
        request,
        "bookings/manage/credit_plans.html",
        {"place": place, "plans": plans, "statuses": Membership.Status.choices},
    )


def _plan(place: Place, pk: int) -> CreditPlan:
    return get_object_or_404(CreditPlan.objects.select_related("place"), place=place, pk=pk)


@login_required
def credit_plan_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _credit_plan_form(request, _place_for_bookings_manager(request, slug), None)


@login_required
def credit_plan_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    return _credit_plan_form(request, place, _plan(place, pk))


def _credit_plan_form(request: HttpRequest, place: Place, plan: CreditPlan | None) -> HttpResponse:
    """Add time credits (`plan` None) or change them."""
    form = CreditPlanForm(request.POST or None, place=place, plan=plan)
    if request.method == "POST" and form.is_valid():
        fields = {
            "by": _by(request),
            "name": form.cleaned_data["name"],
            "monthly_hours": form.monthly_hours(),
            "allow_negative": form.cleaned_data["allow_negative"],
            "resources": form.cleaned_data["resources"],
        }
        try:
            if plan is None:
                plan = services_manage.credit_plan_create(place=place, **fields)
                done = _("The time credits have been added.")
            else:
                services_manage.credit_plan_update(plan=plan, **fields)
                done = _("The time credits have been updated.")
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, done)
            return redirect("bookings:manage_credit_plan", slug=place.slug, pk=plan.pk)
    return render(
        request,
        "bookings/manage/credit_plan_form.html",
        {"place": place, "form": form, "plan": plan},
    )


def _hours(minutes: int) -> str:
    """Minutes as hours, e.g. 90 -> "1.5"."""
    return f"{minutes / 60:g}"


@login_required
def credit_plan_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A plan: its resources, each member's balance this month (a page at a time), and the
    form to grant hours."""
    place = _place_for_bookings_manager(request, slug)
    plan = _plan(place, pk)
    form = CreditGrantForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["user"]
        try:
            credits.credit_grant(
                plan=plan, user=person, minutes=form.minutes(), by=_by(request),
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("%(hours)s h recorded for %(name)s.")
                % {"hours": _hours(form.minutes()), "name": person.display_name},
            )
            return redirect("bookings:manage_credit_plan", slug=place.slug, pk=plan.pk)
    month = _today(place).replace(day=1)
    memberships = (
        Membership.objects.filter(place=place, state=Membership.State.ACTIVE)
        .select_related("user")
        .order_by("user__display_name", "pk")
    )
    page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    rows: list[dict[str, Any]] = []
    for membership in page:
        balance = credits.credit_balance(plan=plan, user=membership.user, month=month)
        rows.append(
            {
                "membership": membership,
                "allowance": _hours(balance.allowance_minutes),
                "allowance_left": _hours(balance.allowance_left),
                "granted_left": _hours(balance.granted_left),
                "total_left": _hours(balance.total_left),
                "negative": balance.total_left < 0,
            }
        )
    return render(
        request,
        "bookings/manage/credit_plan.html",
        {
            "place": place,
            "plan": plan,
            "resources": plan.resources.order_by("name"),
            "month": month,
            "rows": rows,
            "page": page,
            "form": form,
            "hours": [
                (label, plan.hours_for(status)) for status, label in Membership.Status.choices
            ],
        },
    )


@login_required
def credit_ledger(request: HttpRequest, slug: str, pk: int, user_id: int) -> HttpResponse:
    place = _place_for_bookings_manager(request, slug)
    plan = _plan(place, pk)
    person = get_object_or_404(
        User.objects.filter(Q(memberships__place=place) | Q(credit_entries__plan=plan)).distinct(),
        pk=user_id,
    )
    entries = list(credits.ledger(plan=plan, user=person))
    balance = credits.credit_balance(plan=plan, user=person, month=_today(place).replace(day=1))
    return render(
        request,
        "bookings/manage/credit_ledger.html",
        {
            "place": place,
            "plan": plan,
            "person": person,
            "entries": [(entry, _hours(entry.minutes)) for entry in entries],
            "total_left": _hours(balance.total_left),
            "negative": balance.total_left < 0,
        },
    )
