"""Generate a network festival for the events benchmark into the database named by DATABASE_URL.

    DATABASE_URL=sqlite:///$PWD/bench/results/tiers-bench-events-20000.sqlite3 \\
        .venv/bin/python bench/events_generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench_ev \\
        .venv/bin/python bench/events_generate.py --events 20000

One network of 3,000 places across France (towns, postcodes and coordinates drawn from the
2019 census shipped in `data/cget-2019/`, jittered, as `generate.py` does), 5,000 people, and
its festival over a fortnight starting on the anchor day (default: the Monday after today, so
that the festival is always upcoming when it is measured) with 20,000 events: 1 to 4 hours
between 09:00 and 22:00 on each place's clock, every kind and audience, 0 to 3 tags of 24,
every price mode; 95 % published, 3 % cancelled (with a reason), 2 % drafts; in the festival's
programme 93 % accepted, 4 % waiting for approval, 3 % refused; about one in four with
registration (10 to 80 seats, some with questions) and, on 40 % of those, registrations up to
and beyond their capacity (confirmed, then waitlisted; accounts and e-mail-only people, a few
families); 1 % are forums with a programme of 4 to 8 sessions in two tracks.

The rows only depend on the seed, the sizes and the anchor. They are written with
`bulk_create` in batches, in one transaction. A database that already holds this data set is
reused; otherwise `--recreate` drops and recreates it, which is only allowed for a database
whose name contains "bench".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from generate import (  # noqa: E402
    BENCH_PASSWORD,
    DEFAULT_CENSUS,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    NAME_HEADS,
    NAME_TAILS,
    Town,
    analyze,
    batched,
    database_name,
    ensure_database,
    jitter,
    load_towns,
    recreate_database,
    time_zone,
)

SOURCE = "bench"
NETWORK_SLUG = "bench-reseau-festival"
FESTIVAL_SLUG = "bench-quinzaine-des-tiers-lieux"
FESTIVAL_DAYS = 14
PARIS = ZoneInfo("Europe/Paris")
EXIT_OTHER_DATA = 3
LOAD_PREFIX = "bench-load-"  # events the load test adds; not part of the generated data set
PEOPLE_EMAIL = "fest.{}@" + EMAIL_DOMAIN

# (kind, weight, titles)
KINDS: list[tuple[str, int, list[str]]] = [
    ("atelier", 30, ["Atelier couture", "Atelier vélo", "Initiation à la soudure",
                     "Atelier compost", "Atelier pain au levain", "Initiation Arduino",
                     "Atelier sérigraphie", "Atelier zéro déchet"]),
    ("cafe-debat", 10, ["Café-débat : habiter le rural", "Café-débat : le travail demain",
                        "Café-débat : l'IA et nous", "Café-débat : se déplacer sans voiture"]),
    ("conference", 6, ["Conférence : l'histoire du lieu", "Rencontre avec une autrice",
                       "Conférence : les communs"]),
    ("formation", 6, ["Formation : animer une réunion", "Formation premiers secours",
                      "Formation : gérer une association"]),
    ("portes-ouvertes", 10, ["Portes ouvertes", "Visite du lieu", "Journée découverte"]),
    ("repair-cafe", 10, ["Repair café", "Réparons nos vélos", "Repair café textile"]),
    ("mediation-numerique", 10, ["Premiers pas sur l'ordinateur", "Démarches en ligne",
                                 "Mon smartphone au quotidien", "Protéger ses données"]),
    ("forum", 1, ["Forum des tiers-lieux", "Forum des associations"]),
    ("spectacle", 6, ["Concert", "Scène ouverte", "Théâtre d'impro", "Ciné-club"]),
    ("repas", 6, ["Soupe partagée", "Repas partagé", "Brunch du dimanche"]),
    ("marche", 3, ["Marché paysan", "Marché des créateurs"]),
    ("autre", 2, ["Chantier participatif", "Balade commentée"]),
]  # fmt: skip
AUDIENCES = [("tout-public", 50), ("familles", 15), ("enfants", 8), ("jeunes", 7),
             ("seniors", 8), ("professionnels", 8), ("membres", 4)]  # fmt: skip
PRICES = [("gratuit", 55), ("prix-libre", 25), ("prix-conseille", 10), ("payant", 10)]
TAGS = [
    "numérique", "réparation", "jardin", "gouvernance", "alimentation", "culture", "santé",
    "fabrication", "réseau", "vélo", "couture", "zéro déchet", "enfance", "musique",
    "cinéma", "emploi", "démarches en ligne", "bois", "énergie", "climat", "lecture",
    "jeux", "artisanat", "mobilité",
]  # fmt: skip
TRACKS = ["Faire ensemble", "Territoires"]
SESSION_TITLES = [
    "Plénière d'ouverture", "Gouvernance partagée", "Modèles économiques",
    "Accueillir tous les publics", "Numérique et inclusion", "Alimentation locale",
    "Retours d'expérience", "Restitution",
]  # fmt: skip
DESCRIPTION = (
    "Un rendez-vous de la **Quinzaine** à {place}, {town}.\n\n"
    "- ouvert à toutes et tous\n- accessible en transports en commun\n\n"
    "Venez comme vous êtes : on s'occupe du café."
)


def next_monday() -> dt.date:
    today = dt.datetime.now(PARIS).date()
    return today + dt.timedelta(days=7 - today.weekday())


def marker(seed: int, places: int, events: int, anchor: dt.date) -> str:
    return f"events-s{seed}-p{places}-e{events}-a{anchor.isoformat()}"


@dataclass
class PlaceDraft:
    town: Town
    name: str
    slug: str
    tz: ZoneInfo
    weight: float
    pk: int = 0


def existing_state(seed: int, places: int, events: int, anchor: dt.date) -> str:
    """ "same" (this data set is there), "empty", or "other"."""
    from tiers.accounts.models import User
    from tiers.events.models import Event
    from tiers.places.models import Place

    if not Place.objects.exists() and not User.objects.exists():
        return "empty"
    if not Place.objects.filter(
        source=SOURCE, source_id=marker(seed, places, events, anchor)
    ).exists():
        return "other"
    generated = Event.objects.exclude(slug__startswith=LOAD_PREFIX).count()
    return "same" if generated == events else "other"


def generate(
    *, towns: list[Town], seed: int, places: int, events: int, people: int, anchor: dt.date,
    verbose: bool,
) -> dict[str, Any]:  # fmt: skip
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils.text import slugify

    from tiers.accounts.models import User
    from tiers.core.text import fold
    from tiers.events.models import Event, Festival, Registration, Session, Tag
    from tiers.places.models import Network, Place, PlaceKind

    rng = random.Random(seed)
    started = time.perf_counter()

    def log(message: str) -> None:
        if verbose:
            print(f"  {time.perf_counter() - started:6.1f}s  {message}", flush=True)

    password = make_password(BENCH_PASSWORD)
    counts: dict[str, Any] = {}
    with transaction.atomic():
        users = [
            User(
                email=PEOPLE_EMAIL.format(i),
                display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                password=password,
            )
            for i in range(people)
        ]
        user_ids: list[int] = []
        for chunk in batched(users, 2000):
            user_ids.extend(u.pk for u in User.objects.bulk_create(chunk))
        assert all(user_ids), "bulk_create did not return primary keys"
        emails = {pk: u.email for pk, u in zip(user_ids, users, strict=True)}
        names = {pk: u.display_name for pk, u in zip(user_ids, users, strict=True)}
        log(f"{people} people")

        PlaceKind.objects.bulk_create(
            [PlaceKind(code=code) for code in NAME_HEADS], ignore_conflicts=True
        )
        drafts: list[PlaceDraft] = []
        slugs: set[str] = set()
        rows = []
        for i in range(places):
            town = rng.choice(towns)
            kind = rng.choice(list(NAME_HEADS))
            name = f"{rng.choice(NAME_HEADS[kind])} {rng.choice(NAME_TAILS)} de {town.name}"
            base = slugify(name)[:70].strip("-") or "lieu"
            slug, n = base, 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.add(slug)
            lat, lon = jitter(rng, town)
            zone = time_zone(town)
            short = f"Un tiers-lieu à {town.name}, qui participe à la Quinzaine."
            drafts.append(PlaceDraft(town, name, slug, ZoneInfo(zone), rng.lognormvariate(0, 0.7)))
            rows.append(
                Place(
                    name=name,
                    slug=slug,
                    status="open",
                    town=town.name,
                    postcode=town.postcode,
                    insee_code=town.insee,
                    latitude=lat,
                    longitude=lon,
                    time_zone=zone,
                    short_description=short,
                    address=f"{rng.randint(1, 90)} rue de la Gare",
                    source=SOURCE,
                    source_id=marker(seed, places, events, anchor) if i == 0 else f"ev-{i}",
                    search_text=fold(" ".join([name, town.name, town.postcode, short])),
                )
            )
        for draft, row in zip(
            drafts, Place.objects.bulk_create(rows, batch_size=1000), strict=True
        ):
            assert row.pk, "bulk_create did not return primary keys"
            draft.pk = row.pk
        PlaceKinds = Place.kinds.through
        PlaceKinds.objects.bulk_create(
            [PlaceKinds(place_id=d.pk, placekind_id=rng.choice(list(NAME_HEADS))) for d in drafts],
            batch_size=5000,
        )
        network = Network.objects.create(
            slug=NETWORK_SLUG, name="Bench — Réseau national des tiers-lieux",
            description="Le réseau qui organise la Quinzaine (données du banc d'essai).",
        )  # fmt: skip
        network.places.set([d.pk for d in drafts])
        network.coordinators.set(user_ids[:2])
        festival = Festival.objects.create(
            network=network, slug=FESTIVAL_SLUG, name="Bench — Quinzaine des tiers-lieux",
            theme="Faire ensemble", start_date=anchor,
            end_date=anchor + dt.timedelta(days=FESTIVAL_DAYS - 1), requires_approval=True,
            description="Quinze jours de portes ouvertes dans tous les tiers-lieux du réseau.",
        )  # fmt: skip
        log(f"{places} places in network {NETWORK_SLUG}, festival {FESTIVAL_SLUG}")

        Tag.objects.bulk_create([Tag(slug=slugify(t), name=t) for t in TAGS], ignore_conflicts=True)
        tag_slugs = [slugify(t) for t in TAGS]
        place_weights = [d.weight for d in drafts]
        kind_weights = [k[1] for k in KINDS]
        event_rows: list[Event] = []
        event_tags: list[list[str]] = []
        for i in range(events):
            place = rng.choices(drafts, weights=place_weights)[0]
            kind, _w, titles = rng.choices(KINDS, weights=kind_weights)[0]
            title = f"{rng.choice(titles)} — {place.town.name}"
            day = anchor + dt.timedelta(days=rng.randrange(FESTIVAL_DAYS))
            hour = rng.choice([9, 10, 10, 14, 14, 15, 17, 18, 18, 19, 20])
            minutes = rng.choice([0, 0, 0, 30])
            start = dt.datetime.combine(day, dt.time(hour, minutes), tzinfo=place.tz)
            hours = 6 if kind == "forum" else rng.choice([1, 1.5, 2, 2, 3, 4])
            end = start + dt.timedelta(hours=hours)
            if kind == "forum":
                end += dt.timedelta(days=1)
            status = rng.choices(["published", "cancelled", "draft"], weights=[95, 3, 2])[0]
            state = rng.choices(["accepted", "pending", "refused"], weights=[93, 4, 3])[0]
            price = rng.choices([p[0] for p in PRICES], weights=[p[1] for p in PRICES])[0]
            registration = rng.random() < 0.25 or kind == "forum"
            capacity = rng.choice([10, 12, 15, 20, 25, 30, 40, 60, 80]) if registration else None
            questions = (
                [{"label": "Régime alimentaire ?", "required": False}]
                if registration and rng.random() < 0.2
                else []
            )
            event_rows.append(
                Event(
                    place_id=place.pk,
                    title=title,
                    slug=f"{slugify(title)[:70]}-{day:%Y%m%d}-{i}",
                    kind=kind,
                    summary=f"{title}, pendant la Quinzaine.",
                    description=DESCRIPTION.format(place=place.name, town=place.town.name),
                    start=start.astimezone(dt.UTC),
                    end=end.astimezone(dt.UTC),
                    time_zone=str(place.tz),
                    audience=rng.choices(
                        [a[0] for a in AUDIENCES], weights=[a[1] for a in AUDIENCES]
                    )[0],
                    price_mode=price,
                    price_amount=(
                        rng.choice([5, 8, 10, 15, 25])
                        if price in ("prix-conseille", "payant")
                        else None
                    ),
                    status=status,
                    cancel_reason="Intervenant malade : reporté." if status == "cancelled" else "",
                    festival=festival,
                    festival_state=state,
                    registration_open=registration,
                    capacity=capacity,
                    max_seats_per_registration=4,
                    questions=questions,
                    accessibility="Accessible en fauteuil." if rng.random() < 0.4 else "",
                    created_by_id=rng.choice(user_ids),
                )
            )
            event_tags.append(rng.sample(tag_slugs, rng.choice([0, 1, 1, 2, 2, 3])))
        for chunk in batched(event_rows, 2000):
            created = Event.objects.bulk_create(chunk)
            assert all(e.pk for e in created), "bulk_create did not return primary keys"
        EventTags = Event.tags.through
        tag_rows = [
            EventTags(event_id=e.pk, tag_id=t)
            for e, tags in zip(event_rows, event_tags, strict=True)
            for t in tags
        ]
        EventTags.objects.bulk_create(tag_rows, batch_size=5000)
        log(f"{len(event_rows)} events, {len(tag_rows)} tags on them")

        session_rows = []
        for event in event_rows:
            if event.kind != "forum":
                continue
            local = event.start.astimezone(ZoneInfo(event.time_zone))
            count = rng.randint(4, 8)
            for n in range(count):
                begin = local + dt.timedelta(hours=(n // 2) * 2)
                session_rows.append(
                    Session(
                        event=event,
                        title=SESSION_TITLES[n % len(SESSION_TITLES)],
                        speakers=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        track=TRACKS[n % 2],
                        room_name=f"Salle {1 + n % 2}",
                        start=begin.astimezone(dt.UTC),
                        end=(begin + dt.timedelta(hours=2)).astimezone(dt.UTC),
                        capacity=rng.choice([None, None, 15]),
                    )
                )
        Session.objects.bulk_create(session_rows, batch_size=2000)
        log(f"{len(session_rows)} sessions")

        registrations = []
        for event in event_rows:
            if not event.registration_open or event.status != "published" or rng.random() > 0.4:
                continue
            assert event.capacity is not None
            wanted = rng.randint(1, event.capacity + event.capacity // 2)
            taken = 0
            queued = event.start - dt.timedelta(days=20)
            for user_id in rng.sample(user_ids, min(wanted, len(user_ids))):
                seats = rng.choices([1, 2, 3, 4], weights=[80, 12, 5, 3])[0]
                status = "confirmed" if taken + seats <= event.capacity else "waitlisted"
                if status == "confirmed":
                    taken += seats
                queued += dt.timedelta(minutes=rng.randint(1, 600))
                account = rng.random() < 0.6
                registrations.append(
                    Registration(
                        event=event,
                        user_id=user_id if account else None,
                        name=names[user_id],
                        seats=seats,
                        status=status,
                        email=emails[user_id]
                        if account
                        else f"invite.{event.pk}.{user_id}@{EMAIL_DOMAIN}",
                        queued_at=queued,
                        created_at=queued,
                        confirmed_at=queued if status == "confirmed" else None,
                    )
                )
        for chunk in batched(registrations, 5000):
            Registration.objects.bulk_create(chunk)
        log(f"{len(registrations)} registrations")
        counts.update(
            places=places, events=len(event_rows), sessions=len(session_rows),
            registrations=len(registrations), people=people,
        )  # fmt: skip
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=3000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--anchor", help="the festival's first day, YYYY-MM-DD (default: the next Monday)"
    )
    parser.add_argument(
        "--census", type=Path, default=Path(os.environ.get("TIERS_CENSUS_CSV", DEFAULT_CENSUS))
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help="drop and recreate the database when it holds other data (name must contain 'bench')",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    anchor = dt.date.fromisoformat(args.anchor) if args.anchor else next_monday()

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("Set DATABASE_URL (e.g. sqlite:////tmp/bench-events.sqlite3).", file=sys.stderr)
        return 2
    name, _config = database_name(url)
    if "bench" not in Path(name).name:
        print(f"Refusing to write into {name!r}: use a database whose name contains 'bench'.")
        return 2
    towns = load_towns(args.census)
    ensure_database(url)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    state = existing_state(args.seed, args.places, args.events, anchor)
    if state == "same":
        if not args.quiet:
            print(f"{name}: already holds this data set ({args.events} events), reused.")
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
            f"{name}: generating {args.places} places and {args.events} events, festival from "
            f"{anchor} (seed {args.seed})"
        )
    counts = generate(
        towns=towns, seed=args.seed, places=args.places, events=args.events,
        people=args.people, anchor=anchor, verbose=not args.quiet,
    )  # fmt: skip
    analyze()
    if not args.quiet:
        print(f"{name}: {counts}, done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
