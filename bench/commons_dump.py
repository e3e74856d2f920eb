"""Write a synthetic MediaWiki export (schema 0.11, full history) for the import benchmark.

    .venv/bin/python bench/commons_dump.py bench/results/dump-10000.xml --pages 10000 \\
        --revisions 5 --seed 1
    DATABASE_URL=... .venv/bin/tiers import-mediawiki bench/results/dump-10000.xml --no-progress

Each page is a French "fiche" of a tiers-lieu or a "recette" written the way wiki pages are:
an infobox template, bold and italic, internal links to other pages of the export (and a few
to pages that do not exist), external links, nested bullet and numbered lists, a wikitable,
`<ref>` notes with a named one reused, `<references />`, and two or three categories. Its
revisions grow the page section by section, then correct it (a sentence added or changed,
a minor edit), by a pool of named contributors and a few IP addresses, in time order.
Optionally, a share of the pages also get a talk page (signed topics) and a redirect.

The output only depends on the arguments (`random.Random(seed)`), and is written as a
stream: a 10,000-page export takes a few seconds and no memory to speak of.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
import time
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

KINDS = [
    ("Fablab", "fablab", "atelier de fabrication numérique"),
    ("Repair Café", "repair café", "rendez-vous de réparation entre voisins"),
    ("Coworking", "coworking", "espace de travail partagé"),
    ("Ressourcerie", "ressourcerie", "lieu de réemploi des objets"),
    ("Café associatif", "café associatif", "café géré par ses adhérents"),
    ("Jardin partagé", "jardin partagé", "jardin cultivé ensemble"),
    ("Espace numérique", "EPN", "espace public numérique"),
    ("Recette", "recette", "façon de faire documentée pour être reproduite"),
]
TOWNS = [
    "Nantes", "Rennes", "Redon", "Brest", "Lorient", "Angers", "Tours", "Poitiers",
    "Limoges", "Clermont-Ferrand", "Lyon", "Grenoble", "Marseille", "Montpellier", "Toulouse",
    "Bordeaux", "Lille", "Amiens", "Rouen", "Caen", "Strasbourg", "Nancy", "Dijon", "Besançon",
]  # fmt: skip
NAMES = [
    "des Tanneurs", "du Faubourg", "Le Quai", "de la Gare", "des Glycines", "du Marché",
    "La Fabrique", "Les Ateliers", "du Port", "de la Halle", "Le Hangar", "des Capucins",
    "La Canopée", "du Moulin", "L'Établi", "La Ruche", "Le Local", "des Possibles",
]  # fmt: skip
CATEGORIES = [
    "Fablab", "Repair café", "Coworking", "Gouvernance", "Modèle économique", "Recettes",
    "Médiation numérique", "Lieux en Bretagne", "Lieux en Pays de la Loire", "Jardins",
    "Réemploi", "Documentation", "Bénévolat", "Accueil", "Ateliers",
]  # fmt: skip
FIRST = ["Camille", "Yanis", "Zoé", "Léa", "Hugo", "Inès", "Malik", "Chloé", "Jules", "Nora",
         "Paul", "Sarah", "Louis", "Emma", "Adam", "Lina", "Tom", "Jade", "Noé", "Rose"]  # fmt: skip
LAST = ["Martin", "Benali", "Lefèvre", "Durand", "Moreau", "Nguyen", "Garcia", "Petit",
        "Roux", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine"]  # fmt: skip
ACTIVITIES = [
    "Ouverture libre le mercredi et le samedi",
    "Formations à la découpe laser et à l'impression 3D",
    "Ateliers pour les enfants pendant les vacances scolaires",
    "Permanences d'aide aux démarches en ligne",
    "Réparation de vélos et de petit électroménager",
    "Soirées jeux et café-débats une fois par mois",
    "Accueil de résidences d'artistes",
    "Compostage collectif et jardinage",
]  # fmt: skip
SENTENCES = [
    "Le lieu est ouvert à toutes et à tous, débutants comme confirmés.",
    "Les décisions sont prises collectivement lors d'une assemblée mensuelle.",
    "Les bénévoles tiennent une permanence d'accueil chaque après-midi.",
    "Les tarifs couvrent l'usure des machines et les consommables.",
    "Une conciergerie tournante accueille les nouveaux venus.",
    "Les projets sont documentés sous licence libre pour être reproduits ailleurs.",
    "Les coûts du lieu sont partagés de façon transparente entre les résidents.",
    "Le rez-de-chaussée est accessible en fauteuil roulant.",
]  # fmt: skip
START = dt.datetime(2015, 1, 5, 9, 0, tzinfo=dt.UTC)
SITEINFO = """  <siteinfo>
    <sitename>Wiki des tiers-lieux (banc d'essai)</sitename>
    <dbname>benchwiki</dbname>
    <base>http://wiki.example.org/index.php?title=Accueil</base>
    <generator>MediaWiki 1.39.17</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="-2" case="first-letter">Média</namespace>
      <namespace key="-1" case="first-letter">Spécial</namespace>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Discussion</namespace>
      <namespace key="2" case="first-letter">Utilisateur</namespace>
      <namespace key="3" case="first-letter">Discussion utilisateur</namespace>
      <namespace key="4" case="first-letter">Wiki des tiers-lieux</namespace>
      <namespace key="6" case="first-letter">Fichier</namespace>
      <namespace key="10" case="first-letter">Modèle</namespace>
      <namespace key="12" case="first-letter">Aide</namespace>
      <namespace key="14" case="first-letter">Catégorie</namespace>
    </namespaces>
  </siteinfo>
"""
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]  # fmt: skip


def title_of(index: int) -> str:
    kind = KINDS[index % len(KINDS)][0]
    name = NAMES[(index // len(KINDS)) % len(NAMES)]
    town = TOWNS[(index * 7) % len(TOWNS)]
    return f"{kind} {name} ({town}) {index + 1}"


def _sections(rng: random.Random, index: int, pages: int) -> list[str]:
    """The page's content, one piece per stage of its writing."""
    _kind, short, what = KINDS[index % len(KINDS)]
    town = TOWNS[(index * 7) % len(TOWNS)]
    title = title_of(index)
    linked = [title_of(rng.randrange(pages)) for _ in range(4)]
    categories = rng.sample(CATEGORIES, rng.randint(2, 3))
    year = rng.randint(2008, 2022)
    intro = (
        f"{{{{Infobox lieu\n| nom = {title}\n| ville = {town}\n| type = {short}\n"
        f"| ouverture = {year}\n}}}}\n"
        f"Le '''{title}''' est un ''{what}'' installé à [[{town}]] depuis {year}. "
        f"{rng.choice(SENTENCES)} Il travaille souvent avec le [[{linked[0]}]] et le "
        f"[[{linked[1]}|lieu voisin]].\n"
    )
    history = (
        "\n== Historique ==\n"
        f"L'association est créée en {year} par un groupe d'habitants<ref name=\"creation\">"
        f"Statuts déposés en préfecture en {year}, [http://example.org/statuts/{index} "
        f"lire en ligne].</ref>. {rng.choice(SENTENCES)} Après deux années itinérantes, elle "
        f's\'installe dans les locaux actuels<ref name="creation" />.\n'
    )
    items = rng.sample(ACTIVITIES, 4)
    activities = (
        "\n== Activités ==\n"
        + "".join(f"* {item}\n" for item in items[:3])
        + f"** en lien avec le [[{linked[2]}]]\n"
        + f"* {items[3]} (voir [http://example.org/agenda/{index} l'agenda])\n"
        + "\n=== Déroulement d'une séance ===\n"
        + "# Accueil et inscription des participants.\n"
        + "# Diagnostic avec un ou une bénévole :\n"
        + "## vérification du matériel ;\n"
        + "## démontage, '''toujours en présence''' de la personne.\n"
        + "# Bilan et rangement.\n"
    )
    table = (
        "\n== Tarifs ==\n"
        '{| class="wikitable"\n|+ Formules\n! Formule !! Accès !! Prix\n|-\n'
        f"| Journée || 9 h à 19 h || {rng.randint(5, 20)} €\n|-\n"
        f"| Carnet de 10 || valable 6 mois || {rng.randint(50, 150)} €\n|-\n"
        f"| Adhésion annuelle || illimité || {rng.randint(10, 40)} €\n|}}\n"
        f"Un tarif solidaire est proposé<ref>Décision de l'assemblée générale de "
        f"{year + 1}.</ref>.\n"
    )
    see_also = (
        "\n== Voir aussi ==\n"
        f"* [[{linked[3]}]]\n* [[Page à créer {index % 97}]]\n"
        f"* [https://example.org/{short.replace(' ', '-')} Le réseau des {short}s]\n"
        "\n== Références ==\n<references />\n\n"
        + "".join(f"[[Catégorie:{c}]]\n" for c in categories)
    )
    return [intro, history, activities, table, see_also]


def page_texts(rng: random.Random, index: int, pages: int, revisions: int) -> list[str]:
    """The text of each revision of one page, growing then corrected."""
    pieces = _sections(rng, index, pages)
    texts = []
    for number in range(revisions):
        if number < len(pieces) - 1:
            text = "".join(pieces[: number + 1]) + pieces[-1][pieces[-1].index("\n[[Cat") :]
        else:
            text = "".join(pieces)
            for _ in range(number - len(pieces) + 1):
                sentence = rng.choice(SENTENCES)
                text = text.replace("\n\n== Activités ==", f" {sentence}\n\n== Activités ==", 1)
        texts.append(text)
    return texts


def _contributor(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return f"<ip>192.0.2.{rng.randint(1, 254)}</ip>"
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    user_id = int(_sha1(name)[:6], 16) % 10_000
    return f"<username>{escape(name)}</username>\n        <id>{user_id}</id>"


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _revision(out: TextIO, rev_id: int, parent: int | None, when: dt.datetime,
              contributor: str, comment: str, text: str, minor: bool) -> None:  # fmt: skip
    out.write("    <revision>\n")
    out.write(f"      <id>{rev_id}</id>\n")
    if parent:
        out.write(f"      <parentid>{parent}</parentid>\n")
    out.write(f"      <timestamp>{when:%Y-%m-%dT%H:%M:%SZ}</timestamp>\n")
    out.write(f"      <contributor>\n        {contributor}\n      </contributor>\n")
    if minor:
        out.write("      <minor/>\n")
    if comment:
        out.write(f"      <comment>{escape(comment)}</comment>\n")
    out.write("      <model>wikitext</model>\n      <format>text/x-wiki</format>\n")
    out.write(
        f'      <text bytes="{len(text.encode())}" sha1="{_sha1(text)}" '
        f'xml:space="preserve">{escape(text)}</text>\n'
    )
    out.write(f"      <sha1>{_sha1(text)}</sha1>\n    </revision>\n")


COMMENTS = [
    "Création de la page", "/* Historique */ ajout", "/* Activités */ liste des ateliers",
    "/* Tarifs */ tableau des formules", "liens et catégories", "corrections orthographiques",
    "mise à jour", "précisions",
]  # fmt: skip


def _signature(name: str, when: dt.datetime) -> str:
    return (
        f"[[Utilisateur:{name}|{name}]] ([[Discussion utilisateur:{name}|discussion]]) "
        f"{when.day} {MONTHS[when.month - 1]} {when.year} à {when:%H:%M} (UTC)"
    )


def generate_dump(
    path: Path | str, pages: int, revisions_per_page: int, seed: int = 1, *,
    talk_ratio: float = 0.0, redirect_ratio: float = 0.0,
) -> dict[str, int]:  # fmt: skip
    """Write the export to `path`; returns what it holds (pages of each kind, revisions)."""
    rng = random.Random(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page_id = rev_id = 0
    stats = {"pages": 0, "talk_pages": 0, "redirects": 0, "revisions": 0}
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.11/ '
            'http://www.mediawiki.org/xml/export-0.11.xsd" version="0.11" xml:lang="fr">\n'
        )
        out.write(SITEINFO)
        for index in range(pages):
            title = title_of(index)
            page_id += 1
            out.write(f"  <page>\n    <title>{escape(title)}</title>\n    <ns>0</ns>\n")
            out.write(f"    <id>{page_id}</id>\n")
            when = START + dt.timedelta(minutes=17 * index)
            parent = None
            for number, text in enumerate(page_texts(rng, index, pages, revisions_per_page)):
                rev_id += 1
                when += dt.timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 600))
                comment = COMMENTS[min(number, len(COMMENTS) - 1)]
                _revision(out, rev_id, parent, when, _contributor(rng), comment, text,
                          minor=number >= 5 and rng.random() < 0.3)  # fmt: skip
                parent = rev_id
            out.write("  </page>\n")
            stats["pages"] += 1
            stats["revisions"] += revisions_per_page
            if rng.random() < talk_ratio:
                page_id += 1
                rev_id += 1
                a, b = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(FIRST) + " Roux"
                talk = (
                    f"== Horaires ==\nOn garde l'ouverture du samedi ? {_signature(a, when)}\n"
                    f": Oui, jusqu'en juin. {_signature(b, when + dt.timedelta(hours=3))}\n"
                )
                out.write(f"  <page>\n    <title>Discussion:{escape(title)}</title>\n")
                out.write(f"    <ns>1</ns>\n    <id>{page_id}</id>\n")
                _revision(out, rev_id, None, when + dt.timedelta(hours=3),
                          f"<username>{escape(b)}</username>", "réponse", talk, False)  # fmt: skip
                out.write("  </page>\n")
                stats["talk_pages"] += 1
                stats["revisions"] += 1
            if rng.random() < redirect_ratio:
                page_id += 1
                rev_id += 1
                source = f"{title} (ancien nom)"
                out.write(f"  <page>\n    <title>{escape(source)}</title>\n    <ns>0</ns>\n")
                out.write(f"    <id>{page_id}</id>\n    <redirect title={quoteattr(title)} />\n")
                _revision(out, rev_id, None, when, "<username>Camille Martin</username>",
                          "renommage", f"#REDIRECTION [[{title}]]", False)  # fmt: skip
                out.write("  </page>\n")
                stats["redirects"] += 1
                stats["revisions"] += 1
        out.write("</mediawiki>\n")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="The XML file to write.")
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--revisions", type=int, default=5, help="Revisions per page.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--talk", type=float, default=0.0, help="Share of pages with a talk page.")
    parser.add_argument("--redirects", type=float, default=0.0,
                        help="Share of pages with a redirect to them.")  # fmt: skip
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = generate_dump(args.output, args.pages, args.revisions, args.seed,
                          talk_ratio=args.talk, redirect_ratio=args.redirects)  # fmt: skip
    size = Path(args.output).stat().st_size
    print(
        f"{args.output}: {stats['pages']} pages, {stats['talk_pages']} talk pages, "
        f"{stats['redirects']} redirects, {stats['revisions']} revisions, "
        f"{size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
