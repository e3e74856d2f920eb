"""Generate a busy place for the bookings benchmark into the database named by DATABASE_URL.

    DATABASE_URL=sqlite:///$PWD/bench/results/tiers-bench-bookings-200000.sqlite3 \\
        .venv/bin/python bench/bookings_generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench_bookings \\
        .venv/bin/python bench/bookings_generate.py --bookings 200000

One place (Mo-Fr 08:00-20:00, Europe/Paris, public holidays and the Christmas week closed)
with 500 resources: 10 pools of 5 to 20 seats, 300 desks, 80 meeting rooms, 70 machines
(some need a qualification, each has a maintenance day now and then), 40 pieces of equipment
(1 to 4 units); 2,000 members; and 200,000 bookings of 30 minutes to a day (1 h, 2 h,
mornings, afternoons, days), about 7 % of them cancelled, centred on the anchor day (the first
day of the current month): the past year and the next one. Bookings never overlap on an
exclusive resource and never exceed a pool's capacity; on PostgreSQL the exclusion
constraint checks it again while the rows are written.

Same window, any size: each day's bookings only depend on the seed and the day (a random
generator per day), and days are filled outwards from the anchor until the asked number of
bookings is reached. 50,000 bookings cover about six months, 200,000 about two years, and the
month after the anchor holds exactly the same rows in both: the benchmark compares the cost of
one window at several totals with that.

Rows are written in batches (PostgreSQL: COPY; SQLite: bulk_create). A database that already
holds this data set is reused; otherwise `--recreate` drops and recreates it, which is only
allowed for a database whose name contains "bench".
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate import (  # noqa: E402
    BENCH_PASSWORD,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    analyze,
    batched,
    database_name,
    ensure_database,
    recreate_database,
)

PLACE_SLUG = "bench-reservations"
SOURCE = "bench"
PARIS = ZoneInfo("Europe/Paris")
PLACE_HOURS = "Mo-Fr 08:00-20:00"
OPEN_HOUR, CLOSE_HOUR = 8, 20
SLOT_MINUTES = 30  # the generator's grid; every resource's granularity divides it
SLOTS = (CLOSE_HOUR - OPEN_HOUR) * 60 // SLOT_MINUTES
DEFAULT_BOOKINGS = 200_000
REFERENCE_DAYS = 730  # the default number of bookings spreads over about this many days
EXIT_OTHER_DATA = 3
LOAD_PREFIX = "load-"  # resources the load test adds; not part of the generated data set
FIXED_HOLIDAYS = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]

# Presets, as (start slot or None for anywhere, length in slots, weight), by resource kind.
# Slot 0 is 08:00; a slot is 30 minutes.
HOUR, TWO_HOURS, HALF_HOUR, THREE_HOURS, FOUR_HOURS = 2, 4, 1, 6, 8
MORNING = (0, 8)  # 08:00-12:00
AFTERNOON = (10, 10)  # 13:00-18:00
DAY = (2, 18)  # 09:00-18:00
PRESETS: dict[str, list[tuple[int | None, int, int]]] = {
    "desk": [(None, HOUR, 25), (None, TWO_HOURS, 15), (*MORNING, 20), (*AFTERNOON, 20),
             (*DAY, 20)],
    "desk_pool": [(None, HOUR, 15), (None, TWO_HOURS, 15), (*MORNING, 25), (*AFTERNOON, 25),
                  (*DAY, 20)],
    "meeting_room": [(None, HALF_HOUR, 10), (None, HOUR, 40), (None, TWO_HOURS, 30),
                     (None, THREE_HOURS, 5), (*MORNING, 8), (*AFTERNOON, 7)],
    "machine": [(None, HALF_HOUR, 15), (None, HOUR, 35), (None, TWO_HOURS, 30),
                (None, THREE_HOURS, 10), (None, FOUR_HOURS, 10)],
    "equipment": [(None, TWO_HOURS, 20), (*MORNING, 25), (*AFTERNOON, 25), (*DAY, 30)],
}  # fmt: skip
# Relative number of bookings per weekday (Monday first) and per month (January first).
WEEKDAY_FACTOR = [0.85, 1.1, 1.15, 1.1, 0.8]
MONTH_FACTOR = [0.9, 1.0, 1.05, 1.0, 0.95, 1.0, 0.75, 0.45, 1.05, 1.1, 1.05, 0.85]


@dataclass
class ResourceDraft:
    kind: str
    name: str
    slug: str
    capacity: int
    weight: float
    fields: dict[str, Any]
    pk: int = 0


def anchor_day(value: str | None) -> dt.date:
    """The centre of the data set: the given day, or the first day of the current month."""
    if value:
        return dt.date.fromisoformat(value)
    return dt.datetime.now(PARIS).date().replace(day=1)


def marker(seed: int, resources: int, bookings: int, anchor: dt.date) -> str:
    return f"bookings-s{seed}-r{resources}-b{bookings}-a{anchor.isoformat()}"


def resource_drafts(count: int, seed: int) -> list[ResourceDraft]:
    """The place's resources: ~2 % pools, 60 % desks, 16 % rooms, 14 % machines, the rest
    equipment; a popularity weight each (pools by their seats)."""
    rng = random.Random(f"{seed}-resources")
    pools = max(1, count // 50)
    desks = count * 60 // 100
    rooms = count * 16 // 100
    machines = count * 14 // 100
    equipment = count - pools - desks - rooms - machines
    drafts: list[ResourceDraft] = []

    def add(kind: str, name: str, slug: str, capacity: int, weight: float, **fields: Any) -> None:
        drafts.append(ResourceDraft(kind, name, slug, capacity, weight, fields))

    for i in range(1, pools + 1):
        capacity = rng.randint(5, 20)
        add(
            "desk_pool",
            f"Open space {i}",
            f"open-space-{i}",
            capacity,
            3.0 * capacity,
            granularity_minutes=60,
            min_duration_minutes=60,
            location=f"Étage {1 + i % 4}",
        )
    for i in range(1, desks + 1):
        add(
            "desk",
            f"Bureau {i:03d}",
            f"bureau-{i:03d}",
            1,
            rng.lognormvariate(0, 0.6),
            location=f"Étage {1 + i % 4}, rangée {1 + i % 12}",
        )
    for i in range(1, rooms + 1):
        approval = rng.random() < 0.1
        public = rng.random() < 0.2
        add(
            "meeting_room",
            f"Salle {i:02d}",
            f"salle-{i:02d}",
            1,
            1.5 * rng.lognormvariate(0, 0.6),
            requires_approval=approval,
            visibility="public" if public else "members",
            allowed_statuses=["resident", "user", "beneficiary", "public"]
            if public
            else ["resident", "user", "beneficiary"],
        )
    machine_names = [
        "Découpeuse laser",
        "Imprimante 3D",
        "Fraiseuse",
        "Brodeuse",
        "Traceur de découpe",
        "Scanner 3D",
        "Tour à bois",
    ]
    for i in range(1, machines + 1):
        add(
            "machine",
            f"{machine_names[i % len(machine_names)]} {i:02d}",
            f"machine-{i:02d}",
            1,
            0.8 * rng.lognormvariate(0, 0.6),
            granularity_minutes=15,
            min_duration_minutes=30,
            max_duration_minutes=240,
            qualified=i % len(machine_names) in (0, 2),
        )
    equipment_names = ["Vidéoprojecteur", "Casque VR", "Caméra", "Kit micro", "Vélo cargo"]
    for i in range(1, equipment + 1):
        add(
            "equipment",
            f"{equipment_names[i % len(equipment_names)]} {i:02d}",
            f"equipement-{i:02d}",
            rng.choice([1, 1, 2, 3, 4]),
            0.5 * rng.lognormvariate(0, 0.6),
            granularity_minutes=60,
            min_duration_minutes=60,
        )
    return drafts


def place_closed(day: dt.date) -> bool:
    """Weekends (the opening hours), fixed public holidays and the Christmas week (closures)."""
    if day.weekday() >= 5:
        return True
    return (day.month, day.day) in FIXED_HOLIDAYS or (day.month == 12 and day.day >= 24)


def closure_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date, str]]:
    """Place-wide closures (holidays, the Christmas week) within the covered days, as
    [first, last] day ranges; weekends are the opening hours' business, not closures."""
    closed = sorted(d for d in days if place_closed(d) and d.weekday() < 5)
    ranges: list[tuple[dt.date, dt.date, str]] = []
    for day in closed:
        reason = "Vacances de fin d'année" if day.month == 12 and day.day >= 24 else "Jour férié"
        if ranges and (day - ranges[-1][1]).days <= 3 and ranges[-1][2] == reason:
            ranges[-1] = (ranges[-1][0], day, reason)
        else:
            ranges.append((day, day, reason))
    return ranges


