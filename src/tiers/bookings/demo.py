"""The demo network's bookings: resources of a coworking, a fablab, a public digital space and
a rural tiers-lieu, with rules, qualifications, time credits, closures, four weeks of history
(for the occupancy statistics) and the coming weeks' bookings.

Past bookings are written as they would have been (a booking cannot be made in the past);
upcoming ones go through the booking services, so they obey every rule.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from tiers.accounts.models import User
from tiers.bookings import services
from tiers.bookings.availability import aware
from tiers.bookings.credits import credit_grant
from tiers.bookings.errors import BookingError
from tiers.bookings.models import (
    Booking,
    BookingLog,
    Closure,
    CreditPlan,
    Qualification,
    QualificationGrant,
    Resource,
)
from tiers.places.demo import DEMO_DOMAIN
from tiers.places.models import Place

# (place, slug, name, kind, capacity, visibility, allowed, fields)
RESOURCES = [
    ("quai-des-possibles", "open-space", "Open space", "desk_pool", 12, "public",
     ["resident", "user", "public"],
     {"description": "Douze postes au calme, écrans et casiers. **Demi-journée ou journée.**",
      "location": "Rez-de-chaussée, côté canal", "min_duration_minutes": 60,
      "max_duration_minutes": 11 * 60, "cancellation_deadline_hours": 2}),
    ("quai-des-possibles", "bureau-fenetre", "Bureau fenêtre", "desk", 1, "members",
     ["resident"],
     {"description": "Un bureau fixe face au canal, réservé aux résident·es.",
      "location": "1er étage", "min_duration_minutes": 60, "max_duration_minutes": 11 * 60}),
    ("quai-des-possibles", "salle-loire", "Salle Loire", "meeting_room", 1, "members",
     ["resident", "user"],
     {"description": "Salle de réunion de 10 places avec écran et visioconférence.",
      "location": "1er étage", "min_duration_minutes": 30, "max_duration_minutes": 8 * 60,
      "buffer_minutes": 15, "cancellation_deadline_hours": 24, "weekly_hours_limit": 10}),
    ("quai-des-possibles", "cabine", "Cabine téléphonique", "equipment", 1, "members",
     ["resident", "user"],
     {"description": "Une cabine insonorisée pour les appels.", "granularity_minutes": 15,
      "min_duration_minutes": 15, "max_duration_minutes": 60, "cancellation_deadline_hours": 0}),
    ("fablab-deux-rives", "decoupeuse-laser", "Découpeuse laser", "machine", 1, "members",
     ["resident", "user"],
     {"description": "Trotec Speedy 300, 60 W. Bois, carton, acrylique : **pas de PVC**.",
      "location": "Atelier", "min_duration_minutes": 30, "max_duration_minutes": 180,
      "buffer_minutes": 15, "max_simultaneous": 2}),
    ("fablab-deux-rives", "imprimantes-3d", "Imprimantes 3D", "equipment", 3, "public",
     ["resident", "user", "public"],
     {"description": "Trois imprimantes Prusa MK4, PLA et PETG fournis au poids.",
      "location": "Atelier", "min_duration_minutes": 60, "max_duration_minutes": 6 * 60}),
    ("epn-louise-michel", "postes", "Postes informatiques", "desk_pool", 6, "public",
     ["resident", "user", "beneficiary", "public"],
     {"description": "Six ordinateurs en libre accès, avec l'aide d'un·e médiateur·rice.",
      "granularity_minutes": 30, "min_duration_minutes": 30, "max_duration_minutes": 120,
      "cancellation_deadline_hours": 0}),
    ("grange-numerique", "salle-polyvalente", "Salle polyvalente", "meeting_room", 1, "public",
     ["resident", "user", "public"],
     {"description": "40 places, pour les associations du village. Chaque demande est validée.",
      "requires_approval": True, "granularity_minutes": 60, "min_duration_minutes": 60,
      "max_duration_minutes": 10 * 60, "cancellation_deadline_hours": 48}),
]  # fmt: skip


def _local(place: Place, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return aware(dt.datetime.combine(day, dt.time(hour, minute)), place.tz)


def _next(day: dt.date, weekday: int, weeks: int = 0) -> dt.date:
    """The first `weekday` (0 = Monday) strictly after `day`, `weeks` later."""
    ahead = (weekday - day.weekday() - 1) % 7 + 1
    return day + dt.timedelta(days=ahead, weeks=weeks)


def _book(**kwargs: object) -> Booking | None:
    """Upcoming demo bookings obey the rules; one that a rule refuses (a public holiday) is
    simply not made."""
    try:
        return services.booking_create(**kwargs)  # type: ignore[arg-type]
    except BookingError:
        return None


def _history(resources: dict[str, Resource], people: dict[str, User], today: dt.date) -> int:
    """Four weeks of bookings up to today, with who came and who did not."""
    rng = random.Random(2026)  # the same history each time
    moment = services.now()
    rows: list[Booking] = []
    plans = [
        ("open-space", ["jeanne", "marc", "samir", "camille"], (3, 9), [(9, 13), (14, 18), (9, 18)]),
        ("salle-loire", ["jeanne", "samir"], (1, 3), [(10, 12), (14, 16), (16, 17)]),
        ("decoupeuse-laser", ["hugo", "lea", "jeanne"], (1, 3), [(14, 16), (16, 18), (18, 19)]),
        ("postes", ["fatou", "nadia"], (2, 5), [(14, 15), (15, 16), (16, 17)]),
    ]  # fmt: skip
    for slug, who, (low, high), slots in plans:
        resource = resources[slug]
        for days_back in range(29):
            day = today - dt.timedelta(days=days_back)
            open_ = services.availability.bookable_intervals(
                resource, _local(resource.place, day, 0), _local(resource.place, day, 23, 59)
            )
            if not open_:
                continue
            taken: list[tuple[dt.datetime, dt.datetime]] = []
            for _ in range(rng.randint(low, high)):
                start_h, end_h = rng.choice(slots)
                start = _local(resource.place, day, start_h)
                end = _local(resource.place, day, end_h)
                if not any(a <= start and end <= b for a, b in open_):
                    continue
                if resource.is_exclusive and any(s < end and start < e for s, e in taken):
                    continue
                if sum(1 for s, e in taken if s < end and start < e) >= resource.capacity:
                    continue
                taken.append((start, end))
                person = people[rng.choice(who)]
                cancelled = rng.random() < 0.06
                attendance = Booking.Attendance.UNKNOWN
                if not cancelled and end <= moment:
                    attendance = (
                        Booking.Attendance.NO_SHOW
                        if rng.random() < 0.08
                        else Booking.Attendance.PRESENT
                    )
                rows.append(
                    Booking(
                        resource=resource, user=person, start=start, end=end,
                        exclusive=resource.is_exclusive, booked_by=person,
                        created_at=start - dt.timedelta(days=rng.randint(1, 6)),
                        status=Booking.Status.CANCELLED if cancelled else Booking.Status.CONFIRMED,
                        attendance=attendance, reminder_sent_at=start - dt.timedelta(hours=24),
                        checked_in_at=start if attendance == Booking.Attendance.PRESENT else None,
                    )
                )  # fmt: skip
                if cancelled:
                    taken.pop()  # its time stays free
    created = Booking.objects.bulk_create(rows)
    BookingLog.objects.bulk_create(
        BookingLog(booking=b, actor=b.user, action=BookingLog.Action.CREATED, at=b.created_at)
        for b in created
    )
    BookingLog.objects.bulk_create(
        BookingLog(
            booking=b,
            actor=b.user,
            action=BookingLog.Action.CANCELLED,
            at=b.created_at + dt.timedelta(hours=2),
        )
        for b in created
        if b.status == Booking.Status.CANCELLED
    )
    return len(created)


@transaction.atomic
def create() -> dict[str, int]:
    """Add the bookings to the demo network (after `tiers.places.demo.create()`)."""
    people = {
        u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    places = {p.slug: p for p in Place.objects.filter(source="demo")}
    samir, lea, nadia = (people[k] for k in ("samir", "lea", "nadia"))
    today = services.now().astimezone(places["quai-des-possibles"].tz).date()

    laser = Qualification.objects.create(
        place=places["fablab-deux-rives"], name="Habilitation découpe laser"
    )
    printing = Qualification.objects.create(place=places["fablab-deux-rives"], name="Impression 3D")
    QualificationGrant.objects.bulk_create([
        QualificationGrant(qualification=laser, user=people["hugo"], granted_by=lea,
                           expires_on=today + dt.timedelta(days=300)),
        QualificationGrant(qualification=laser, user=lea, granted_by=lea),
        QualificationGrant(qualification=laser, user=people["jeanne"], granted_by=lea,
                           expires_on=today - dt.timedelta(days=10)),  # to renew
        QualificationGrant(qualification=printing, user=people["hugo"], granted_by=lea),
    ])  # fmt: skip
    rooms = CreditPlan.objects.create(
        place=places["quai-des-possibles"], name="Salles de réunion",
        monthly_hours={"resident": 40, "user": 4},
    )  # fmt: skip
    resources: dict[str, Resource] = {}
    for place_slug, slug, name, kind, capacity, visibility, allowed, fields in RESOURCES:
        resources[slug] = Resource.objects.create(
            place=places[place_slug], slug=slug, name=name, kind=kind, capacity=capacity,
            visibility=visibility, allowed_statuses=allowed,
            required_qualification={"decoupeuse-laser": laser, "imprimantes-3d": printing}.get(slug),
            credit_plan=rooms if slug == "salle-loire" else None, **fields,
        )  # fmt: skip
    quai = places["quai-des-possibles"]
    Closure.objects.create(
        place=quai, start=_local(quai, _next(today, 4, weeks=2), 0),
        end=_local(quai, _next(today, 4, weeks=2) + dt.timedelta(days=1), 0),
        reason="Fermeture : journée d'inventaire",
    )  # fmt: skip
    fablab = places["fablab-deux-rives"]
    Closure.objects.create(
        place=fablab, resource=resources["decoupeuse-laser"],
        start=_local(fablab, _next(today, 2, weeks=1), 14), end=_local(fablab, _next(today, 2, weeks=1), 20),
        reason="Maintenance : changement du tube laser",
    )  # fmt: skip
    history = _history(resources, people, today)

    credit_grant(
        plan=rooms, user=people["jeanne"], minutes=5 * 60, by=samir,
        note="Animation du café des possibles",
    )  # fmt: skip
    tuesday, thursday = _next(today, 1), _next(today, 3)
    open_space, loire = resources["open-space"], resources["salle-loire"]
    for key, day, (a, b) in [
        ("jeanne", tuesday, (9, 13)), ("samir", tuesday, (9, 18)), ("camille", tuesday, (14, 18)),
        ("jeanne", thursday, (9, 18)), ("samir", thursday, (14, 18)),
    ]:  # fmt: skip
        _book(
            resource=open_space,
            user=people[key],
            start=_local(quai, day, a),
            end=_local(quai, day, b),
        )
    services.series_create(
        resource=resources["bureau-fenetre"], user=people["jeanne"],
        start=_local(quai, _next(today, 0), 9), end=_local(quai, _next(today, 0), 13), count=6,
    )  # fmt: skip
    _book(resource=loire, user=people["jeanne"], start=_local(quai, tuesday, 10),
          end=_local(quai, tuesday, 12), note="Point client")  # fmt: skip
    _book(resource=loire, user=people["marc"], start=_local(quai, thursday, 14),
          end=_local(quai, thursday, 15), by=samir, note="Entretien d'embauche")  # fmt: skip
    friday = _next(today, 4)
    services.block_create(
        resource=loire, by=samir, start=_local(quai, friday, 14), end=_local(quai, friday, 19),
        reason="Assemblée générale de l'association",
    )  # fmt: skip
    _book(resource=resources["decoupeuse-laser"], user=people["hugo"],
          start=_local(fablab, _next(today, 2), 14), end=_local(fablab, _next(today, 2), 16))  # fmt: skip
    _book(resource=resources["imprimantes-3d"], user=people["hugo"],
          start=_local(fablab, _next(today, 3), 14), end=_local(fablab, _next(today, 3), 18))  # fmt: skip
    epn = places["epn-louise-michel"]
    _book(resource=resources["postes"], user=people["fatou"], start=_local(epn, _next(today, 1), 14),
          end=_local(epn, _next(today, 1), 15), by=nadia, note="Dossier CAF")  # fmt: skip
    grange = places["grange-numerique"]
    _book(
        resource=resources["salle-polyvalente"],
        user=people["marc"],
        start=_local(grange, _next(today, 2), 14),
        end=_local(grange, _next(today, 2), 18),
        note="Répétition de la chorale",
    )  # fmt: skip  (waits for Camille's approval)
    services.calendar_feed_reset(user=people["jeanne"])
    return {
        "resources": len(resources),
        "bookings": Booking.objects.filter(resource__place__source="demo").count(),
        "history": history,
    }
