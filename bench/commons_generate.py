"""Generate a documentation commons for the commons benchmark into the database named by
DATABASE_URL.

    DATABASE_URL=sqlite:///$PWD/bench/results/tiers-bench-commons-100000.sqlite3 \\
        .venv/bin/python bench/commons_generate.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench_commons \\
        .venv/bin/python bench/commons_generate.py --pages 100000 --revisions 500000

100,000 pages and 500,000 revisions by default: French texts in Markdown of 1 to 20 kB
(log-normal, median 3.5 kB) built from a vocabulary of the tiers-lieux (headings, paragraphs,
lists, numbered steps, tables, task lists, external links and wiki links `[[Titre]]` and
`[[Titre|texte]]` to other pages, some to pages that do not exist: wanted pages); every kind
and licence; 0 to 4 tags of 40; owned by one of 2,000 places, one of 8 networks, or the whole
commons; a documentation tree of 300 pages (three levels) under each of 3 places.
Revisions are numbered 1..n per page (a heavy-tailed number of revisions per page, up to
several hundred), grow from ~40 % of the final text to the page's text, with authors among
3,000 people (and names only, as after an import), edit summaries, sizes and size changes,
a few reverts and hidden revisions. One more page, `bench-guide-complet-du-tiers-lieu`, has
two revisions of ~50 kB that differ in about twenty scattered places (the diff benchmark).
Each page's wiki links are in PageLink (the target's page, or none for a wanted page), its
tags in its M2M. The cached HTML is left empty (the first view renders it), as after an
import; the search index is then built with `tiers.commons.search.reindex_all()` (timed).

Rows are written with `bulk_create` with explicit primary keys for pages and revisions (the
commons tables are empty), one transaction per batch of pages; the links and tags last. The
rows only depend on the seed and the sizes. A database that already holds this data set is
reused (its search index is built again when the search code changed); otherwise
`--recreate` drops and recreates it, which is only allowed for a database whose name
contains "bench". `--report FILE` writes what was done and how long each part took (JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
from generate import (  # noqa: E402
    BENCH_PASSWORD,
    DEFAULT_CENSUS,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    NAME_HEADS,
    Town,
    analyze,
    batched,
    database_name,
    ensure_database,
    jitter,
    load_towns,
    place_name,
    recreate_database,
    time_zone,
)

SOURCE = "bench-commons"
INDEX_SOURCE_ID = "commons-search-index"
EXIT_OTHER_DATA = 3
PEOPLE_EMAIL = "doc.{}@" + EMAIL_DOMAIN
# Revisions are spread over the four years before this day (fixed: same seed, same rows).
END = dt.datetime(2026, 11, 1, 18, 0, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=4 * 365)
LONG_PAGE_TITLE = "Bench — Guide complet du tiers-lieu"
LONG_PAGE_BYTES = 50_000
NETWORK_SLUG = "bench-reseau-documentation-{}"
TREE_DEPTH = 3
GENERATOR_VERSION = 2  # changed whenever the rows it writes change

# --- vocabulary ----------------------------------------------------------------------------

KINDS = [("recette", 30), ("commun", 15), ("fiche-lieu", 10), ("guide", 20),
         ("compte-rendu", 15), ("page", 10)]  # fmt: skip
LICENCES = [("cc-by-sa-4.0", 70), ("cc-by-4.0", 12), ("cc0-1.0", 6), ("etalab-2.0", 7),
            ("cc-by-nc-sa-4.0", 5)]  # fmt: skip
TAGS = [
    "gouvernance", "numérique", "réparation", "jardin", "alimentation", "culture", "fablab",
    "coworking", "économie", "juridique", "bénévolat", "conciergerie", "énergie", "mobilité",
    "médiation numérique", "communs", "éducation", "santé", "habitat", "compostage",
    "financement", "accueil", "communication", "documentation", "événements", "artisanat",
    "bois", "textile", "vélo", "musique", "cuisine", "recyclage", "climat", "emploi",
    "formation", "enfance", "agriculture", "logiciel libre", "tiers-lieu rural", "réseau",
]  # fmt: skip
TOPICS = [
    "la gouvernance partagée", "le compostage collectif", "la conciergerie solidaire",
    "le café réparation", "l'atelier vélo", "la découpeuse laser", "l'imprimante 3D",
    "le budget participatif", "la charte d'utilisation", "les adhésions à prix libre",
    "la cuisine partagée", "le jardin partagé", "la médiation numérique", "le coworking",
    "les permanences d'accueil", "la comptabilité associative", "les statuts de la SCIC",
    "le bénévolat", "la ressourcerie", "l'éco-construction", "la fresque du climat",
    "le marché paysan", "la grainothèque", "la bibliothèque d'outils", "le repair café",
    "l'accueil des nouveaux membres", "les réunions d'équipe", "la prise de décision par "
    "consentement", "le forum ouvert", "les subventions publiques", "le mécénat",
    "la location de salles", "la domiciliation d'entreprises", "le fab manager",
    "l'animation de communauté", "les chantiers participatifs", "la monnaie locale",
    "le tri des déchets", "la sobriété énergétique", "les panneaux solaires", "le four à pain",
    "la presse à cidre", "le rucher", "la serre bioclimatique", "le poulailler",
    "les ateliers couture", "la sérigraphie", "la radio associative", "le ciné-club",
    "la ludothèque", "l'aide aux démarches en ligne", "les ateliers Arduino",
    "la fraiseuse numérique", "le studio vidéo", "la cantine du vendredi", "la légumerie",
    "les paniers solidaires", "le covoiturage", "l'autopartage", "le logiciel libre",
    "les données ouvertes", "la cartographie participative", "l'assurance du lieu",
    "la sécurité des machines", "l'accessibilité", "le règlement intérieur",
    "la convention d'occupation", "le bail précaire", "l'assemblée générale",
    "le conseil d'administration", "le modèle économique", "les tarifs du coworking",
    "le tableau de bord financier", "la communication sur les réseaux", "la newsletter",
    "l'accueil des scolaires", "les stages de troisième", "le service civique",
    "les résidences d'artistes", "la fête de quartier", "le vide-grenier",
    "l'atelier bois", "la soudure", "l'électronique de récupération", "les tiers-lieux ruraux",
]  # fmt: skip
TITLE_FORMS = [
    ("recette", "Recette : {topic}"), ("recette", "Comment organiser {topic}"),
    ("recette", "Code social : {topic}"), ("commun", "Fiche commun : {topic}"),
    ("commun", "{Topic}, un commun à partager"), ("fiche-lieu", "{place}"),
    ("fiche-lieu", "{place} : {topic}"), ("guide", "Guide : {topic}"),
    ("guide", "Bien démarrer avec {topic}"), ("guide", "{Topic} pas à pas"),
    ("compte-rendu", "Compte rendu : {topic} ({month})"),
    ("compte-rendu", "Réunion du {day} sur {topic}"), ("page", "{Topic} à {town}"),
    ("page", "Notes sur {topic}"),
]  # fmt: skip
# (subject, plural)
SUBJECTS = [
    ("L'équipe du lieu", False), ("La conciergerie", False), ("Chaque bénévole", False),
    ("Le collectif", False), ("L'association", False), ("La coopérative", False),
    ("Les habitants du quartier", True), ("Le fablab", False), ("Le comité de pilotage", False),
    ("La communauté", False), ("Un membre référent", False), ("Les résidents", True),
    ("Le fab manager", False), ("La coordinatrice", False), ("Le conseil d'administration", False),
    ("Un groupe de travail", False), ("Les usagers", True), ("La mairie", False),
    ("Le réseau régional", False), ("Une animatrice", False), ("Les bénévoles", True),
]  # fmt: skip
# (singular, plural)
VERBS = [
    ("organise", "organisent"), ("documente", "documentent"), ("anime", "animent"),
    ("finance", "financent"), ("répare", "réparent"), ("partage", "partagent"),
    ("accompagne", "accompagnent"), ("mutualise", "mutualisent"), ("prépare", "préparent"),
    ("coordonne", "coordonnent"), ("entretient", "entretiennent"), ("présente", "présentent"),
    ("recense", "recensent"), ("évalue", "évaluent"), ("facilite", "facilitent"),
    ("construit", "construisent"), ("améliore", "améliorent"), ("transmet", "transmettent"),
    ("valide", "valident"), ("décide de", "décident de"), ("planifie", "planifient"),
    ("expérimente", "expérimentent"), ("simplifie", "simplifient"), ("publie", "publient"),
]  # fmt: skip
OBJECTS = [
    "les ateliers de réparation", "la gouvernance partagée", "le compostage collectif",
    "les outils numériques", "la charte d'utilisation", "l'imprimante 3D",
    "la découpeuse laser", "les permanences d'accueil", "le budget participatif",
    "les jardins partagés", "la cuisine commune", "les adhésions", "la comptabilité",
    "les espaces de coworking", "la médiation numérique", "les clés et les badges",
    "le planning des salles", "les stocks de matériaux", "la documentation des machines",
    "les formations à la sécurité", "le tableau des tâches", "les demandes de subvention",
    "les comptes rendus", "la liste de diffusion", "l'inventaire des outils",
    "le calendrier des événements", "les relations avec les voisins", "le tri des déchets",
    "la consommation d'énergie", "les paniers de légumes", "les contrats de prêt",
    "l'accueil des nouveaux", "les règles de décision", "la caisse commune",
]  # fmt: skip
COMPLEMENTS = [
    "chaque premier mardi du mois", "avec les habitants du quartier", "en lien avec la mairie",
    "grâce aux dons", "selon la charte du lieu", "pour limiter les déchets",
    "depuis l'ouverture en 2019", "à prix libre", "sans subvention",
    "avec l'aide d'un tableur partagé", "pendant les vacances scolaires", "le samedi matin",
    "en binôme", "à tour de rôle", "avec un budget de quelques centaines d'euros",
    "en s'inspirant d'autres tiers-lieux", "après un vote en assemblée", "sur un wiki",
    "avec des bénévoles formés", "en moins d'une heure", "sans rendez-vous",
    "dans l'atelier du rez-de-chaussée", "au fil des saisons", "grâce au réseau régional",
]  # fmt: skip
OPENERS = ["", "", "", "", "Pour commencer, ", "Ensuite, ", "En pratique, ", "Attention : ",
           "Depuis deux ans, ", "Le plus souvent, ", "Au début, ", "Aujourd'hui, ",
           "En hiver, ", "Concrètement, "]  # fmt: skip
# Rarer words, each in few pages (searches that find a handful of pages).
RARE = [
    "levain", "scie sauteuse", "ponceuse orbitale", "thermoformeuse", "brodeuse numérique",
    "lombricomposteur", "bokashi", "permaculture", "hydroponie", "apiculture", "kombucha",
    "micro-brasserie", "typographie au plomb", "risographie", "cyanotype", "vannerie",
    "tressage d'osier", "enduit à la chaux", "isolation en paille", "poêle de masse",
    "éolienne artisanale", "vélo-cargo", "triporteur", "tiny house", "yourte",
    "zone blanche", "fibre optique", "Raspberry Pi", "Linux", "Nextcloud", "Mastodon",
    "OpenStreetMap", "Wikipédia", "Framasoft", "Dolibarr", "Garradin", "HelloAsso",
    "chèque emploi associatif", "mutuelle d'entreprise", "rescrit fiscal",
]  # fmt: skip
HEADINGS = [
    "Contexte", "Pourquoi", "Comment faire", "Retours d'expérience", "Les écueils",
    "Pour aller plus loin", "Ce qu'il faut savoir", "Historique", "Les rôles", "Le budget",
    "Les outils", "Questions fréquentes", "Ce qui a marché", "Ce qui n'a pas marché",
    "Prochaines étapes", "Organisation", "Sécurité", "Calendrier",
]  # fmt: skip
COMMENTS = [
    "", "", "", "Relecture", "Ajout des étapes", "Coquilles", "Mise à jour des tarifs",
    "Précisions sur le matériel", "Liens vers les pages voisines", "Nouvelle section",
    "Mise en forme", "Retour d'expérience de l'atelier", "Correction du tableau",
    "Ajout d'une photo", "Reformulation", "Mise à jour après l'assemblée générale",
]  # fmt: skip
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]  # fmt: skip
SITES = ["https://movilab.org", "https://france-tierslieux.fr", "https://www.service-public.fr",
         "https://framasoft.org", "https://www.associations.gouv.fr"]  # fmt: skip


@dataclass
class PageDraft:
    index: int  # the page's primary key is index + 1
    title: str
    slug: str
    kind: str
    licence: str
    place: int | None  # index in the places list
    network: int | None  # index in the networks list
    parent: int | None  # index of the parent page (always a lower index)
    position: int
    revisions: int
    tags: list[str]
    created: dt.datetime
    authors: list[int] = field(default_factory=list)  # indexes in the people list
    tree: int | None = None  # which tree place, for pages of a documentation tree
    depth: int = 0


def marker(seed: int, pages: int, revisions: int, **others: int) -> str:
    """Says which data set a database holds: the sizes, and a digest of the other parameters
    and of the generator's version."""
    shape = json.dumps({"version": GENERATOR_VERSION, **others}, sort_keys=True)
    digest = hashlib.sha256(shape.encode()).hexdigest()[:10]
    return f"commons-s{seed}-p{pages}-r{revisions}-{digest}"


