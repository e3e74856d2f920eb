"""Registration pages: the form (with an account or only an e-mail), the registration's own
page reached from the e-mail's secret link, "my registrations", and the organisers' tools
(attendee list with check-in, CSV, print sheet, add someone, write to everyone).

The secret link (`/inscription/<token>/`) is the registrant's key: opening it never changes
anything (mail scanners open links), every change is a POST button on that page. Unknown
tokens are 404, and the page shows only that registration.
"""

from __future__ import annotations

import csv
import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tiers.accounts.models import User
from tiers.core.ratelimit import RateLimit, client_ip
from tiers.events import clock, notifications, registrations
from tiers.events.errors import EventError
from tiers.events.forms_registrations import AttendeeAddForm, MessageForm, RegistrationForm
from tiers.events.models import Event, Registration, Session, SessionSignup
from tiers.events.permissions import event_for_organiser, event_for_visitor

# tokens of the registrations opened in this browser, for the rides pages (most recent first)
SESSION_TOKENS = "event_tokens"
MAX_SESSION_TOKENS = 20
# e-mail of the last e-mail-only registration, for the "check your e-mail" page
SESSION_PENDING = "event_pending_email"

FIELD_OF_ERROR = {
    "invalid": "name",
    "invalid_email": "email",
    "duplicate": "email",
    "invalid_seats": "seats",
}


def registration_limits() -> tuple[RateLimit, RateLimit]:
    """Registrations without an account, per client address: attempts (to stop floods of
    fake addresses) and e-mails sent again to one registration."""
    return (
        RateLimit(
            "event-register-ip",
            limit=settings.EVENT_REGISTRATION_RATE_LIMIT,
            window=settings.EVENT_REGISTRATION_RATE_WINDOW,
        ),
        RateLimit("event-link-resend", limit=2, window=3600),
    )


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _language(request: HttpRequest, user: User | None) -> str:
    if user is not None and user.language:
        return user.language
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language if language in User.Language.values else settings.LANGUAGE_CODE


def remember_token(request: HttpRequest, token: str) -> None:
    tokens = [t for t in request.session.get(SESSION_TOKENS, []) if t != token]
    request.session[SESSION_TOKENS] = [token, *tokens][:MAX_SESSION_TOKENS]


