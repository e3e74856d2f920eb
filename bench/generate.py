"""Generate a national-scale network of tiers-lieux into the database named by DATABASE_URL.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench .venv/bin/python bench/generate.py

Default size: 20,000 places, 50,000 people, a few memberships per place (every status, state
and role), ~50 networks with coordinators. Towns, postcodes and coordinates are drawn from the
real 2019 census of tiers-lieux (`data/cget-2019/tiers-lieux-2019.csv`, shipped with the
repository), jittered; names, kinds, opening hours and descriptions are generated.

The output only depends on the seed and the sizes. Rows are written with bulk_create, so what
`Place.save()` computes (`search_text`) is computed here the same way.

Reuse: when the database already holds exactly this data set (same seed and sizes), nothing is
written. When it holds something else, `--recreate` drops and recreates it first; that is only
allowed for a database whose name contains "bench", so that a mistyped DATABASE_URL can never
wipe real data.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CENSUS = REPO_DIR / "data" / "cget-2019" / "tiers-lieux-2019.csv"
SOURCE = "bench"
EMAIL_DOMAIN = "bench.example"
BENCH_PASSWORD = "tiers-bench"  # noqa: S105 - generated people of a benchmark database only
# Generated dates are relative to a fixed day, so that two runs with one seed are identical.
ANCHOR = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
EXIT_OTHER_DATA = 3


# --- vocabulary ----------------------------------------------------------------------------

KIND_WEIGHTS = {
    "coworking": 30, "fablab": 14, "epn": 14, "hybrid": 10, "cafe": 7, "workshop": 6,
    "cultural": 6, "rural": 5, "food": 4, "medialab": 3, "living_lab": 2, "other": 1,
}  # fmt: skip

NAME_HEADS = {
    "coworking": ["Coworking", "La Cantine", "Le Bureau partagé", "La Ruche", "Le Nid",
                  "La Station", "L'Escale", "Le Comptoir", "La Passerelle"],
    "fablab": ["FabLab", "Le Garage", "La Fabrique", "Makerspace", "Le Labo", "La Forge",
               "L'Établi numérique"],
    "epn": ["Espace numérique", "EPN", "Point numérique", "Cyber-base", "Le Clic",
            "Espace public numérique"],
    "medialab": ["Médialab", "Le Studio", "La Fabrique à récits", "Radio Tiers"],
    "living_lab": ["Living Lab", "Le Laboratoire vivant", "L'Atelier des usages"],
    "workshop": ["L'Atelier partagé", "L'Établi", "La Ressourcerie", "Le Repair Café",
                 "L'Atelier vélo"],
    "cafe": ["Café associatif", "Le Bistrot", "La Guinguette", "Le Café des Possibles",
             "L'Estaminet"],
    "food": ["La Ferme", "La Cuisine partagée", "La Légumerie", "Le Jardin", "Le Marché couvert"],
    "cultural": ["La Friche", "Le Hangar", "La Filature", "La Manufacture", "Le Théâtre"],
    "rural": ["La Grange", "Le Moulin", "La Maison commune", "Le Relais", "La Bergerie"],
    "hybrid": ["Le Quai", "La Coopérative", "Le Tiers-Lieu", "La Verrière", "L'Usine",
               "La Cour", "Le Chai", "Le Phare"],
    "other": ["La Maison", "L'Escale", "Le Local", "L'Abri"],
}  # fmt: skip
NAME_TAILS = [
    "des Possibles", "des Communs", "du Lien", "solidaire", "partagé", "des Savoirs",
    "des Idées", "du Faire", "en Commun", "des Rives", "du Canal", "de la Gare", "du Marché",
    "des Halles", "du Port", "des Tisserands", "des Tanneurs", "des Bruyères", "du Bocage",
    "des Forges", "du Vieux Pont", "de l'Écluse", "Nord", "Sud", "Centre", "des Lilas",
]  # fmt: skip

STREETS = [
    "rue de la République", "place de la Mairie", "avenue Jean Jaurès", "rue Victor Hugo",
    "quai des Tanneurs", "rue du Moulin", "chemin des Vignes", "boulevard Gambetta",
    "rue Pasteur", "rue de la Gare", "place du Marché", "allée des Tilleuls", "rue Jules Ferry",
    "impasse des Artisans", "rue Louise Michel", "route de la Forêt", "rue des Écoles",
    "lieu-dit La Bastide", "rue Émile Zola", "rue du Four", "cours de la Libération",
]  # fmt: skip

SHORT_TEMPLATES = [
    "Un lieu ouvert à {town} pour travailler, apprendre et faire ensemble.",
    "Coworking, ateliers et café au cœur de {town}.",
    "Des machines à partager et des ateliers pour toutes et tous à {town}.",
    "Aide au numérique gratuite, démarches en ligne et premiers pas à {town}.",
    "Un tiers-lieu porté par ses habitants : jardin, cuisine et atelier.",
    "Bureaux partagés, salle de réunion et événements près de la gare.",
    "Réparer, fabriquer, transmettre : l'atelier de quartier de {town}.",
    "Café associatif, concerts et repair café chaque mois.",
    "Médiation numérique, fablab et espace de travail partagé.",
    "Légumerie, cuisine partagée et marché paysan le vendredi soir.",
]  # fmt: skip

PARAGRAPHS = [
    "**{name}** accueille des indépendants, des salariés en télétravail, des associations et "
    "des habitants de {town} et des environs.",
    "Les machines (découpeuse laser, imprimantes 3D, fraiseuse numérique) sont accessibles "
    "après une courte *habilitation*, le mardi soir.",
    "Un café des possibles réunit chaque premier jeudi du mois celles et ceux qui portent un "
    "projet pour le territoire.",
    "L'équipe de médiation numérique accompagne les démarches administratives en ligne, sans "
    "rendez-vous le mercredi, sur rendez-vous les autres jours.",
    "Le lieu fonctionne grâce à ses résidents, qui partagent les coûts (loyer, énergie, "
    "internet, café) et le temps de la conciergerie.",
    "On y trouve :\n\n- des postes en open space\n- une salle de réunion de 12 places\n"
    "- une cuisine partagée\n- un atelier bois",
    "La documentation du lieu (statuts, code social, recettes d'ateliers) est publiée sous "
    "licence libre pour que d'autres puissent s'en inspirer.",
    "Installé dans une ancienne {building}, le lieu a été rénové en chantier participatif.",
    "Des ateliers pour les enfants ont lieu le mercredi après-midi et pendant les vacances "
    "scolaires.",
    "Le jardin partagé fournit la cantine du vendredi midi ; chacun apporte un plat.",
    "| Espace | Places |\n|---|---|\n| Open space | 20 |\n| Salle de réunion | 10 |\n"
    "| Atelier | 6 |",
    "Le lieu est membre de plusieurs réseaux régionaux et participe chaque année à la "
    "Quinzaine des tiers-lieux.",
]  # fmt: skip
BUILDINGS = ["gare", "usine textile", "grange", "école", "poste", "coopérative laitière",
             "caserne", "imprimerie", "menuiserie"]  # fmt: skip

SERVICES = [
    "Wi-Fi", "Imprimante", "Salle de réunion", "Café", "Découpeuse laser", "Imprimantes 3D",
    "Atelier bois", "Atelier électronique", "Aide aux démarches administratives",
    "Accès internet et matériel informatique", "Cuisine partagée", "Jardin partagé",
    "Réparation de vélos", "Studio radio", "Domiciliation", "Casiers",
]  # fmt: skip

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Alice", "Lina",
    "Sarah", "Julie", "Claire", "Anne", "Sophie", "Nathalie", "Isabelle", "Fatima", "Aïcha",
    "Mélanie", "Élodie", "Océane", "Maëlle", "Zoé", "Hélène", "Brigitte", "Martine", "Yasmine",
    "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Adam", "Raphaël", "Nathan", "Léo",
    "Thomas", "Nicolas", "Julien", "Pierre", "Antoine", "Mathieu", "Karim", "Mehdi", "Yannick",
    "Gaël", "Loïc", "Erwan", "Jean-Marc", "François", "Bernard", "Dominique", "Stéphane",
    "Théo", "Noé", "Mamadou", "Ousmane", "Kévin",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Müller", "Le Gall", "Le Goff", "Kerbrat", "Benali", "Haddad", "Nguyen", "Diallo",
    "Traoré", "Da Silva", "Pereira", "Garcia", "Martinez", "Lopez", "Chevalier", "Faure",
    "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chauvin", "Lemaire", "Barbier",
    "Giraud", "Brun", "Roy", "Noël", "Meyer", "Schmitt", "Colin", "Caron", "Perrin",
]  # fmt: skip
SKILLS = [
    "menuiserie", "impression 3D", "électronique", "couture", "graphisme", "développement web",
    "comptabilité", "animation", "jardinage", "cuisine", "vidéo", "médiation numérique",
    "réparation de vélos", "soudure", "facilitation", "photographie", "droit associatif",
]  # fmt: skip

# Opening hours: combined from parts, so that a network has hundreds of distinct expressions,
# plus a few hand-written ones using rarer parts of the OpenStreetMap syntax.
HOURS_DAYS = ["Mo-Fr", "Mo-Fr", "Mo-Fr", "Tu-Sa", "Mo-Sa", "Mo-Th", "We-Su", "Tu-Fr",
              "Mo,We,Fr", "Tu,Th"]  # fmt: skip
HOURS_TIMES = ["09:00-18:00", "08:30-19:00", "09:00-12:00,14:00-18:00", "10:00-19:00",
               "14:00-20:00", "08:00-20:00", "09:30-17:30", "10:00-12:30,13:30-18:00",
               "09:00-17:00", "13:30-18:30"]  # fmt: skip
HOURS_EXTRA = ["", "", "; Sa 10:00-13:00", "; Sa 09:00-12:00", "; Sa 10:00-18:00",
               "; Su 10:00-16:00", "; We 18:00-22:00"]  # fmt: skip
HOURS_CLOSING = ["", "", "; PH off", "; Aug off", "; Dec 24-Jan 01 off"]
HOURS_SPECIAL = [
    "24/7",
    'Mo-Fr 09:00-18:00; Sa 10:00-12:00 "sur rendez-vous"',
    "Jan-Jun,Sep-Dec: Mo-Fr 09:00-18:00; Jul-Aug: Mo-Fr 10:00-16:00",
    "We 14:00-18:00; Sa 10:00-17:00; week 01-53/2 Fr 18:00-22:00",
    "Tu-Sa 10:00-19:00; Mo 14:00-19:00; Su off",
    "Mo-Fr 09:00-18:00; Sa[1] 10:00-16:00",
    "Mo-Fr 08:30-19:00; Su,PH off",
    "Fr 16:00-19:00; Sa 09:00-12:00",
]  # fmt: skip

REGION_NETWORK_NAMES = ["Réseau des tiers-lieux {region}", "{region} Tiers-Lieux"]
THEMATIC_NETWORKS = [
    ("Réseau national des fablabs", "fablab"),
    ("Réseau des espaces publics numériques", "epn"),
    ("Coopérative des coworkings de territoire", "coworking"),
    ("Tiers-lieux nourriciers", "food"),
    ("Réseau des ateliers partagés", "workshop"),
    ("Cafés associatifs en réseau", "cafe"),
    ("Tiers-lieux ruraux", "rural"),
    ("Organisateurs de la Quinzaine des tiers-lieux", ""),
]

TIME_ZONES = {  # overseas departments, by postcode/INSEE prefix
    "971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
    "974": "Indian/Reunion", "976": "Indian/Mayotte",
}  # fmt: skip


@dataclass(frozen=True)
class Town:
    name: str
    postcode: str
    insee: str
    lat: float
    lon: float
    region: str
    department: str
    census_kind: str  # "coworking", "fablab" or "" (the census' TYPO)


@dataclass
class PlaceDraft:
    town: Town
    kinds: list[str]
    fields: dict[str, Any] = field(default_factory=dict)
    pk: int = 0


def load_towns(path: Path) -> list[Town]:
    """One entry per census row (so that big towns are drawn as often as they have places)."""
    towns = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                lat, lon = float(row["LAT"]), float(row["LONG"])
            except ValueError:
                continue
            name = (row["NOMCOM"] or row["COMINIT"]).strip()
            if not name:
                continue
            # The census has real gaps ("0" for an unknown postcode): kept as blanks.
            postcode = row["CP"] if len(row["CP"]) == 5 else ""
            insee = row["INSEECOM"] if len(row["INSEECOM"]) == 5 else ""
            typo = row["TYPO"].lower()
            kind = "fablab" if "fablab" in typo else "coworking" if "coworking" in typo else ""
            towns.append(
                Town(name, postcode, insee, lat, lon, row["NOMREG"], row["INSEEDEP"], kind)
            )
    if not towns:
        raise SystemExit(f"No usable row in {path}")
    return towns


def luhn_siret(rng: random.Random) -> str:
    """A 14-digit SIRET whose Luhn checksum is valid (what the place form accepts)."""
    digits = [rng.randrange(10) for _ in range(13)]
    for last in range(10):
        candidate = [*digits, last]
        total = 0
        for index, digit in enumerate(reversed(candidate)):
            value = digit * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError("unreachable")


def opening_hours(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.10:
        return ""
    if roll < 0.15:
        return rng.choice(HOURS_SPECIAL)
    return (
        f"{rng.choice(HOURS_DAYS)} {rng.choice(HOURS_TIMES)}"
        f"{rng.choice(HOURS_EXTRA)}{rng.choice(HOURS_CLOSING)}"
    )


def check_opening_hours() -> None:
    """Every expression the generator can produce parses (fail before writing anything)."""
    from tiers.places import hours

    expressions = set(HOURS_SPECIAL)
    for days in HOURS_DAYS:
        for times in HOURS_TIMES:
            for extra in HOURS_EXTRA:
                for closing in HOURS_CLOSING:
                    expressions.add(f"{days} {times}{extra}{closing}")
    bad = [e for e in expressions if hours.parse(e) is None]
    if bad:
        raise SystemExit(f"Invalid opening hours in the generator: {bad[:5]}")


def place_name(rng: random.Random, kind: str, town: Town) -> str:
    head = rng.choice(NAME_HEADS[kind])
    roll = rng.random()
    if roll < 0.45:
        return f"{head} {rng.choice(NAME_TAILS)}"
    if roll < 0.85:
        return f"{head} de {town.name}"
    return f"{head} {rng.choice(NAME_TAILS)} de {town.name}"


def draw_kinds(rng: random.Random, town: Town) -> list[str]:
    codes, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    count = rng.choices([1, 2, 3, 4], weights=[45, 35, 15, 5])[0]
    kinds: list[str] = []
    if town.census_kind and rng.random() < 0.6:
        kinds.append(town.census_kind)
    while len(kinds) < count:
        kind = rng.choices(codes, weights=weights)[0]
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def time_zone(town: Town) -> str:
    for prefix, zone in TIME_ZONES.items():
        if town.postcode.startswith(prefix) or town.insee.startswith(prefix):
            return zone
    if town.lon < -30:
        return "America/Martinique" if town.lat > 10 else "America/Cayenne"
    if town.lon > 40:
        return "Indian/Reunion"
    return "Europe/Paris"


def description(rng: random.Random, name: str, town: Town) -> str:
    paragraphs = rng.sample(PARAGRAPHS, rng.randint(1, 5))
    building = rng.choice(BUILDINGS)
    return "\n\n".join(p.format(name=name, town=town.name, building=building) for p in paragraphs)


def jitter(rng: random.Random, town: Town) -> tuple[float, float]:
    """A point a few km around the census place (sd ~3 km), so that towns are not one dot."""
    lat = town.lat + rng.gauss(0, 0.027)
    lon = town.lon + rng.gauss(0, 0.027 / max(math.cos(math.radians(town.lat)), 0.2))
    return round(max(-90.0, min(90.0, lat)), 6), round(max(-180.0, min(180.0, lon)), 6)


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- database handling (before Django opens any connection) --------------------------------


def database_name(url: str) -> tuple[str, dict[str, Any]]:
    import dj_database_url

    config: dict[str, Any] = dict(dj_database_url.parse(url))
    return str(config["NAME"]), config


def postgres_admin(config: dict[str, Any], *, autocommit: bool = True) -> Any:
    """A connection to the server's `postgres` database, to create, drop or inspect others."""
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        autocommit=autocommit,
    )