def day_mean(anchor: dt.date, reference_bookings: int) -> float:
    """Bookings on an open weekday of factor 1, so that `reference_bookings` spread over
    REFERENCE_DAYS around the anchor: a density that does not depend on the asked total."""
    total = 0.0
    for offset in range(-REFERENCE_DAYS // 2, REFERENCE_DAYS // 2):
        day = anchor + dt.timedelta(days=offset)
        if not place_closed(day):
            total += WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
    return reference_bookings / total


def days_outwards(anchor: dt.date) -> Iterator[dt.date]:
    """anchor, anchor - 1, anchor + 1, anchor - 2, ...: the data set grows on both sides."""
    yield anchor
    for offset in itertools.count(1):
        yield anchor - dt.timedelta(days=offset)
        yield anchor + dt.timedelta(days=offset)


def local(day: dt.date, slot: int) -> dt.datetime:
    minutes = OPEN_HOUR * 60 + slot * SLOT_MINUTES
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=PARIS)


@dataclass
class DayPlan:
    bookings: list[tuple[int, int, int, int, int, str]]  # resource index, user index, slots...
    maintenance: list[int]  # resource indexes closed for maintenance that day


def plan_day(
    day: dt.date,
    *,
    seed: int,
    anchor: dt.date,
    mean: float,
    drafts: list[ResourceDraft],
    cum_weights: list[float],
    people: int,
) -> DayPlan:
    """The bookings of one day: (resource, person, first slot, length, units, status).

    Drawn from a generator seeded with the day only, so that a day holds the same bookings
    whatever the size of the data set."""
    plan = DayPlan([], [])
    if place_closed(day):
        return plan
    rng = random.Random(f"{seed}-{day.isoformat()}")
    usage: dict[int, list[int]] = {}
    for index, draft in enumerate(drafts):
        if draft.kind == "machine" and rng.random() < 1 / 60:
            plan.maintenance.append(index)
            usage[index] = [draft.capacity] * SLOTS
    factor = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
    count = max(0, round(mean * factor * rng.gauss(1.0, 0.12)))
    future = day >= anchor
    indexes = range(len(drafts))
    for _ in range(count):
        for _attempt in range(6):
            index = rng.choices(indexes, cum_weights=cum_weights)[0]
            draft = drafts[index]
            presets = PRESETS[draft.kind]
            start, length, _w = rng.choices(presets, weights=[p[2] for p in presets])[0]
            if start is None:
                # on the hour two times out of three
                start = rng.randrange(0, SLOTS - length + 1)
                hourly = draft.fields.get("granularity_minutes") == 60
                if start % 2 and (hourly or rng.random() < 0.66):
                    start -= 1
            units = 2 if draft.capacity > 2 and rng.random() < 0.05 else 1
            user = rng.randrange(people)
            if rng.random() < 0.07:  # cancelled: takes nothing, may overlap anything
                plan.bookings.append((index, user, start, length, units, "cancelled"))
                break
            used = usage.setdefault(index, [0] * SLOTS)
            if all(used[s] + units <= draft.capacity for s in range(start, start + length)):
                for s in range(start, start + length):
                    used[s] += units
                approval = draft.fields.get("requires_approval", False)
                status = "pending" if approval and future and rng.random() < 0.3 else "confirmed"
                plan.bookings.append((index, user, start, length, units, status))
                break
    return plan