def search_digest() -> str:
    """What the search index depends on: the search code and the commons' migrations."""
    digest = hashlib.sha256()
    app = REPO_DIR / "src" / "tiers" / "commons"
    for path in sorted([app / "search.py", *(app / "migrations").glob("*.py")]):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def existing_state(mark: str, pages: int, revisions: int) -> str:
    """ "same" (this data set is there), "empty", or "other"."""
    from tiers.accounts.models import User
    from tiers.commons.models import Page, Revision
    from tiers.places.models import Place

    if not Page.objects.exists() and not Place.objects.exists() and not User.objects.exists():
        return "empty"
    same = (
        Place.objects.filter(source=SOURCE, source_id=mark).exists()
        and Page.objects.count() == pages
        and Revision.objects.count() == revisions
    )
    return "same" if same else "other"


# --- texts ---------------------------------------------------------------------------------


class Writer:
    """French Markdown texts from the vocabulary above; every draw from one seeded Random."""

    def __init__(self, rng: random.Random, sentences: int = 30_000) -> None:
        self.rng = rng
        self.notes = 0
        self.sentences = [self.sentence() for _ in range(sentences)]

    def sentence(self) -> str:
        rng = self.rng
        subject, plural = rng.choice(SUBJECTS)
        opener = rng.choice(OPENERS)
        if opener:
            subject = subject[0].lower() + subject[1:]
        verb = rng.choice(VERBS)[1 if plural else 0]
        thing = rng.choice(OBJECTS)
        if rng.random() < 0.08:
            thing = f"**{thing}**"
        text = f"{opener}{subject} {verb} {thing}"
        roll = rng.random()
        if roll < 0.06:
            text += f" avec {'une' if roll < 0.03 else 'un'} {rng.choice(RARE)}"
        elif roll < 0.25:
            text += f" pour {rng.choice(TOPICS)}"
        text += f" {rng.choice(COMPLEMENTS)}"
        if rng.random() < 0.05:
            text += f" (voir [le site]({rng.choice(SITES)}))"
        return text.replace("de le ", "du ").replace("de les ", "des ") + "."

    def paragraph(self, links: list[str]) -> str:
        rng = self.rng
        picked = rng.choices(self.sentences, k=rng.randint(2, 6))
        if links and rng.random() < 0.5:
            title = links.pop()
            if rng.random() < 0.5:
                picked.append(f"Voir aussi [[{title}]].")
            else:
                words = rng.choice(["cette fiche", "la recette", "le guide", "ce retour"])
                picked.insert(1, f"Nous suivons [[{title}|{words}]] depuis le début.")
        return " ".join(picked)

    def section(self, links: list[str]) -> str:
        rng = self.rng
        roll = rng.random()
        level = "##" if rng.random() < 0.8 else "###"
        heading = f"{level} {rng.choice(HEADINGS)}\n\n"
        if roll < 0.45:
            return heading + "\n\n".join(self.paragraph(links) for _ in range(rng.randint(1, 3)))
        if roll < 0.6:
            items = rng.choices(self.sentences, k=rng.randint(3, 8))
            return heading + "\n".join(f"- {s}" for s in items)
        if roll < 0.75:
            items = rng.choices(self.sentences, k=rng.randint(3, 9))
            return "## Étapes\n\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(items, 1))
        if roll < 0.85:
            rows = [
                f"| {rng.choice(OBJECTS).capitalize()} | {rng.randint(1, 400) * 5} € "
                f"| {rng.choice(COMPLEMENTS)} |"
                for _ in range(rng.randint(3, 10))
            ]
            table = "| Poste | Coût annuel | Remarque |\n|---|---:|---|\n" + "\n".join(rows)
            return "## Le budget\n\n" + table
        if roll < 0.92:
            items = rng.choices(OBJECTS, k=rng.randint(3, 6))
            boxes = "\n".join(f"- [{'x' if rng.random() < 0.5 else ' '}] {o}" for o in items)
            return "## À faire\n\n" + boxes
        self.notes += 1
        note = f"[^{self.notes}]"
        return f"{heading}{self.paragraph(links)}{note}\n\n{note}: {rng.choice(self.sentences)}"

    def body(self, target: int, links: list[str], intro: str) -> list[str]:
        """The sections of a text of about `target` bytes (a little more); every link in
        `links` appears once (those left over go to "Voir aussi")."""
        rng = self.rng
        self.notes = 0
        links = list(links)
        rng.shuffle(links)
        sections = [intro + " " + self.paragraph(links)]
        size = len(sections[0]) + 20
        while size < target:
            section = self.section(links)
            sections.append(section)
            size += len(section) + 30  # accents: ~3 % more bytes than characters
        if links:
            sections.append("## Voir aussi\n\n" + "\n".join(f"- [[{t}]]" for t in links))
        return sections