def recreate_database(url: str) -> None:
    """Drop and create the database; refused unless its name says it is a benchmark one."""
    name, config = database_name(url)
    if "bench" not in Path(name).name:
        raise SystemExit(f"Refusing to drop {name!r}: its name does not contain 'bench'.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        return
    from psycopg import sql

    with postgres_admin(config) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_database(url: str) -> None:
    """Create a missing PostgreSQL database (SQLite creates its file by itself)."""
    name, config = database_name(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        return
    from psycopg import sql

    with postgres_admin(config) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- generation ----------------------------------------------------------------------------


def marker(seed: int, places: int, people: int) -> str:
    """The source_id of the first place: says which data set the database holds."""
    return f"s{seed}-p{places}-u{people}-0"


def existing_state(seed: int, places: int, people: int) -> str:
    """ "same" (this data set is there), "empty", or "other"."""
    from tiers.accounts.models import User
    from tiers.places.models import Place

    if not Place.objects.exists() and not User.objects.exists():
        return "empty"
    same = (
        Place.objects.filter(source=SOURCE, source_id=marker(seed, places, people)).exists()
        and Place.objects.count() == places
        and User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count() == people
    )
    return "same" if same else "other"


def generate(*, towns: list[Town], places: int, people: int, seed: int, verbose: bool) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils.text import slugify

    from tiers.accounts.models import User
    from tiers.core.text import fold
    from tiers.places.models import Membership, Network, Place, PlaceKind

    rng = random.Random(seed)
    started = time.perf_counter()

    def log(message: str) -> None:
        if verbose:
            print(f"  {time.perf_counter() - started:6.1f}s  {message}", flush=True)

    password = make_password(BENCH_PASSWORD)  # one hash for everybody: hashing is slow
    with transaction.atomic():
        PlaceKind.objects.bulk_create(
            [PlaceKind(code=code) for code in KIND_WEIGHTS], ignore_conflicts=True
        )

        # People
        users = []
        for i in range(people):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = slugify(f"{first}.{last}").replace("-", ".")
            joined = ANCHOR - dt.timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))
            users.append(
                User(
                    email=f"{local}.{i}@{EMAIL_DOMAIN}",
                    display_name=f"{first} {last}",
                    password=password,
                    bio=(
                        f"{first} habite le quartier et aime transmettre."
                        if rng.random() < 0.3
                        else ""
                    ),
                    skills=", ".join(rng.sample(SKILLS, rng.randint(1, 3)))
                    if rng.random() < 0.4
                    else "",
                    language="en" if rng.random() < 0.05 else "fr",
                    email_verified_at=joined if rng.random() < 0.85 else None,
                    date_joined=joined,
                )
            )
        user_ids: list[int] = []
        for batch in batched(users, 2000):
            user_ids.extend(u.pk for u in User.objects.bulk_create(batch))
        assert all(user_ids), "bulk_create did not return primary keys"
        log(f"{len(user_ids)} people")

        # Places
        drafts: list[PlaceDraft] = []
        slugs: set[str] = set()
        for i in range(places):
            town = rng.choice(towns)
            kinds = draw_kinds(rng, town)
            name = place_name(rng, kinds[0], town)
            base = slugify(name)[:70].strip("-") or "lieu"
            slug, n = base, 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.add(slug)
            lat, lon = jitter(rng, town)
            short = rng.choice(SHORT_TEMPLATES).format(town=town.name)
            text = description(rng, name, town)
            roll = rng.random()
            legal_id = (
                luhn_siret(rng)
                if roll < 0.4
                else f"W{rng.randrange(10**9):09d}"
                if roll < 0.7
                else ""
            )
            status = rng.choices(["open", "project", "closed"], weights=[85, 10, 5])[0]
            created = ANCHOR - dt.timedelta(minutes=rng.randrange(6 * 365 * 24 * 60))
            fields = {
                "name": name,
                "slug": slug,
                "status": status,
                "short_description": short,
                "description": text,
                "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                "postcode": town.postcode,
                "town": town.name,
                "insee_code": town.insee,
                "latitude": lat,
                "longitude": lon,
                "opening_hours": opening_hours(rng),
                "time_zone": time_zone(town),
                "wheelchair": rng.choice(["", "full", "full", "partial", "none"]),
                "accessibility": (
                    "Entrée de plain-pied, toilettes adaptées." if rng.random() < 0.3 else ""
                ),
                "services": rng.sample(SERVICES, rng.randint(0, 5)),
                "legal_id": legal_id,
                "website": f"https://{slug}.example.org" if rng.random() < 0.7 else "",
                "links": ([f"https://social.example/@{slug[:30]}"] if rng.random() < 0.3 else []),
                "email": f"contact@{slug[:40]}.example.org" if rng.random() < 0.6 else "",
                "phone": f"0{rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
                if rng.random() < 0.5
                else "",
                "source": SOURCE,
                "source_id": marker(seed, places, people) if i == 0 else f"s{seed}-{i}",
                "created_at": created,
            }
            # What Place.save() stores, since bulk_create does not call it.
            fields["search_text"] = fold(" ".join([name, town.name, town.postcode, short, text]))
            drafts.append(PlaceDraft(town=town, kinds=kinds, fields=fields))
        for batch in batched(drafts, 1000):
            created_rows = Place.objects.bulk_create([Place(**d.fields) for d in batch])
            for draft, row in zip(batch, created_rows, strict=True):
                assert row.pk, "bulk_create did not return primary keys"
                draft.pk = row.pk
        log(f"{len(drafts)} places")

        PlaceKinds = Place.kinds.through
        kind_rows = [
            PlaceKinds(place_id=d.pk, placekind_id=kind) for d in drafts for kind in d.kinds
        ]
        for batch in batched(kind_rows, 5000):
            PlaceKinds.objects.bulk_create(batch)
        log(f"{len(kind_rows)} place kinds")

        # Memberships: a few per place, every status, state and role.
        memberships = []
        for draft in drafts:
            count = rng.choices(range(11), weights=[4, 6, 10, 14, 16, 14, 12, 9, 7, 5, 3])[0]
            members = rng.sample(user_ids, count)
            has_manager = False
            for user_id in members:
                state = rng.choices(
                    ["active", "pending", "ended", "declined"], weights=[65, 15, 12, 8]
                )[0]
                status = rng.choices(["resident", "user", "beneficiary"], weights=[35, 45, 20])[0]
                asked = draft.fields["created_at"] + dt.timedelta(
                    minutes=rng.randrange(3 * 365 * 24 * 60)
                )
                active = state == "active"
                manager = active and (not has_manager or rng.random() < 0.1)
                has_manager = has_manager or manager
                decided = state != "pending"
                memberships.append(
                    Membership(
                        place_id=draft.pk,
                        user_id=user_id,
                        status="resident" if manager else status,
                        state=state,
                        is_manager=manager,
                        is_concierge=active and status == "resident" and rng.random() < 0.4,
                        is_visible=rng.random() < 0.5,
                        message="Bonjour, je voudrais rejoindre le lieu."
                        if rng.random() < 0.3
                        else "",
                        requested_at=asked,
                        started_on=(asked + dt.timedelta(days=rng.randint(0, 20))).date()
                        if decided and state != "declined"
                        else None,
                        ended_on=(asked + dt.timedelta(days=rng.randint(30, 600))).date()
                        if state == "ended"
                        else None,
                        decided_by_id=members[0] if decided and members[0] != user_id else None,
                    )
                )
        for batch in batched(memberships, 5000):
            Membership.objects.bulk_create(batch)
        log(f"{len(memberships)} memberships")

        # Networks: regional, departmental and thematic ones, each with coordinators.
        by_region: dict[str, list[PlaceDraft]] = defaultdict(list)
        by_department: dict[str, list[PlaceDraft]] = defaultdict(list)
        by_kind: dict[str, list[PlaceDraft]] = defaultdict(list)
        for draft in drafts:
            by_region[draft.town.region].append(draft)
            by_department[draft.town.department].append(draft)
            for kind in draft.kinds:
                by_kind[kind].append(draft)
        specs: list[tuple[str, list[PlaceDraft], float]] = []
        for region in sorted(r for r in by_region if r):
            template = REGION_NETWORK_NAMES[len(specs) % len(REGION_NETWORK_NAMES)]
            specs.append((template.format(region=region), by_region[region], 0.4))
        for name, kind in THEMATIC_NETWORKS:
            specs.append((name, by_kind[kind] if kind else drafts, 0.3 if kind else 0.05))
        big_departments = sorted(
            (d for d in by_department if d), key=lambda d: (-len(by_department[d]), d)
        )
        for department in big_departments[: max(0, 50 - len(specs))]:
            main_town = max(
                {d.town.name for d in by_department[department]},
                key=lambda t: (sum(d.town.name == t for d in by_department[department]), t),
            )
            specs.append(
                (
                    f"Tiers-lieux autour de {main_town} ({department})",
                    by_department[department],
                    0.6,
                )
            )
        networks = []
        network_slugs: set[str] = set()
        for name, _members, _share in specs:
            slug = slugify(name)[:75]
            while slug in network_slugs:
                slug += "-2"
            network_slugs.add(slug)
            networks.append(
                Network(
                    name=name,
                    slug=slug,
                    description=f"{name} : entraide, formations et événements communs.",
                    website=f"https://{slug[:40]}.example.org",
                )
            )
        networks = Network.objects.bulk_create(networks)
        NetworkPlaces = Network.places.through
        NetworkCoordinators = Network.coordinators.through
        links: list[Any] = []
        coordinators: list[Any] = []
        for network, (_name, candidates, share) in zip(networks, specs, strict=True):
            chosen = [d for d in candidates if rng.random() < share]
            links.extend(NetworkPlaces(network_id=network.pk, place_id=d.pk) for d in chosen)
            coordinators.extend(
                NetworkCoordinators(network_id=network.pk, user_id=user_id)
                for user_id in rng.sample(user_ids, rng.randint(1, 4))
            )
        for batch in batched(links, 5000):
            NetworkPlaces.objects.bulk_create(batch)
        NetworkCoordinators.objects.bulk_create(coordinators)
        log(
            f"{len(networks)} networks, {len(links)} member places, {len(coordinators)} coordinators"
        )


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics, as autovacuum would soon after a big load.

    Not on SQLite: nothing in the application runs ANALYZE there, so the benchmark measures
    the planner as an installation would have it.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument(
        "--census",
        type=Path,
        default=Path(os.environ.get("TIERS_CENSUS_CSV", DEFAULT_CENSUS)),
        help="the 2019 census CSV (default: the one in data/cget-2019/)",
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help="drop and recreate the database when it holds other data (name must contain 'bench')",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("Set DATABASE_URL (e.g. sqlite:////tmp/bench.sqlite3).", file=sys.stderr)
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
    check_opening_hours()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    state = existing_state(args.seed, args.places, args.people)
    if state == "same":
        if not args.quiet:
            print(f"{name}: already holds this data set (seed {args.seed}), reused.")
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
            f"{name}: generating {args.places} places and {args.people} people (seed {args.seed})"
        )
    generate(
        towns=towns, places=args.places, people=args.people, seed=args.seed, verbose=not args.quiet
    )
    analyze()
    if not args.quiet:
        print(f"{name}: done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