def _private(response: HttpResponse) -> HttpResponse:
    """A page behind a secret link: not cached by proxies, not indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# Registering -------------------------------------------------------------------------------------


def _active_registration(event: Event, user: User | None) -> Registration | None:
    if user is None:
        return None
    return (
        Registration.objects.filter(event=event, status__in=Registration.ACTIVE)
        .filter(Q(user=user) | Q(email=user.email.lower()))
        .first()
    )


def register(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_visitor(request, slug)
    user = _user(request)
    if request.method == "GET" and request.GET.get("envoye"):
        email = request.session.get(SESSION_PENDING, "")
        return _private(
            render(
                request, "events/registration/check_email.html", {"event": event, "email": email}
            )
        )
    existing = _active_registration(event, user)
    refusal = registrations.refusal(event)
    left = registrations.seats_left(event)
    context: dict[str, Any] = {
        "event": event,
        "existing": existing,
        "refusal": refusal,
        "seats_left": left,
        "full": left is not None and left <= 0,
        "rate_limited": "",
    }
    if request.method != "POST" and (existing is not None or refusal is not None):
        # a POST goes on to the service, whose refusal shows as the form's error
        context["form"] = None
        return render(request, "events/registration/register.html", context)
    form = RegistrationForm(request.POST or None, event=event, user=user)
    context["form"] = form
    if request.method != "POST":
        return render(request, "events/registration/register.html", context)
    if user is None:
        attempt = registration_limits()[0].hit(client_ip(request))
        if not attempt.allowed:
            minutes = max(1, math.ceil(attempt.retry_after / 60))
            context["rate_limited"] = ngettext(
                "Too many registrations from your connection. Please try again in %(minutes)d "
                "minute, or sign in to your account.",
                "Too many registrations from your connection. Please try again in %(minutes)d "
                "minutes, or sign in to your account.",
                minutes,
            ) % {"minutes": minutes}
            response = render(request, "events/registration/register.html", context, status=429)
            response["Retry-After"] = str(attempt.retry_after)
            return response
    if not form.is_valid():
        return render(request, "events/registration/register.html", context)
    data = form.cleaned_data
    email = user.email if user is not None else data["email"]
    try:
        registration = registrations.register(
            event=event,
            name=data["name"],
            email=email,
            seats=data["seats"],
            answers=form.answers(),
            user=user,
            language=_language(request, user),
        )
    except EventError as exc:
        field = FIELD_OF_ERROR.get(exc.code)
        if exc.code == "invalid_answers":
            field = next(
                (
                    key
                    for key, label in form.question_fields
                    if label in str(exc.message) and form.fields[key].required
                ),
                None,
            )
        form.add_error(field, str(exc.message))
        if exc.code == "duplicate":
            _resend_link(request, event, email)
        return render(request, "events/registration/register.html", context)
    if registration.status == Registration.Status.UNCONFIRMED:
        request.session[SESSION_PENDING] = registration.email
        return redirect(reverse("events:register", args=[event.slug]) + "?envoye=1")
    remember_token(request, registration.token)
    if registration.status == Registration.Status.CONFIRMED:
        messages.success(request, _("You are registered. A confirmation is on its way by e-mail."))
    else:
        messages.success(
            request,
            _(
                "The event is full: you are on the waiting list. We will write when a place is free."
            ),
        )
    return redirect("events:registration", token=registration.token)


def _resend_link(request: HttpRequest, event: Event, email: str) -> None:
    """Registering twice with one address sends that address its registration's link again
    (never to the person who typed it: they may not own the address)."""
    existing = (
        Registration.objects.filter(
            event=event, email=email.strip().lower(), status__in=Registration.ACTIVE
        )
        .only("pk")
        .first()
    )
    if existing is None:
        return
    if registration_limits()[1].hit(str(existing.pk)).allowed:
        notifications.registration_event(existing.pk, "link")


# The registrant's own pages -----------------------------------------------------------------------


def _registration(token: str) -> Registration:
    if not token or len(token) > 64:
        raise Http404
    return get_object_or_404(
        Registration.objects.select_related(
            "event__place", "event__network", "event__room", "event__festival"
        ),
        token=token,
    )


def _sessions_with_seats(registration: Registration) -> list[dict[str, Any]]:
    """The event's sessions that have their own capacity, with the seats left and whether
    this registration holds a seat there."""
    sessions = list(
        Session.objects.filter(event_id=registration.event_id, capacity__isnull=False).order_by(
            "start", "pk"
        )
    )
    if not sessions:
        return []
    mine = set(
        SessionSignup.objects.filter(registration=registration).values_list("session_id", flat=True)
    )
    rows = []
    for session in sessions:
        taken = registrations.session_seats_taken(session)
        rows.append(
            {
                "session": session,
                "left": max(0, (session.capacity or 0) - taken),
                "mine": session.pk in mine,
                "join": f"session-{session.pk}",
                "leave": f"quitter-session-{session.pk}",
            }
        )
    return rows


def registration(request: HttpRequest, token: str) -> HttpResponse:
    item = _registration(token)
    event = item.event
    moment = clock.now()
    remember_token(request, item.token)
    over = event.end <= moment
    offer_open = item.status == Registration.Status.OFFERED and (
        item.offer_expires_at is None or item.offer_expires_at > moment
    )
    context = {
        "registration": item,
        "event": event,
        "over": over,
        "can_confirm": item.status == Registration.Status.UNCONFIRMED and not over,
        "can_accept": offer_open and not over and not event.is_cancelled,
        "can_cancel": item.is_active and not over,
        "position": registrations.waitlist_position(item),
        "sessions": _sessions_with_seats(item)
        if item.status == Registration.Status.CONFIRMED and not over
        else [],
        "answers": list((item.answers or {}).items()),
        "show_rides": event.rides_enabled
        and not event.is_cancelled
        and item.status in (Registration.Status.CONFIRMED, Registration.Status.OFFERED),
    }
    with timezone.override(event.tz):
        return _private(render(request, "events/registration/registration.html", context))


@require_POST
def registration_action(request: HttpRequest, token: str, action: str) -> HttpResponse:
    item = _registration(token)
    remember_token(request, item.token)
    try:
        if action == "confirmer":
            item = registrations.confirm_email(registration=item)
            if item.status == Registration.Status.CONFIRMED:
                messages.success(request, _("Thank you: you are registered."))
            elif item.status == Registration.Status.WAITLISTED:
                messages.success(
                    request,
                    _("Thank you. The event is full: you are on the waiting list."),
                )
        elif action == "annuler":
            registrations.registration_cancel(registration=item, by=None)
            messages.success(request, _("Your registration is cancelled."))
        elif action == "accepter":
            registrations.offer_accept(registration=item)
            messages.success(request, _("The place is yours: you are registered."))
        elif action.startswith("session-") or action.startswith("quitter-session-"):
            leave = action.startswith("quitter-")
            pk = action.rsplit("-", 1)[1]
            if not pk.isdigit():
                raise Http404
            session = get_object_or_404(Session, pk=int(pk), event_id=item.event_id)
            if leave:
                registrations.session_signoff(registration=item, session=session)
                messages.success(request, _("You left this session."))
            else:
                registrations.session_signup(registration=item, session=session)
                messages.success(request, _("You have a seat in this session."))
        else:
            raise Http404
    except EventError as exc:
        messages.error(request, str(exc.message))
    return redirect("events:registration", token=item.token)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in person's registrations: their account's, and those made with their
    (verified) e-mail address without signing in."""
    user = _user(request)
    assert user is not None
    mine_filter = Q(user=user)
    if user.email_verified_at is not None:
        mine_filter |= Q(user__isnull=True, email=user.email.lower())
    rows = list(
        Registration.objects.filter(mine_filter)
        .select_related("event__place", "event__network")
        .order_by("event__start", "pk")
    )
    moment = clock.now()
    upcoming = [r for r in rows if r.event.end > moment and r.is_active]
    past = [r for r in rows if r not in upcoming]
    past.reverse()
    return render(
        request,
        "events/registration/mine.html",
        {"upcoming": upcoming, "past": past[:100]},
    )