def existing_state(seed: int, resources: int, bookings: int, anchor: dt.date) -> str:
    """ "same" (this data set is there), "empty", or "other"."""
    from tiers.accounts.models import User
    from tiers.bookings.models import Booking
    from tiers.places.models import Place

    if not Place.objects.exists() and not User.objects.exists():
        return "empty"
    place = Place.objects.filter(
        slug=PLACE_SLUG, source=SOURCE, source_id=marker(seed, resources, bookings, anchor)
    ).first()
    if place is None:
        return "other"
    generated = (
        Booking.objects.filter(resource__place=place)
        .exclude(resource__slug__startswith=LOAD_PREFIX)
        .count()
    )
    return "same" if generated == bookings else "other"


def write_bookings(rows: list[dict[str, Any]], batch: int) -> None:
    """PostgreSQL: COPY (each row still checked by the exclusion constraint); SQLite: one
    prepared INSERT run for each batch (bulk_create is limited to 999 parameters per
    statement there, 4 times slower). Fields left out get their model default; values are
    converted by each field, as the ORM does."""
    from django.db import connection

    from tiers.bookings.models import Booking

    fields = [f for f in Booking._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Booking._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            for chunk in batched(rows, batch):
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            return
        # the names come from the model, not from input
        marks = ", ".join(["%s"] * len(fields))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        for chunk in batched(rows, batch):
            cursor.executemany(
                insert,
                [
                    [
                        f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                        for f in fields
                    ]
                    for row in chunk
                ],
            )


def generate(
    *,
    seed: int,
    resources: int,
    bookings: int,
    people: int,
    anchor: dt.date,
    batch: int,
    verbose: bool,
) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from tiers.accounts.models import User
    from tiers.bookings.models import Booking, Closure, Qualification, QualificationGrant, Resource
    from tiers.places.models import Membership, Place

    started = time.perf_counter()

    def log(message: str) -> None:
        if verbose:
            print(f"  {time.perf_counter() - started:6.1f}s  {message}", flush=True)

    rng = random.Random(f"{seed}-people")
    drafts = resource_drafts(resources, seed)
    cum_weights = list(itertools.accumulate(d.weight for d in drafts))
    mean = day_mean(anchor, DEFAULT_BOOKINGS * resources // 500)

    # Plan every day first (pure Python), outwards from the anchor until the total is reached.
    plans: dict[dt.date, DayPlan] = {}
    planned = 0
    for day in days_outwards(anchor):
        plan = plan_day(
            day, seed=seed, anchor=anchor, mean=mean, drafts=drafts,
            cum_weights=cum_weights, people=people,
        )  # fmt: skip
        if planned + len(plan.bookings) > bookings:
            plan.bookings = plan.bookings[: bookings - planned]
        plans[day] = plan
        planned += len(plan.bookings)
        if planned >= bookings:
            break
        if len(plans) > 20 * 366:
            raise SystemExit("Too many bookings for the place: raise --resources.")
    first, last = min(plans), max(plans)
    log(f"{planned} bookings planned over {len(plans)} days ({first} to {last})")

    password = make_password(BENCH_PASSWORD)
    with transaction.atomic():
        place = Place.objects.create(
            name="Bench — La Grande Halle des réservations",
            slug=PLACE_SLUG,
            status=Place.Status.OPEN,
            short_description="Un grand tiers-lieu pour mesurer les réservations.",
            town="Lyon",
            postcode="69007",
            latitude=45.7485,
            longitude=4.8467,
            opening_hours=PLACE_HOURS,
            time_zone="Europe/Paris",
            source=SOURCE,
            source_id=marker(seed, resources, bookings, anchor),
        )
        users = []
        for i in range(people):
            first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            users.append(
                User(
                    email=f"resa.{i}@{EMAIL_DOMAIN}",
                    display_name=f"{first_name} {last_name}",
                    password=password,
                )
            )
        user_ids: list[int] = []
        for chunk in batched(users, 2000):
            user_ids.extend(u.pk for u in User.objects.bulk_create(chunk))
        statuses = rng.choices(["resident", "user", "beneficiary"], [40, 45, 15], k=people)
        Membership.objects.bulk_create(
            [
                Membership(
                    place=place,
                    user_id=user_id,
                    status="resident" if i < 4 else statuses[i],
                    state=Membership.State.ACTIVE,
                    is_manager=i == 0,
                    is_concierge=1 <= i < 4,
                    started_on=anchor - dt.timedelta(days=rng.randrange(900)),
                )
                for i, user_id in enumerate(user_ids)
            ],
            batch_size=2000,
        )
        log(f"{people} members (the first is a manager, the next 3 concierges)")

        qualification = Qualification.objects.create(place=place, name="Formation machines")
        rows = []
        for draft in drafts:
            fields = dict(draft.fields)
            qualified = fields.pop("qualified", False)
            rows.append(
                Resource(
                    place=place,
                    kind=draft.kind,
                    name=draft.name,
                    slug=draft.slug,
                    capacity=draft.capacity,
                    max_days_ahead=400,
                    required_qualification=qualification if qualified else None,
                    **fields,
                )
            )
        for draft, row in zip(drafts, Resource.objects.bulk_create(rows), strict=True):
            assert row.pk, "bulk_create did not return primary keys"
            draft.pk = row.pk
        QualificationGrant.objects.bulk_create(
            [
                QualificationGrant(
                    qualification=qualification, user_id=user_id, granted_by_id=user_ids[0]
                )
                for user_id in user_ids[: people // 3]
            ]
        )
        log(f"{len(drafts)} resources ({', '.join(kind_counts(drafts))})")

        closures = [
            Closure(
                place=place,
                start=dt.datetime.combine(a, dt.time(0), tzinfo=PARIS),
                end=dt.datetime.combine(b + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS),
                reason=reason,
            )
            for a, b, reason in closure_ranges(list(plans))
        ]
        for day, plan in plans.items():
            closures.extend(
                Closure(
                    place=place,
                    resource_id=drafts[index].pk,
                    start=local(day, 0),
                    end=local(day, SLOTS),
                    reason="Maintenance",
                )
                for index in plan.maintenance
            )
        Closure.objects.bulk_create(closures, batch_size=2000)
        log(f"{len(closures)} closures (holidays, Christmas weeks, machine maintenance)")

        booking_rows: list[dict[str, Any]] = []
        by_status: dict[str, int] = {}
        for day in sorted(plans):
            past = day < anchor
            for index, user, slot, length, units, status in plans[day].bookings:
                draft = drafts[index]
                start = local(day, slot)
                created = start - dt.timedelta(minutes=60 + (user * 7919 + slot * 104729) % 30240)
                confirmed_past = past and status == "confirmed"
                booking_rows.append(
                    {
                        "resource_id": draft.pk,
                        "user_id": user_ids[user],
                        "start": start.astimezone(dt.UTC),
                        "end": local(day, slot + length).astimezone(dt.UTC),
                        "units": units,
                        "status": status,
                        "kind": Booking.Kind.BOOKING,
                        "exclusive": draft.capacity == 1,
                        "attendance": ("no_show" if (user + slot) % 20 == 0 else "present")
                        if confirmed_past
                        else "",
                        "created_at": created.astimezone(dt.UTC),
                    }
                )
                by_status[status] = by_status.get(status, 0) + 1
        write_bookings(booking_rows, batch)
        log(f"{len(booking_rows)} bookings written ({by_status})")
    return {
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "days": len(plans),
        "bookings": len(booking_rows),
        "by_status": by_status,
    }


def kind_counts(drafts: list[ResourceDraft]) -> list[str]:
    counts: dict[str, int] = {}
    for draft in drafts:
        counts[draft.kind] = counts.get(draft.kind, 0) + 1
    return [f"{count} {kind}" for kind, count in counts.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=DEFAULT_BOOKINGS)
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--anchor", help="centre day, YYYY-MM-DD (default: the first day of the current month)"
    )
    parser.add_argument("--batch", type=int, default=5000, help="rows per COPY / bulk_create")
    parser.add_argument(
        "--recreate",
        action="store_true",
        help="drop and recreate the database when it holds other data (name must contain 'bench')",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    anchor = anchor_day(args.anchor)

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("Set DATABASE_URL (e.g. sqlite:////tmp/bench-bookings.sqlite3).", file=sys.stderr)
        return 2
    name, _config = database_name(url)
    if "bench" not in Path(name).name:
        print(f"Refusing to write into {name!r}: use a database whose name contains 'bench'.")
        return 2
    ensure_database(url)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from tiers.places import hours

    assert hours.parse(PLACE_HOURS) is not None
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    state = existing_state(args.seed, args.resources, args.bookings, anchor)
    if state == "same":
        if not args.quiet:
            print(f"{name}: already holds this data set ({args.bookings} bookings), reused.")
        return 0
    if state == "other":
        if not args.recreate:
            print(f"{name} holds other data; run again with --recreate.", file=sys.stderr)
            return EXIT_OTHER_DATA
        from django.db import connections

        connections.close_all()
        recreate_database(url)
        call_command("migrate", verbosity=0)
    if not args.quiet:
        print(
            f"{name}: generating {args.resources} resources and {args.bookings} bookings "
            f"around {anchor} (seed {args.seed})"
        )
    generate(
        seed=args.seed,
        resources=args.resources,
        bookings=args.bookings,
        people=args.people,
        anchor=anchor,
        batch=args.batch,
        verbose=not args.quiet,
    )
    analyze()
    if not args.quiet:
        print(f"{name}: done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
