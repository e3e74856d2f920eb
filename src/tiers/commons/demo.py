"""The demo network's documentation commons (after the places' demo): recipes ("recettes
libres") shared by the whole commons, a guide with sub-pages, a commons used by three places,
a place's own documentation tree, a network's minutes and its protected charter, a page under
a non-commercial licence, an adaptation by another place, wiki links (some to pages still to
write), several revisions by several people (one of them reverted), a discussion, and a
machine's guide with a photo.

Everything goes through the commons services, as the people themselves; only the revisions'
times are moved into the past afterwards, so that the history reads like months of work.
Running `tiers demo` again removes these pages (`import_key` "demo:…") and starts afresh.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tiers.accounts.models import User
from tiers.commons import remix, services
from tiers.commons.models import Attachment, Page, Revision
from tiers.commons.services import PageData
from tiers.places.demo import DEMO_DOMAIN
from tiers.places.models import Network, Place

CONCIERGERIE = """\
La conciergerie est le cœur d'un tiers-lieu : une personne (ou une équipe qui tourne)
accueille, met en relation et fait vivre le lieu. Cette recette vient de dix ans de
pratique dans les lieux du [[Réseau des tiers-lieux de l'Ouest|réseau Ouest]].

## Le rôle

- accueillir les nouvelles personnes et leur faire visiter le lieu ;
- tenir le planning des salles (voir [[Réserver une salle]]) ;
- repérer qui sait faire quoi et **mettre les gens en relation** ;
- animer le « café des possibles » du premier jeudi.

## Organiser la tournante

| Jour | Matin | Après-midi |
|---|---|---|
| Lundi | Jeanne | Samir |
| Mardi | Samir | Jeanne |

Chaque concierge note ce qui s'est passé dans le cahier de bord[^cahier].

## Ce qui marche

- [x] un tableau visible à l'entrée avec le nom du concierge du jour
- [x] un temps d'échange mensuel entre concierges
- [ ] une formation commune à l'écoute (voir [[Formation des concierges]])

[^cahier]: Un simple cahier à spirale suffit ; certains lieux utilisent un pad partagé.
"""

REPAIR = """\
Un repair café réunit des bénévoles bricoleurs et des habitants qui apportent un objet en
panne. On **répare ensemble**, on ne répare pas *pour* les gens.

## Avant

1. trouver 4 à 6 bénévoles (électricité, couture, vélo) ;
2. réserver une salle avec de grandes tables et des prises ;
3. prévenir la presse locale et les voisins.

## Le jour même

- une table d'accueil qui note l'objet et la panne ;
- un coin café : on attend mieux avec un gâteau ;
- une fiche de suivi par objet (réparé, pas réparé, à revoir).

Voir aussi [[Conciergerie de tiers-lieu]] pour l'accueil.
"""

COUTS = """\
Partager les coûts d'un lieu de façon **transparente** : chacun voit ce que coûte le lieu,
ce que chacun verse, et pourquoi.

## Principe

Les charges fixes (loyer, énergie, internet, assurance) sont affichées chaque mois. Chaque
membre choisit sa contribution dans une fourchette, en connaissant le besoin.

## Étapes

1. lister les charges de l'année précédente ;
2. les afficher sur un tableau à l'entrée et en ligne ;
3. proposer trois niveaux de contribution (solidaire, juste, soutien) ;
4. faire le point chaque trimestre en assemblée.

> Ce qui compte n'est pas que chacun paie pareil, mais que tout le monde sache.
"""

NEXTCLOUD = """\
Un Nextcloud partagé entre plusieurs lieux : agendas, fichiers et formulaires, hébergé par
une association du réseau plutôt que chez un géant du numérique.

## Ce qu'il offre

- un espace de fichiers par lieu et un espace commun au réseau ;
- les agendas des salles, publiés en iCalendar ;
- des formulaires d'inscription.

## Rejoindre

Écrire à l'association hébergeuse ; la participation aux frais suit la recette
[[Partage transparent des coûts]].
"""

OUVRIR = """\
Ce guide rassemble ce que les lieux du réseau ont appris en ouvrant. Il se lit dans
l'ordre des sous-pages, mais chacune tient seule.

1. [[Trouver un local]]
2. [[Choisir une forme juridique]]
3. [[Conciergerie de tiers-lieu|Organiser l'accueil]]
4. [[Partage transparent des coûts|Financer le lieu sans exclure]]
"""

LOCAL = """\
Un local se trouve rarement sur les annonces : il se trouve en parlant à la mairie, aux
bailleurs sociaux et aux commerçants.

## Ce qu'il faut regarder

- l'accès en transports et à pied ;
- l'accessibilité (plain-pied, toilettes adaptées) ;
- la possibilité de faire du bruit (ateliers, fêtes) ;
- le coût du chauffage : un grand entrepôt coûte cher l'hiver.
"""

FICHE_QUAI = """\
Le Quai des Possibles est un coworking installé dans un ancien entrepôt de la batellerie,
au bord du canal de Nantes à Brest.

Sa documentation : [[Règlement intérieur du Quai]], et la recette de sa
[[Conciergerie de tiers-lieu|conciergerie tournante]].
"""

REGLEMENT = """\
## Horaires

Le Quai est ouvert du lundi au vendredi de 8 h 30 à 19 h, et le samedi matin.

## Vivre ensemble

- on range la cuisine après usage ;
- les appels se passent dans la cabine ou dehors ;
- la dernière personne ferme les fenêtres et éteint le chauffage.
"""

LASER = """\
Prise en main de la découpeuse laser du FabLab. **Formation obligatoire** avant le premier
usage : demandez à Léa.

[[Fichier:laser.png|La découpeuse laser du FabLab, capot ouvert]]

## Avant de lancer une découpe

1. vérifier que l'extracteur tourne ;
2. régler le focus avec la cale ;
3. ne jamais laisser la machine sans surveillance.

## Matériaux interdits

PVC, vinyle, simili-cuir : leurs fumées sont toxiques (chlore).
"""

COMPTE_RENDU = """\
Réunion trimestrielle du réseau, à la Grange numérique.

## Points abordés

- bilan de la Quinzaine des tiers-lieux ;
- formation des concierges au printemps ;
- mutualisation du [[Nextcloud mutualisé|Nextcloud]].

## Prochaine réunion

Au Quai des Possibles, en janvier.
"""

CHARTE = """\
Les lieux du réseau s'engagent à :

1. accueillir toute personne, sans condition ;
2. documenter leurs pratiques sous licence libre dans ce commun ;
3. partager leurs coûts de façon transparente ;
4. se former et s'entraider.
"""

FRESQUE = """\
Un jeu coopératif de deux heures pour découvrir les communs : les participants relient des
cartes (ressource, communauté, règles) et construisent ensemble la fresque.

Le jeu est diffusé sous licence non commerciale : les lieux peuvent l'animer librement,
pas le vendre.
"""


def _people() -> dict[str, User]:
    return {
        u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }


def _page(by: User, key: str, data: PageData, **where: object) -> Page:
    page = services.create_page(by, data, check=False, **where)  # type: ignore[arg-type]
    Page.objects.filter(pk=page.pk).update(import_key=f"demo:{key}")
    services.watch(by, page)
    return page


def _edit(by: User, page: Page, **changes: object) -> None:
    page.refresh_from_db()
    data = PageData.of_page(page)
    for name, value in changes.items():
        setattr(data, name, value)
    services.edit_page(by, page, data, base=page.revision_number, check=False)


def _spread(page: Page, days_ago: list[int]) -> None:
    """Move a page's revisions into the past, the first `days_ago[0]` days ago."""
    now = timezone.now()
    for revision, days in zip(page.revisions.order_by("number"), days_ago, strict=False):
        when = now - dt.timedelta(days=days, hours=revision.number)
        Revision.objects.filter(pk=revision.pk).update(created_at=when)
    last = page.revisions.order_by("-number").values_list("created_at", flat=True).first()
    Page.objects.filter(pk=page.pk).update(
        created_at=now - dt.timedelta(days=days_ago[0]), updated_at=last
    )


def _photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 90, 420, 260), fill=(60, 72, 88))
    draw.rectangle((80, 60, 400, 110), fill=(200, 60, 50))
    draw.rectangle((110, 140, 370, 230), fill=(180, 190, 200))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def remove() -> None:
    Page.objects.filter(import_key__startswith="demo:").delete()


@transaction.atomic
def create() -> dict[str, int]:
    remove()
    people = _people()
    camille, samir, lea, jeanne, marc, nadia = (
        people[k] for k in ("camille", "samir", "lea", "jeanne", "marc", "nadia")
    )
    places = {p.slug: p for p in Place.objects.filter(source="demo")}
    quai, fablab, grange = (
        places[k] for k in ("quai-des-possibles", "fablab-deux-rives", "grange-numerique")
    )
    ouest = Network.objects.get(slug="reseau-tiers-lieux-ouest")
    mediation = Network.objects.get(slug="mediation-numerique-solidaire")

    # Recipes of the whole commons, with history -------------------------------------------
    conciergerie = _page(samir, "conciergerie", PageData(
        title="Conciergerie de tiers-lieu", kind="recette", tags=["conciergerie", "accueil"],
        summary="Organiser un accueil tournant qui fait vivre le lieu.",
        body=CONCIERGERIE.split("## Organiser")[0],
        facts={"needs": ["deux à six volontaires", "un tableau à l'entrée", "un cahier de bord"],
               "steps": ["définir le rôle ensemble", "faire un planning tournant",
                         "se retrouver chaque mois"],
               "duration": "une demi-journée par semaine et par concierge"},
        comment="Première version",
    ))  # fmt: skip
    _edit(jeanne, conciergerie, body=CONCIERGERIE, comment="Ajout de la tournante et du bilan")
    _edit(marc, conciergerie, body=CONCIERGERIE.replace("## Ce qui marche", "## Bof"),
          comment="titre")  # fmt: skip
    conciergerie.refresh_from_db()
    services.revert(camille, conciergerie, 2, comment="Titre d'origine, plus clair")
    _spread(conciergerie, [120, 90, 12, 11])
    services.add_comment(
        jeanne, conciergerie, topic="Formation des concierges",
        body="Qui serait partant pour une formation commune à l'écoute au printemps ?",
    )  # fmt: skip
    services.add_comment(
        camille, conciergerie, topic="Formation des concierges",
        body="Le réseau Ouest peut la financer : j'en parle à la prochaine réunion.",
    )  # fmt: skip
    services.watch(jeanne, conciergerie)

    repair = _page(camille, "repair-cafe", PageData(
        title="Repair café", kind="recette", tags=["réparation", "animation"],
        summary="Réparer ensemble plutôt que jeter : monter un repair café.", body=REPAIR,
        facts={"needs": ["une salle avec des prises", "4 à 6 bénévoles", "du café"],
               "people": "4 à 6 bénévoles", "duration": "3 heures"},
    ))  # fmt: skip
    _spread(repair, [200])
    couts = _page(camille, "couts", PageData(
        title="Partage transparent des coûts", kind="recette", licence="cc-by-4.0",
        tags=["économie", "gouvernance"], body=COUTS,
        summary="Afficher les charges et laisser chacun choisir sa contribution.",
        facts={"steps": ["lister les charges", "les afficher", "proposer trois niveaux",
                         "faire le point chaque trimestre"]},
    ))  # fmt: skip
    _spread(couts, [60])
    nextcloud = _page(marc, "nextcloud", PageData(
        title="Nextcloud mutualisé", kind="commun", tags=["logiciel libre", "mutualisation"],
        summary="Un cloud libre partagé par les lieux du réseau.", body=NEXTCLOUD,
        facts={"maintainers": "Association Les Hébergeurs du Bocage",
               "where": "https://cloud.example.org/"},
    ))  # fmt: skip
    for place in (quai, grange, places["epn-louise-michel"]):
        manager = {"quai-des-possibles": samir, "grange-numerique": camille}.get(place.slug, nadia)
        services.record_use(manager, nextcloud, place, note="Agendas et fichiers partagés")
    _page(camille, "fresque", PageData(
        title="La fresque des communs", kind="guide", licence="cc-by-nc-sa-4.0",
        tags=["animation", "communs"], body=FRESQUE,
        summary="Un jeu coopératif pour découvrir les communs.",
    ))  # fmt: skip

    # A guide with sub-pages (and a link to a page still to write) --------------------------
    ouvrir = _page(camille, "ouvrir", PageData(
        title="Ouvrir un tiers-lieu", kind="guide", tags=["démarrer"], body=OUVRIR,
        summary="Les étapes, de l'idée à l'ouverture.",
        facts={"audience": "collectifs qui ont un projet de lieu", "level": "débutant"},
    ))  # fmt: skip
    _page(samir, "local", PageData(title="Trouver un local", kind="guide", body=LOCAL,
                                   tags=["démarrer"]), parent=ouvrir)  # fmt: skip

    # A place's documentation tree ----------------------------------------------------------
    fiche = _page(samir, "fiche-quai", PageData(
        title="Le Quai des Possibles", kind="fiche-lieu", body=FICHE_QUAI,
        summary="Un coworking au bord du canal, à Redon.",
        facts={"opened": "2016", "legal_form": "SCIC", "area": "450 m²",
               "economic_model": "abonnements, location de salles, prestations"},
    ), place=quai)  # fmt: skip
    _page(jeanne, "reglement-quai", PageData(
        title="Règlement intérieur du Quai", kind="page", body=REGLEMENT,
    ), place=quai, parent=fiche)  # fmt: skip
    laser = _page(lea, "laser", PageData(
        title="Découpeuse laser : prise en main", kind="guide", body=LASER,
        tags=["machines", "sécurité"], summary="Les règles avant la première découpe.",
        facts={"audience": "membres formés", "level": "intermédiaire"},
    ), place=fablab)  # fmt: skip
    Attachment.objects.create(
        page=laser, name="laser.png", content_type="image/png", size=len(photo := _photo()),
        width=480, height=320, alt="La découpeuse laser du FabLab, capot ouvert",
        uploaded_by=lea, file=ContentFile(photo, name="laser.png"),
    )  # fmt: skip
    services.attachments_changed(laser)

    # A network's minutes and its protected charter ----------------------------------------
    _page(camille, "cr-ouest", PageData(
        title="Réunion du réseau Ouest, automne", kind="compte-rendu", body=COMPTE_RENDU,
        tags=["réseau"], facts={
            "date": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
            "participants": ["Camille Roussel", "Samir Benali", "Nadia Ferrand"],
            "decisions": ["formation des concierges au printemps",
                          "Nextcloud commun à l'essai"],
        },
    ), network=ouest)  # fmt: skip
    charte = _page(camille, "charte-ouest", PageData(
        title="Charte du réseau Ouest", kind="page", body=CHARTE, licence="etalab-2.0",
        summary="Les engagements des lieux du réseau.",
    ), network=ouest)  # fmt: skip
    services.set_protected(camille, charte, True)
    _page(nadia, "mediation", PageData(
        title="Accueillir une personne éloignée du numérique", kind="guide",
        tags=["médiation numérique"], body=(
            "Prendre le temps, **ne jamais faire à la place**, et noter ce qui a été appris "
            "pour la prochaine fois. Voir aussi [[Conciergerie de tiers-lieu]]."
        ),
    ), network=mediation)  # fmt: skip

    # An adaptation by another place --------------------------------------------------------
    adapted = remix.remix(
        camille, repair, grange, title="Repair café de la Grange", licence=repair.licence,
        include_children=False, acknowledge_restrictions=False,
    )  # fmt: skip
    Page.objects.filter(pk=adapted.pk).update(import_key="demo:repair-grange")
    _edit(camille, adapted, body=REPAIR + "\n## À la Grange\n\nLe samedi après-midi, "
          "dans la salle polyvalente, avec le club vélo du village.\n",
          comment="Nos horaires et notre salle")  # fmt: skip
    return {"pages": Page.objects.filter(import_key__startswith="demo:").count()}