# Organisers ---------------------------------------------------------------------------------------


def _attendee_rows(event: Event) -> dict[str, Any]:
    """Every registration of the event in one query, sorted into the lists of the page."""
    rows = list(
        Registration.objects.filter(event=event).select_related("user").order_by("queued_at", "pk")
    )
    registered = sorted(
        (r for r in rows if r.status == Registration.Status.CONFIRMED),
        key=lambda r: (r.name.casefold(), r.pk),
    )
    offered = [r for r in rows if r.status == Registration.Status.OFFERED]
    waitlisted = [r for r in rows if r.status == Registration.Status.WAITLISTED]
    for position, waiting in enumerate(waitlisted, start=1):
        waiting.position = position  # type: ignore[attr-defined]
    unconfirmed = [r for r in rows if r.status == Registration.Status.UNCONFIRMED]
    ended = sorted(
        (
            r
            for r in rows
            if r.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED)
        ),
        key=lambda r: r.cancelled_at or r.offer_expires_at or r.created_at,
        reverse=True,
    )
    questions = [str(q.get("label", "")) for q in event.questions or [] if q.get("label")]
    for row in rows:
        row.answer_list = [(q, (row.answers or {}).get(q, "")) for q in questions]  # type: ignore[attr-defined]
    seats = sum(r.seats for r in registered)
    held = seats + sum(r.seats for r in offered)
    return {
        "registered": registered,
        "offered": offered,
        "waitlisted": waitlisted,
        "unconfirmed": unconfirmed,
        "ended": ended,
        "questions": questions,
        "seats_registered": seats,
        "seats_offered": held - seats,
        "seats_waiting": sum(r.seats for r in waitlisted),
        "seats_left": None if event.capacity is None else max(0, event.capacity - held),
        "checked_in": sum(r.seats for r in registered if r.checked_in_at),
        "checked_in_people": sum(1 for r in registered if r.checked_in_at),
    }