def text_size(rng: random.Random) -> int:
    """Bytes of a page's text: log-normal, median 3.5 kB, between 1 and 20 kB."""
    return int(min(20_000, max(1_000, rng.lognormvariate(math.log(3_500), 0.75))))


def long_revisions(writer: Writer, rng: random.Random) -> tuple[str, str]:
    """Two texts of ~50 kB that differ in about twenty scattered places: words replaced, a
    sentence added, a line removed, a table cell changed."""
    sections = writer.body(LONG_PAGE_BYTES, [], "Ce guide rassemble tout.")
    while len("\n\n".join(sections).encode()) < LONG_PAGE_BYTES + 1_000:
        sections.append(writer.section([]))
    old = "\n\n".join(sections)
    lines = old.split("\n")
    candidates = [i for i, line in enumerate(lines) if len(line) > 40]
    picked = sorted(rng.sample(candidates, 20))
    for n, i in enumerate(picked):
        line = lines[i]
        change = n % 4
        if change == 0:
            words = line.split(" ")
            j = rng.randrange(1, len(words))
            words[j] = rng.choice(["collectivement", "ensemble", "désormais", "souvent"])
            lines[i] = " ".join(words)
        elif change == 1:
            lines[i] = line + " " + rng.choice(writer.sentences)
        elif change == 2:
            lines[i] = ""
        else:
            lines[i] = line.replace(" ", " vraiment ", 1)
    return old, "\n".join(lines)


