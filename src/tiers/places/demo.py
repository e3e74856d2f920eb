"""The demo network: plausible, fictional places across France, their people and networks.

Every demo row is recognisable (places have source "demo", people an @tiers.example address)
so that `tiers demo` can remove and recreate them without touching real data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tiers.accounts.models import User
from tiers.places.models import Membership, Network, Place
from tiers.places.services import place_set_kinds

DEMO_PASSWORD = "tiers-demo"  # noqa: S105 - documented in the README, demo data only
DEMO_DOMAIN = "tiers.example"


@dataclass
class DemoPlace:
    slug: str
    name: str
    kinds: list[str]
    town: str
    postcode: str
    insee: str
    address: str
    lat: float
    lon: float
    hours: str
    short: str
    description: str
    status: str = Place.Status.OPEN
    wheelchair: str = Place.Access.FULL
    services: tuple[str, ...] = ()
    legal_id: str = ""


PLACES = [
    DemoPlace(
        "quai-des-possibles", "Le Quai des Possibles", ["coworking", "hybrid"], "Redon", "35600",
        "35236", "4 quai Jean Bart", 47.6519, -2.0840, "Mo-Fr 08:30-19:00; Sa 09:00-12:30",
        "Un coworking au bord du canal, à deux pas de la gare, dans une petite ville.",
        "Ancien entrepôt de la batellerie, **le Quai** accueille des indépendants, des "
        "salariés en télétravail et des associations.\n\n- 20 postes en open space\n"
        "- une salle de réunion de 10 places\n- une cuisine partagée\n\n"
        "Un *café des possibles* chaque premier jeudi du mois.",
        services=("Wi-Fi", "Imprimante", "Salle de réunion", "Café"),
        legal_id="W353012345",
    ),
    DemoPlace(
        "fablab-deux-rives", "FabLab des Deux Rives", ["fablab", "workshop"], "Strasbourg",
        "67000", "67482", "18 rue du Rhin Napoléon", 48.5762, 7.7843,
        "Tu-Fr 14:00-20:00; Sa 10:00-18:00",
        "Découpe laser, impression 3D, électronique : on apprend à faire ensemble.",
        "Le FabLab des Deux Rives est ouvert à toutes et tous. Les machines sont accessibles "
        "après une **habilitation** (formation courte).\n\n| Machine | Habilitation |\n"
        "|---|---|\n| Découpeuse laser | oui |\n| Imprimantes 3D | non |\n",
        services=("Découpeuse laser", "Imprimantes 3D", "Fraiseuse numérique", "Atelier électronique"),
    ),
    DemoPlace(
        "epn-louise-michel", "Espace numérique de la Médiathèque Louise-Michel", ["epn"],
        "Roubaix", "59100", "59512", "2 place de la Liberté", 50.6927, 3.1778,
        "Tu,Th 14:00-18:00; We 10:00-12:00,14:00-18:00; Sa 10:00-17:00",
        "Aide au numérique gratuite : démarches en ligne, premiers pas, ateliers.",
        "L'espace public numérique de la médiathèque accompagne les personnes éloignées du "
        "numérique : **aide aux démarches administratives**, ateliers débutants, accès libre "
        "aux ordinateurs.\n\nSans rendez-vous le mercredi, sur rendez-vous les autres jours.",
        services=("Aide aux démarches administratives", "Accès internet et matériel informatique",
                  "Maîtrise des outils numériques du quotidien"),
    ),
    DemoPlace(
        "grange-numerique", "La Grange Numérique", ["hybrid", "rural", "coworking"],
        "Saint-Affrique", "12400", "12208", "Lieu-dit La Bastide", 43.9580, 2.8860,
        "Mo-Fr 09:00-18:00",
        "Tiers-lieu rural : coworking, atelier, jardin partagé et épicerie solidaire.",
        "Une grange rénovée par ses habitants. On y travaille, on y bricole, on y mange "
        "ensemble le vendredi midi.",
        wheelchair=Place.Access.PARTIAL,
        services=("Wi-Fi", "Atelier bois", "Jardin partagé"),
    ),
    DemoPlace(
        "atelier-partage-vercors", "L'Atelier Partagé du Vercors", ["workshop"],
        "Villard-de-Lans", "38250", "38548", "35 avenue du Général de Gaulle", 45.0710, 5.5530,
        "We-Sa 09:00-12:00,14:00-18:00",
        "Atelier bois et métal partagé, réparation de skis et de vélos.",
        "Des outils professionnels à partager, des bénévoles pour transmettre.",
        services=("Atelier bois", "Atelier métal", "Réparation de vélos"),
    ),
    DemoPlace(
        "cafe-la-bobine", "Café associatif La Bobine", ["cafe", "cultural"], "Dieulefit",
        "26220", "26114", "7 rue Justin Jouve", 44.5255, 5.0620,
        "We-Su 10:00-19:00",
        "Café, concerts, repair café et veillées dans un ancien atelier de tissage.",
        "La Bobine est un café **associatif** : on y boit un café à prix libre, on y répare "
        "son grille-pain le premier samedi du mois.",
        wheelchair=Place.Access.NONE,
        legal_id="W261004567",
    ),
    DemoPlace(
        "ferme-du-bocage", "La Ferme du Bocage", ["food", "rural"], "Bressuire", "79300",
        "79049", "La Petite Gâtine", 46.8406, -0.4889, "Fr 16:00-19:00; Sa 09:00-12:00",
        "Tiers-lieu nourricier : légumerie, cuisine partagée, marché paysan.",
        "Une ferme qui nourrit son territoire : une **légumerie** partagée avec les cantines, "
        "une cuisine pour les habitants, un marché paysan le vendredi soir.",
        services=("Cuisine partagée", "Légumerie", "Marché paysan"),
    ),
    DemoPlace(
        "medialab-pixel-papier", "Médialab Pixel & Papier", ["medialab", "cultural"], "Lyon",
        "69007", "69387", "21 rue de la Thibaudière", 45.7485, 4.8467,
        "Mo-Fr 10:00-19:00",
        "Médialab : radio, vidéo, éducation aux médias et fanzines.",
        "Un studio radio, un banc de montage vidéo et une risographie pour raconter son quartier.",
    ),
    DemoPlace(
        "hangar-culturel", "Le Hangar Culturel", ["cultural", "hybrid"], "Nantes", "44000",
        "44109", "5 boulevard Léon Bureau", 47.2060, -1.5640,
        "Tu-Sa 11:00-23:00",
        "Friche culturelle : résidences d'artistes, ateliers, cantine.",
        "Quarante artistes et artisans en résidence, une cantine, une salle de spectacle.",
    ),
    DemoPlace(
        "living-lab-sante", "Living Lab Santé & Territoires", ["living_lab"], "Poitiers",
        "86000", "86194", "10 rue de la Croix Blanche", 46.5802, 0.3404,
        "Mo-Th 09:00-17:00",
        "Habitants, soignants et chercheurs inventent ensemble la santé de demain.",
        "Un laboratoire vivant où l'on teste, avec celles et ceux qui les utiliseront, "
        "des services de santé de proximité.",
    ),
    DemoPlace(
        "cooperative-des-tiers", "La Coopérative des Tiers", ["coworking", "fablab"], "Tulle",
        "19000", "19272", "3 quai de la République", 45.2670, 1.7700,
        "Mo-Fr 08:00-20:00",
        "Coworking et fablab en cœur de ville, en coopérative (SCIC).",
        "Une SCIC qui réunit la commune, des entrepreneurs et des habitants.",
    ),
    DemoPlace(
        "relais-numerique-gueret", "Le Relais Numérique de Guéret", ["epn"], "Guéret",
        "23000", "23096", "1 avenue de la Sénatorerie", 46.1716, 1.8717,
        "Mo,We,Fr 09:00-12:00,13:30-17:00",
        "Conseillers numériques : démarches, premiers pas sur l'ordinateur et le téléphone.",
        "Deux conseillers numériques vous accueillent, gratuitement, avec ou sans rendez-vous.",
        services=("Aide aux démarches administratives",
                  "Maîtrise des outils numériques du quotidien"),
    ),
    DemoPlace(
        "tiers-lieu-de-la-gare", "Tiers-lieu de la Gare", ["hybrid"], "Autun", "71400",
        "71014", "Place de la Gare", 46.9510, 4.2987, "",
        "Un collectif d'habitants veut faire revivre l'ancienne gare.",
        "Projet en cours : réunions publiques le premier mardi du mois à la mairie.",
        status=Place.Status.PROJECT, wheelchair="",
    ),
]  # fmt: skip


@dataclass
class DemoPerson:
    key: str
    name: str
    bio: str = ""
    skills: str = ""
    admin: bool = False


PEOPLE = [
    DemoPerson("admin", "Admin Tiers", admin=True),
    DemoPerson("camille", "Camille Roussel", "Coordinatrice du réseau Ouest.", "animation, réseau"),
    DemoPerson("samir", "Samir Benali", "Gère le Quai des Possibles.", "gestion, menuiserie"),
    DemoPerson("lea", "Léa Marchand", "Fabmanageuse au FabLab des Deux Rives.", "laser, Arduino"),
    DemoPerson("jeanne", "Jeanne Dupuis", "Graphiste indépendante, résidente.", "graphisme, PAO"),
    DemoPerson("hugo", "Hugo Lefèvre", "Étudiant, vient pour l'impression 3D.", "impression 3D"),
    DemoPerson("fatou", "Fatou Diallo", "Apprend à faire ses démarches en ligne."),
    DemoPerson("marc", "Marc Giraud", "Développeur en télétravail.", "Python, cuisine"),
    DemoPerson("nadia", "Nadia Ferrand", "Conseillère numérique.", "médiation numérique"),
]  # fmt: skip

# (person, place, status, manager, concierge, state, visible)
MEMBERSHIPS = [
    ("samir", "quai-des-possibles", "resident", True, False, "active", True),
    ("jeanne", "quai-des-possibles", "resident", False, True, "active", True),
    ("marc", "quai-des-possibles", "user", False, False, "pending", False),
    ("lea", "fablab-deux-rives", "resident", True, True, "active", True),
    ("hugo", "fablab-deux-rives", "user", False, False, "active", True),
    ("jeanne", "fablab-deux-rives", "user", False, False, "active", False),
    ("nadia", "epn-louise-michel", "resident", True, True, "active", True),
    ("fatou", "epn-louise-michel", "beneficiary", False, False, "active", False),
    ("nadia", "relais-numerique-gueret", "resident", True, False, "active", True),
    ("camille", "grange-numerique", "resident", True, False, "active", True),
    ("marc", "grange-numerique", "user", False, False, "active", True),
]  # fmt: skip

NETWORKS = [
    (
        "reseau-tiers-lieux-ouest", "Réseau des tiers-lieux de l'Ouest",
        "Le réseau régional des tiers-lieux de Bretagne et des Pays de la Loire : entraide, "
        "formations de concierges, et chaque automne la **Quinzaine des tiers-lieux**.",
        ["quai-des-possibles", "hangar-culturel", "ferme-du-bocage", "living-lab-sante"],
        ["camille"],
    ),
    (
        "mediation-numerique-solidaire", "Médiation numérique solidaire",
        "Les espaces publics numériques qui accompagnent les personnes éloignées du numérique.",
        ["epn-louise-michel", "relais-numerique-gueret", "grange-numerique"],
        ["camille"],
    ),
    (
        "fabriques-de-territoire", "Fabriques de territoire (démo)",
        "Fablabs, ateliers partagés et tiers-lieux ruraux qui partagent leurs recettes.",
        ["fablab-deux-rives", "atelier-partage-vercors", "grange-numerique",
         "cooperative-des-tiers", "tiers-lieu-de-la-gare", "cafe-la-bobine",
         "medialab-pixel-papier"],
        [],
    ),
]  # fmt: skip


def email_of(key: str) -> str:
    return f"{key}@{DEMO_DOMAIN}"


def remove() -> None:
    Place.objects.filter(source="demo").delete()
    Network.objects.filter(slug__in=[n[0] for n in NETWORKS]).delete()
    User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").delete()


@transaction.atomic
def create() -> dict[str, int]:
    remove()
    now = timezone.now()
    people: dict[str, User] = {}
    for person in PEOPLE:
        user = User(
            email=email_of(person.key), display_name=person.name, bio=person.bio,
            skills=person.skills, is_staff=person.admin, is_superuser=person.admin,
            email_verified_at=now,
        )  # fmt: skip
        user.set_password(DEMO_PASSWORD)
        user.save()
        people[person.key] = user
    places: dict[str, Place] = {}
    for p in PLACES:
        place = Place.objects.create(
            slug=p.slug, name=p.name, status=p.status, town=p.town, postcode=p.postcode,
            insee_code=p.insee, address=p.address, latitude=p.lat, longitude=p.lon,
            opening_hours=p.hours, short_description=p.short, description=p.description,
            wheelchair=p.wheelchair, services=list(p.services), legal_id=p.legal_id,
            website=f"https://{p.slug}.example.org/", source="demo", source_id=p.slug,
            email=f"contact@{p.slug}.example.org",
        )  # fmt: skip
        place_set_kinds(place=place, kinds=p.kinds)
        places[p.slug] = place
    today = timezone.localdate()
    for key, slug, status, manager, concierge, state, visible in MEMBERSHIPS:
        Membership.objects.create(
            user=people[key], place=places[slug], status=status, is_manager=manager,
            is_concierge=concierge, state=state, is_visible=visible,
            started_on=today if state == "active" else None,
            message="Bonjour, je voudrais venir travailler ici deux jours par semaine."
            if state == "pending" else "",
        )  # fmt: skip
    for slug, name, description, members, coordinators in NETWORKS:
        network = Network.objects.create(slug=slug, name=name, description=description)
        network.places.set([places[s] for s in members])
        network.coordinators.set([people[c] for c in coordinators])
    return {"places": len(places), "people": len(people), "networks": len(NETWORKS)}