@login_required
def attendees(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    data = _attendee_rows(event)
    query = " ".join(request.GET.get("q", "").split())[:100]
    if query:
        needle = query.casefold()
        for key in ("registered", "offered", "waitlisted", "ended"):
            data[key] = [r for r in data[key] if needle in r.name.casefold() or needle in r.email]
    with timezone.override(event.tz):
        return _private(
            render(
                request,
                "events/registration/attendees.html",
                {"event": event, "q": query, "moment": clock.now(), **data},
            )
        )


@login_required
@require_POST
def attendee_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    item = get_object_or_404(Registration, pk=pk, event=event)
    item.event = event
    organiser = _user(request)
    assert organiser is not None
    try:
        if action == "present":
            registrations.check_in(registration=item, by=organiser, present=True)
            messages.success(request, _("%(name)s is here.") % {"name": item.name})
        elif action == "absent":
            registrations.check_in(registration=item, by=organiser, present=False)
            messages.success(request, _("%(name)s is marked as not here.") % {"name": item.name})
        elif action == "annuler":
            registrations.registration_cancel(registration=item, by=organiser)
            messages.success(
                request, _("The registration of %(name)s is cancelled.") % {"name": item.name}
            )
        elif action == "premier":
            registrations.waitlist_move_first(registration=item, by=organiser)
            item.refresh_from_db()
            if item.status == Registration.Status.OFFERED:
                messages.success(
                    request,
                    _("%(name)s is first, and was offered the free place.") % {"name": item.name},
                )
            else:
                messages.success(
                    request, _("%(name)s is now first on the waiting list.") % {"name": item.name}
                )
        else:
            raise Http404
    except EventError as exc:
        messages.error(request, str(exc.message))
    url = reverse("events:attendees", args=[event.slug])
    query = " ".join(str(request.POST.get("q", "")).split())[:100]
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode({"q": query})
    return redirect(f"{url}#r-{item.pk}")


def _cell(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _local(value: Any, event: Event) -> str:
    return value.astimezone(event.tz).strftime("%Y-%m-%d %H:%M") if value else ""


def attendee_csv_rows(event: Event) -> list[list[str]]:
    data = _attendee_rows(event)
    questions = data["questions"]
    header = [
        _("Name"), _("E-mail"), _("Places"), _("Status"), _("Registered at"),
        _("Position on the waiting list"), _("Came"), _("With an account"), _("Added by an organiser"),
    ]  # fmt: skip
    rows = [header + [_cell(q) for q in questions]]
    ordered = (
        data["registered"] + data["offered"] + data["waitlisted"] + data["unconfirmed"]
    ) + data["ended"]
    for r in ordered:
        rows.append(
            [
                _cell(r.name),
                _cell(r.email),
                str(r.seats),
                _cell(r.get_status_display()),
                _local(r.confirmed_at or r.queued_at, event),
                str(getattr(r, "position", "")),
                _local(r.checked_in_at, event),
                _("yes") if r.user_id else _("no"),
                _("yes") if r.added_by_id else _("no"),
            ]
            + [_cell((r.answers or {}).get(q, "")) for q in questions]
        )
    return rows


@login_required
def attendees_csv(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    body = "\ufeff" + "".join(writer.writerow(row) for row in attendee_csv_rows(event))
    response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="inscrits-{event.slug}.csv"'
    return _private(response)


@login_required
def attendees_print(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    data = _attendee_rows(event)
    with timezone.override(event.tz):
        return _private(
            render(
                request,
                "events/registration/attendees_print.html",
                {"event": event, "moment": clock.now(), **data},
            )
        )


@login_required
def attendee_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    organiser = _user(request)
    assert organiser is not None
    form = AttendeeAddForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = registrations.register(
                event=event, name=data["name"], email=data["email"], seats=data["seats"],
                answers=None, user=None, language=settings.LANGUAGE_CODE, added_by=organiser,
            )  # fmt: skip
        except EventError as exc:
            form.add_error(
                FIELD_OF_ERROR.get(exc.code) if exc.code != "invalid" else None, str(exc.message)
            )
        else:
            messages.success(
                request,
                _("%(name)s is registered; they receive the confirmation by e-mail.")
                % {"name": added.name},
            )
            return redirect(reverse("events:attendees", args=[event.slug]) + f"#r-{added.pk}")
    left = registrations.seats_left(event)
    return render(
        request,
        "events/registration/attendee_add.html",
        {"event": event, "form": form, "seats_left": left},
    )


@login_required
def message(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for_organiser(request, slug)
    organiser = _user(request)
    assert organiser is not None
    counts = {
        "registered": Registration.objects.filter(
            event=event, status=Registration.Status.CONFIRMED
        ).count(),
        "waitlisted": Registration.objects.filter(
            event=event,
            status__in=[Registration.Status.WAITLISTED, Registration.Status.OFFERED],
        ).count(),
    }
    counts["all"] = counts["registered"] + counts["waitlisted"]
    form = MessageForm(request.POST or None)
    form.fields["audience"].choices = [  # type: ignore[attr-defined]
        (
            value,
            ngettext("%(label)s (%(count)d person)", "%(label)s (%(count)d people)", counts[value])
            % {"label": label, "count": counts[value]},
        )
        for value, label in MessageForm.AUDIENCES
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = registrations.message_registrants(
                event=event, by=organiser, subject=data["subject"], body=data["body"],
                audience=data["audience"],
            )  # fmt: skip
        except EventError as exc:
            form.add_error(None, str(exc.message))
        else:
            if sent:
                messages.success(
                    request,
                    ngettext(
                        "Your message is on its way to %(count)d person.",
                        "Your message is on its way to %(count)d people.",
                        sent,
                    )
                    % {"count": sent},
                )
                return redirect("events:attendees", slug=event.slug)
            form.add_error("audience", _("Nobody would receive it: choose other people."))
    return render(
        request,
        "events/registration/message.html",
        {"event": event, "form": form, "counts": counts},
    )