# --- generation ----------------------------------------------------------------------------


def insert(model: Any, rows: Sequence[Any], *, with_pk: bool = True) -> None:
    """INSERT the rows (model instances) with one `executemany`: what `bulk_create` writes,
    without its cost per object (a million rows here). `with_pk=False`: the database
    numbers them."""
    from django.db import connection, models

    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    quote = connection.ops.quote_name
    # identifiers from the models, quoted by the backend; the values go as parameters
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # only these need the field's conversion (JSON, time zones); the others go as they are
    converted = (models.JSONField, models.DateTimeField)
    plan = [(f.attname, f if isinstance(f, converted) else None) for f in fields]
    params = [
        [
            getattr(row, name) if f is None else f.get_db_prep_save(getattr(row, name), connection)
            for name, f in plan
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a round trip per row
            copy_sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, params)


def generate(
    *, towns: list[Town], mark: str, seed: int, pages: int, revisions: int, places: int, people: int,
    networks: int, tree_places: int, tree_size: int, batch: int, verbose: bool,
) -> dict[str, Any]:  # fmt: skip
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils.text import slugify

    from tiers.accounts.models import User
    from tiers.commons.models import Page, PageLink, Revision, Tag
    from tiers.commons.text import slug_of
    from tiers.core.text import fold
    from tiers.places.models import Network, Place, PlaceKind

    rng = random.Random(seed)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def log(message: str) -> None:
        if verbose:
            print(f"  {time.perf_counter() - started:6.1f}s  {message}", flush=True)

    # People, places and networks ----------------------------------------------------------
    password = make_password(BENCH_PASSWORD)
    with transaction.atomic():
        users = [
            User(
                email=PEOPLE_EMAIL.format(i),
                display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                password=password,
            )
            for i in range(people)
        ]
        for chunk in batched(users, 2000):
            User.objects.bulk_create(chunk)
        assert all(u.pk for u in users), "bulk_create did not return primary keys"
        PlaceKind.objects.bulk_create(
            [PlaceKind(code=code) for code in NAME_HEADS], ignore_conflicts=True
        )
        place_rows: list[Place] = []
        slugs: set[str] = set()
        for i in range(places):
            town = rng.choice(towns)
            name = place_name(rng, rng.choice(list(NAME_HEADS)), town)
            base = slugify(name)[:70].strip("-") or "lieu"
            slug, n = base, 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.add(slug)
            lat, lon = jitter(rng, town)
            short = f"Un tiers-lieu à {town.name} qui documente ce qu'il fait."
            place_rows.append(
                Place(
                    name=name, slug=slug, status="open", town=town.name,
                    postcode=town.postcode, insee_code=town.insee, latitude=lat,
                    longitude=lon, time_zone=time_zone(town), short_description=short,
                    source=SOURCE,
                    # the data set's marker is written on the first place when all is done
                    source_id="commons-pending" if i == 0 else f"doc-{i}",
                    search_text=fold(" ".join([name, town.name, town.postcode, short])),
                )
            )  # fmt: skip
        Place.objects.bulk_create(place_rows, batch_size=1000)
        assert all(p.pk for p in place_rows), "bulk_create did not return primary keys"
        network_rows = [
            Network.objects.create(
                slug=NETWORK_SLUG.format(n + 1),
                name=f"Bench — Réseau documentation {n + 1}",
                description="Un réseau qui documente ses pratiques (données du banc d'essai).",
            )
            for n in range(networks)
        ]
        for n, network in enumerate(network_rows):
            network.places.set([p.pk for p in place_rows[n::networks][:300]])
        Tag.objects.bulk_create([Tag(slug=slugify(t), name=t) for t in TAGS], ignore_conflicts=True)
    timings["people_places_s"] = round(time.perf_counter() - started, 1)
    log(f"{people} people, {places} places, {networks} networks, {len(TAGS)} tags")

    # The pages' titles, owners, trees, revision counts -------------------------------------
    place_weights = [rng.lognormvariate(0, 1.0) for _ in range(places)]
    # the tree places are the first ones; their pages are all in their trees
    for i in range(tree_places):
        place_weights[i] = 0.0
    place_cum = list(itertools.accumulate(place_weights))
    kind_names, kind_weights = [k for k, _ in KINDS], [w for _, w in KINDS]
    licence_names, licence_weights = [c for c, _ in LICENCES], [w for _, w in LICENCES]
    used_slugs: set[str] = set()

    def title_for(kind: str, place: int | None) -> str:
        forms = [f for k, f in TITLE_FORMS if k == kind]
        form = rng.choice(forms)
        topic = rng.choice(TOPICS)
        town = rng.choice(towns).name
        day = END - SPAN * rng.random()
        place_label = place_rows[place].name if place is not None else f"Tiers-lieu de {town}"
        title = form.format(
            topic=topic, Topic=topic[0].upper() + topic[1:], place=place_label, town=town,
            month=f"{MONTHS[day.month - 1]} {day.year}",
            day=f"{day.day} {MONTHS[day.month - 1]} {day.year}",
        )  # fmt: skip
        if "{town}" not in form and "{place}" not in form and rng.random() < 0.6:
            title += f" — {town}" if place is None else f" — {place_rows[place].town}"
        slug = slug_of(title)
        n = 2
        while slug in used_slugs or not slug:
            candidate = f"{title} ({n})"
            slug, n = slug_of(candidate), n + 1
            if slug not in used_slugs:
                title = candidate
        used_slugs.add(slug)
        return title

    drafts: list[PageDraft] = []
    positions: dict[tuple[Any, ...], int] = {}

    def add(kind: str, place: int | None, network: int | None, parent: int | None,
            tree: int | None = None, depth: int = 0, title: str = "") -> PageDraft:  # fmt: skip
        key = (place, network, parent)
        positions[key] = positions.get(key, -1) + 1
        title = title or title_for(kind, place)
        created = END - SPAN * (rng.random() ** 0.8)
        draft = PageDraft(
            index=len(drafts), title=title, slug=slug_of(title), kind=kind,
            licence=rng.choices(licence_names, weights=licence_weights)[0], place=place,
            network=network, parent=parent, position=positions[key], revisions=1,
            tags=rng.sample(TAGS, rng.choices([0, 1, 2, 3, 4], weights=[15, 30, 30, 15, 10])[0]),
            created=created, tree=tree, depth=depth,
        )  # fmt: skip
        drafts.append(draft)
        return draft

    for t in range(min(tree_places, places)):
        members: list[PageDraft] = []
        for n in range(tree_size):
            kind = rng.choices(kind_names, weights=kind_weights)[0]
            roots = max(1, tree_size // 25)
            if n < roots:
                members.append(add(kind, t, None, None, tree=t))
                continue
            near = [m for m in members[-60:] if m.depth < TREE_DEPTH - 1]
            parent = rng.choice(near or members[:roots])
            members.append(add(kind, t, None, parent.index, tree=t, depth=parent.depth + 1))
    long_page = add("guide", None, None, None, title=LONG_PAGE_TITLE)
    long_page.revisions = 2
    long_page.slug = slug_of(LONG_PAGE_TITLE)
    used_slugs.add(long_page.slug)
    while len(drafts) < pages:
        roll = rng.random()
        kind = rng.choices(kind_names, weights=kind_weights)[0]
        if roll < 0.45 and places > tree_places:
            place = rng.choices(range(places), cum_weights=place_cum)[0]
            add(kind, place, None, None)
        elif roll < 0.6 and networks:
            add(kind, None, rng.randrange(networks), None)
        else:
            add(kind, None, None, None)
    # Revisions per page: at least one, the others drawn with heavy-tailed weights.
    extra = revisions - sum(d.revisions for d in drafts)
    if extra < 0:
        raise SystemExit(f"--revisions must be at least {sum(d.revisions for d in drafts)}")
    others = [d for d in drafts if d is not long_page]
    weights = [min(rng.paretovariate(1.3), 120.0) for _ in others]
    for d in rng.choices(others, weights=weights, k=extra):
        d.revisions += 1
    for d in drafts:
        d.authors = [int(rng.paretovariate(1.1) * 7) % people for _ in range(min(d.revisions, 5))]
    timings["plan_s"] = round(time.perf_counter() - started - sum(timings.values()), 1)
    log(f"{len(drafts)} pages planned, {revisions} revisions (largest history: "
        f"{max(d.revisions for d in drafts)})")  # fmt: skip

    # Links: most to existing pages (popular ones more), some to pages that do not exist.
    popularity = list(itertools.accumulate(rng.lognormvariate(0, 1.5) for _ in drafts))
    wanted_titles = []
    for _n in range(max(100, pages // 25)):
        topic = rng.choice(TOPICS)
        title = f"{topic[0].upper()}{topic[1:]} à {rng.choice(towns).name}"
        if slug_of(title) not in used_slugs:
            wanted_titles.append(title)
    wanted_weights = list(itertools.accumulate(1 / (n + 1) for n in range(len(wanted_titles))))

    writer = Writer(rng)
    log(f"{len(writer.sentences)} sentences of vocabulary")
    long_old, long_new = long_revisions(writer, rng)

    # Pages and their revisions, one transaction per batch -----------------------------------
    style = no_style()
    link_rows: list[tuple[int, str, str, int | None]] = []
    tag_rows: list[tuple[int, str]] = []
    tag_ids = dict(Tag.objects.values_list("name", "pk"))
    revision_id = 0
    total_bytes = page_bytes = 0
    insert_started = time.perf_counter()
    writing = 0.0
    for chunk in batched(drafts, batch):
        page_rows: list[Page] = []
        revision_rows: list[Revision] = []
        for d in chunk:
            summary = rng.choice(writer.sentences)[:300]
            facts: dict[str, Any] = {}
            if d.kind == "recette" and rng.random() < 0.5:
                facts = {"needs": rng.sample(OBJECTS, 3), "duration": "2 heures"}
            elif d.kind == "fiche-lieu" and rng.random() < 0.5:
                facts = {"opened": str(rng.randint(2005, 2025)), "legal_form": "SCIC"}
            # the page's wiki links
            targets: dict[str, str] = {}
            if d is not long_page:
                count = rng.choices([0, 1, 2, 3, 4, 6, 8, 12], weights=[5, 10, 15, 20, 20, 15, 10, 5])[0]  # fmt: skip
                for target in rng.choices(drafts, cum_weights=popularity, k=count):
                    if target is not d:
                        targets[target.slug] = target.title
                if d.parent is not None:
                    targets[drafts[d.parent].slug] = drafts[d.parent].title
                if rng.random() < 0.25:
                    title = rng.choices(wanted_titles, cum_weights=wanted_weights)[0]
                    targets[slug_of(title)] = title
            if d is long_page:
                bodies = [long_old, long_new]
            else:
                intro = f"**{d.title}** : {summary}"
                sections = writer.body(text_size(rng), list(targets.values()), intro)
                bodies = []
                n = d.revisions
                for k in range(1, n + 1):
                    if k == n:
                        bodies.append("\n\n".join(sections))
                        continue
                    cut = max(1, round(len(sections) * (0.4 + 0.6 * (k - 1) / max(1, n - 1))))
                    cut = min(cut, len(sections))
                    draft_body = sections[:cut]
                    draft_body[-1] = draft_body[-1] + " " + rng.choice(writer.sentences)
                    bodies.append("\n\n".join(draft_body))
            # revision times: after the page's creation, in order
            times = sorted(d.created + (END - d.created) * rng.random() for _ in bodies[1:])
            times.insert(0, d.created)
            tags = d.tags
            previous = 0
            last_size = 0
            for k, (body, when) in enumerate(zip(bodies, times, strict=True), 1):
                revision_id += 1
                reverted_to = None
                action = "create" if k == 1 else "edit"
                if 2 < k < len(bodies) and rng.random() < 0.02:
                    action, reverted_to, body = "revert", k - 2, bodies[k - 3]
                    bodies[k - 1] = body
                size = len(body.encode())
                author = rng.choice(d.authors)
                named_only = author % 4 == 3  # one in four authors came from an imported wiki
                user = users[author]
                hidden = k < len(bodies) and rng.random() < 0.002
                revision_rows.append(
                    Revision(
                        id=revision_id, page_id=d.index + 1, number=k, action=action,
                        title=d.title, summary=summary, kind=d.kind, licence=d.licence,
                        tags=tags, facts=facts, body=body,
                        comment="Création de la page" if k == 1 else rng.choice(COMMENTS),
                        author_id=None if named_only else user.pk,
                        author_name=f"{user.display_name.split()[0]}{author}"
                        if named_only else user.display_name,
                        created_at=when, size=size, size_delta=size - previous,
                        reverted_to=reverted_to, hidden=hidden,
                        hidden_reason="Vandalisme" if hidden else "",
                    )
                )  # fmt: skip
                previous = size
                total_bytes += size
                last_size = size
            page_bytes += last_size
            page_rows.append(
                Page(
                    id=d.index + 1, title=d.title, slug=d.slug, summary=summary, kind=d.kind,
                    licence=d.licence,
                    place_id=place_rows[d.place].pk if d.place is not None else None,
                    network_id=network_rows[d.network].pk if d.network is not None else None,
                    parent_id=d.parent + 1 if d.parent is not None else None,
                    position=d.position, body=bodies[-1], facts=facts,
                    current_revision_id=revision_id, revision_number=len(bodies), html="",
                    created_by_id=None if d.authors[0] % 4 == 3 else users[d.authors[0]].pk,
                    created_at=d.created, updated_at=times[-1],
                )
            )  # fmt: skip
            for slug, title in targets.items():
                link_rows.append((d.index + 1, slug, title, None))
            tag_rows.extend((d.index + 1, t) for t in tags)
        built = time.perf_counter()
        with transaction.atomic():
            insert(Page, page_rows)
            insert(Revision, revision_rows)
        writing += time.perf_counter() - built
        if verbose and (chunk[-1].index + 1) % (batch * 10) == 0:
            log(f"{chunk[-1].index + 1} pages, {revision_id} revisions, "
                f"{total_bytes / 1e6:.0f} MB of text")  # fmt: skip
    timings["pages_revisions_s"] = round(time.perf_counter() - insert_started, 1)
    timings["pages_revisions_writing_s"] = round(writing, 1)
    if len(drafts) % (batch * 10):
        log(f"{len(drafts)} pages, {revision_id} revisions, {total_bytes / 1e6:.0f} MB of text")

    step = time.perf_counter()
    page_ids = {d.slug: d.index + 1 for d in drafts}
    PageTags = Page.tags.through
    with transaction.atomic():
        for chunk in batched(link_rows, 10_000):
            insert(PageLink, [
                PageLink(source_id=s, target_slug=slug, target_title=title[:200],
                         target_id=page_ids.get(slug))
                for s, slug, title, _t in chunk
            ], with_pk=False)  # fmt: skip
        for chunk in batched(tag_rows, 10_000):
            insert(
                PageTags, [PageTags(page_id=p, tag_id=tag_ids[name]) for p, name in chunk],
                with_pk=False,
            )  # fmt: skip
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(style, [Page, Revision]):
                cursor.execute(sql)
        Place.objects.filter(pk=place_rows[0].pk).update(source_id=mark)
    wanted = sum(1 for _s, slug, _t, _x in link_rows if slug not in page_ids)
    timings["links_tags_s"] = round(time.perf_counter() - step, 1)
    log(f"{len(link_rows)} wiki links ({wanted} to wanted pages), {len(tag_rows)} tags on pages")
    busiest = max(drafts, key=lambda d: d.revisions)
    trees = [sum(1 for d in drafts if d.tree == t) for t in range(min(tree_places, places))]
    return {
        "pages": len(drafts),
        "revisions": revision_id,
        "revision_text_mb": round(total_bytes / 1e6, 1),
        "page_text_mb": round(page_bytes / 1e6, 1),
        "page_text_mean_bytes": round(page_bytes / len(drafts)),
        "links": len(link_rows),
        "wanted_links": wanted,
        "page_tags": len(tag_rows),
        "people": people,
        "places": places,
        "networks": networks,
        "trees": {place_rows[t].slug: size for t, size in enumerate(trees)},
        "busiest_page": {"slug": busiest.slug, "revisions": busiest.revisions},
        "long_page": {"slug": long_page.slug, "bytes": [len(long_old.encode()),
                                                        len(long_new.encode())]},
        "timings": timings,
    }  # fmt: skip


def build_search_index(verbose: bool) -> dict[str, Any]:
    """`tiers.commons.search.reindex_all()`, timed, when the search module has it; the
    digest of the search code is kept so that a reused database is indexed again after a
    change of it."""
    from django.db import connection, transaction

    from tiers.commons import search
    from tiers.places.models import Place

    digest = search_digest()
    reindex = getattr(search, "reindex_all", None)
    if reindex is None:
        if verbose:
            print("  tiers.commons.search has no reindex_all(): no search index built")
        return {"built": False, "reason": "tiers.commons.search.reindex_all() does not exist"}
    drop = getattr(search, "schema_statements", None)
    if drop is not None:
        # From an empty index, as after generating (a reused database may hold an index
        # written by an older version of the search code, in an older shape).
        with connection.cursor() as cursor:
            for statement in drop(connection.vendor, drop=True):
                cursor.execute(statement)
    started = time.perf_counter()
    result = reindex()
    seconds = time.perf_counter() - started
    with transaction.atomic():
        Place.objects.filter(source=SOURCE, source_id__startswith=INDEX_SOURCE_ID).delete()
        first = Place.objects.filter(source=SOURCE).order_by("pk").first()
        assert first is not None
        Place.objects.create(
            name="Bench — index de recherche", slug=f"bench-commons-index-{digest}",
            source=SOURCE, source_id=f"{INDEX_SOURCE_ID}-{digest}", status="closed",
            town=first.town, time_zone=first.time_zone,
        )  # fmt: skip
    if verbose:
        print(f"  search index built in {seconds:.1f}s ({result!r})", flush=True)
    return {"built": True, "seconds": round(seconds, 1), "digest": digest, "result": repr(result)}


def index_state() -> str:
    """The digest of the search code the database was indexed with, or ""."""
    from tiers.places.models import Place

    row = Place.objects.filter(source=SOURCE, source_id__startswith=INDEX_SOURCE_ID).first()
    return row.source_id.removeprefix(f"{INDEX_SOURCE_ID}-") if row else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--revisions", type=int, default=500_000)
    parser.add_argument("--places", type=int, default=2000)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--networks", type=int, default=8)
    parser.add_argument("--tree-places", type=int, default=3, help="places with a big tree")
    parser.add_argument("--tree-size", type=int, default=300, help="pages in each tree")
    parser.add_argument("--batch", type=int, default=1000, help="pages per transaction")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--census", type=Path, default=Path(os.environ.get("TIERS_CENSUS_CSV", DEFAULT_CENSUS))
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help="drop and recreate the database when it holds other data (name must contain 'bench')",
    )
    parser.add_argument("--no-index", action="store_true", help="do not build the search index")
    parser.add_argument("--report", type=Path, help="write what was done here (JSON)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.revisions < args.pages + 1:
        parser.error("--revisions must be more than --pages")
    if args.tree_places * args.tree_size >= args.pages:
        parser.error("the trees (--tree-places x --tree-size) must be smaller than --pages")

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("Set DATABASE_URL (e.g. sqlite:////tmp/bench-commons.sqlite3).", file=sys.stderr)
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
    from django.conf import settings

    # A development environment may have DEBUG on: no query log for a million rows.
    settings.DEBUG = False
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    mark = marker(
        args.seed, args.pages, args.revisions, places=args.places, people=args.people,
        networks=args.networks, tree_places=args.tree_places, tree_size=args.tree_size,
    )  # fmt: skip
    state = existing_state(mark, args.pages, args.revisions)
    report: dict[str, Any] = {"database": name, "state": state}
    verbose = not args.quiet
    if state == "same":
        if verbose:
            print(f"{name}: already holds this data set ({args.pages} pages), reused.")
    else:
        if state == "other":
            if not args.recreate:
                print(f"{name} holds other data; run again with --recreate.", file=sys.stderr)
                return EXIT_OTHER_DATA
            from django.db import connections

            connections.close_all()
            recreate_database(url)
            call_command("migrate", verbosity=0)
        if verbose:
            print(
                f"{name}: generating {args.pages} pages and {args.revisions} revisions "
                f"(seed {args.seed})",
                flush=True,
            )
        generated = time.perf_counter()
        report["generated"] = generate(
            towns=towns, mark=mark, seed=args.seed, pages=args.pages, revisions=args.revisions,
            places=args.places, people=args.people, networks=args.networks,
            tree_places=args.tree_places, tree_size=args.tree_size, batch=args.batch,
            verbose=verbose,
        )  # fmt: skip
        step = time.perf_counter()
        analyze()
        report["generated"]["timings"]["analyze_s"] = round(time.perf_counter() - step, 1)
        report["generate_s"] = round(time.perf_counter() - generated, 1)
        if verbose:
            print(f"{name}: {report['generate_s']}s to generate", flush=True)
    if args.no_index:
        report["search_index"] = {"built": False, "reason": "--no-index"}
    elif index_state() == search_digest():
        report["search_index"] = {"built": True, "reused": True, "digest": index_state()}
    else:
        report["search_index"] = build_search_index(verbose)
        if report["search_index"]["built"]:
            analyze()
    report["total_s"] = round(time.perf_counter() - started, 1)
    if verbose:
        print(f"{name}: done in {report['total_s']:.1f}s")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
