"""The demo network's events (after `tiers.places.demo` and `tiers.bookings.demo`): a weekly
repair café that holds its room, a café-débat, a digital-help workshop that is full (with
its waiting list and a seat offered), a two-day regional forum with a programme of parallel
sessions in two rooms, a draft, a cancelled event, the network's festival ("Quinzaine des
Tiers-Lieux") over the coming fortnight with events from several places (one still waiting
for the coordinators' approval), registrations with an account or an e-mail only, and rides
to the forum from nearby towns.

Every date is relative to today, so that `make run` always shows upcoming events. Everything
goes through the events services (rooms held through the bookings app, seats counted under
the event's lock, rides and their seats); only the coordinates of a town the directory does
not know are added to a ride afterwards.
Removing the demo places and networks (`tiers.places.demo.remove`) removes all of it, so
running `tiers demo` again starts afresh.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from tiers.accounts.models import User
from tiers.bookings.availability import aware
from tiers.bookings.models import Resource
from tiers.events import clock, festivals, registrations, rides, services
from tiers.events.models import (
    Event,
    EventSeries,
    Festival,
    Registration,
    Ride,
    Session,
)
from tiers.places.demo import DEMO_DOMAIN
from tiers.places.models import Network, Place

FESTIVAL_NETWORK = "reseau-tiers-lieux-ouest"
FESTIVAL_NAME = "Quinzaine des Tiers-Lieux"
FESTIVAL_DAYS = 15

# Towns near Le Quai des Possibles (Redon), where rides to the forum start.
TOWNS = {
    "Vannes": (47.6582, -2.7608),
    "Nantes": (47.2184, -1.5536),
    "Rennes": (48.1173, -1.6778),
    "Ploërmel": (47.9317, -2.3975),
}


def _at(place: Place, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return aware(dt.datetime.combine(day, dt.time(hour, minute)), place.tz)


def _next(day: dt.date, weekday: int, weeks: int = 0) -> dt.date:
    """The first `weekday` (0 = Monday) strictly after `day`, `weeks` later."""
    ahead = (weekday - day.weekday() - 1) % 7 + 1
    return day + dt.timedelta(days=ahead, weeks=weeks)


def _mail(name: str) -> str:
    """E-mail-only registrants: addresses of a reserved domain, never delivered."""
    return f"{name}@example.org"


def _event(by: User, tags: tuple[str, ...] = (), **fields: Any) -> Event:
    fields.setdefault("status", Event.Status.PUBLISHED)
    return services.event_create(event=Event(**fields), by=by, tags=tags)


def _register_by_email(event: Event, name: str, email: str, **kwargs: Any) -> Registration:
    """An e-mail-only registration whose link was followed."""
    registration = registrations.register(event=event, name=name, email=email, **kwargs)
    return registrations.confirm_email(registration=registration)


def _register_account(event: Event, user: User, **kwargs: Any) -> Registration:
    return registrations.register(
        event=event, name=user.display_name, email=user.email, user=user, **kwargs
    )


@transaction.atomic
def create() -> dict[str, int]:
    """Add the events to the demo network (after the places' and bookings' demos)."""
    # series are not deleted with their events: drop those the previous demo left behind
    EventSeries.objects.filter(events__isnull=True).delete()
    people = {
        u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    }
    places = {p.slug: p for p in Place.objects.filter(source="demo")}
    admin, camille, samir, lea, nadia = (
        people[k] for k in ("admin", "camille", "samir", "lea", "nadia")
    )
    quai, grange, epn = (
        places[k] for k in ("quai-des-possibles", "grange-numerique", "epn-louise-michel")
    )
    today = clock.now().astimezone(quai.tz).date()

    # A weekly repair café at La Grange, in its hall (each occurrence holds it) -------------
    hall = Resource.objects.get(place=grange, slug="salle-polyvalente")
    saturday = _next(today, 5)
    services.series_create(
        event=Event(
            place=grange, title="Repair café de la Grange", kind=Event.Kind.REPAIR_CAFE,
            summary="Grille-pain, vélos, vêtements : on répare ensemble plutôt que de jeter.",
            description=(
                "Apportez un objet en panne : des bénévoles bricoleurs et couturières vous "
                "aident à le **réparer vous-même**.\n\n- petit électroménager\n- vélos\n"
                "- textile et couture\n- jouets\n\nCafé et gâteaux offerts. Les objets "
                "trop lourds : prévenez-nous, on vient voir sur place."
            ),
            start=_at(grange, saturday, 14), end=_at(grange, saturday, 17), room=hall,
            audience=Event.Audience.EVERYONE, price_mode=Event.PriceMode.FREE,
            status=Event.Status.PUBLISHED,
            accessibility="Salle de plain-pied ; toilettes adaptées dans la cour.",
        ),
        by=camille, frequency=EventSeries.Frequency.WEEKLY, count=8,
        tags=("réparation", "zéro déchet"),
    )  # fmt: skip

    # A digital-help workshop, full: registered people, a waiting list, a seat offered ------
    postes = Resource.objects.get(place=epn, slug="postes")
    workshop_day = _next(today, 5, weeks=1)
    workshop = _event(
        nadia, ("numérique", "démarches en ligne"),
        place=epn, title="Atelier : vos démarches en ligne avec FranceConnect",
        kind=Event.Kind.DIGITAL_HELP, audience=Event.Audience.SENIORS,
        summary="Créer son compte, retrouver ses identifiants, déclarer en ligne, sans stress.",
        description=(
            "Un atelier en petit groupe avec Nadia, conseillère numérique.\n\n"
            "1. Qu'est-ce que FranceConnect ?\n2. Se connecter aux impôts, à l'Assurance "
            "maladie, à la CAF\n3. Garder ses mots de passe en sécurité\n\n"
            "Venez avec votre téléphone et vos identifiants si vous les avez. "
            "Un ordinateur est prêté à chaque personne."
        ),
        start=_at(epn, workshop_day, 10), end=_at(epn, workshop_day, 12), room=postes,
        price_mode=Event.PriceMode.FREE, registration_open=True, capacity=6,
        max_seats_per_registration=2, offer_hours=48,
        questions=[{"label": "Viendrez-vous avec votre propre téléphone ?", "required": False}],
        accessibility="Médiathèque accessible en fauteuil ; boucle magnétique à l'accueil.",
    )  # fmt: skip
    _register_account(workshop, people["fatou"], answers={
        "Viendrez-vous avec votre propre téléphone ?": "Oui"
    })  # fmt: skip
    gerard = None
    for name, email in [
        ("Monique Leroy", "monique.leroy"), ("Gérard Petit", "gerard.petit"),
        ("Yasmina Benhaddou", "yasmina.benhaddou"), ("Jean-Pierre Caron", "jp.caron"),
        ("Odile Vasseur", "odile.vasseur"), ("Bernard Lefebvre", "bernard.lefebvre"),
        ("Hélène Masson", "helene.masson"), ("Ahmed Ouali", "ahmed.ouali"),
    ]:  # fmt: skip
        registration = _register_by_email(workshop, name, _mail(email))
        if email == "gerard.petit":
            gerard = registration
    # Gérard cannot come: his seat is offered to the first on the waiting list (Bernard)
    assert gerard is not None
    registrations.registration_cancel(registration=gerard)

    # The network's festival over the coming fortnight ---------------------------------------
    network = Network.objects.get(slug=FESTIVAL_NETWORK)
    festival = festivals.festival_save(
        festival=Festival(
            network=network, name=FESTIVAL_NAME, theme="Faire ensemble, près de chez soi",
            start_date=today, end_date=today + dt.timedelta(days=FESTIVAL_DAYS - 1),
            requires_approval=True,
            description=(
                "Pendant quinze jours, les tiers-lieux de Bretagne et des Pays de la Loire "
                "ouvrent leurs portes : ateliers, débats, repas partagés, visites.\n\n"
                "**Tout est gratuit ou à prix libre.** Venez découvrir le lieu près de chez "
                "vous, et partagez vos trajets avec le covoiturage de chaque événement."
            ),
        ),
        by=camille,
    )  # fmt: skip
    submitted: list[Event] = []

    def in_festival(event: Event, by: User) -> Event:
        festivals.festival_submit(event=event, festival=festival, by=by)
        submitted.append(event)
        return event

    # A café-débat at Le Quai
    debate_day = _next(today, 3)
    in_festival(_event(
        samir, ("gouvernance", "travail"),
        place=quai, title="Café-débat : le télétravail vide-t-il nos centres-bourgs ?",
        kind=Event.Kind.DEBATE, audience=Event.Audience.EVERYONE,
        summary="Une heure et demie pour en parler, autour d'un café, avec une sociologue.",
        description=(
            "Depuis 2020, des salariés travaillent loin de leur entreprise, souvent depuis "
            "chez eux. Les petites villes y gagnent-elles des habitants, ou perdent-elles "
            "leurs commerces ?\n\nAvec **Anne Le Bihan**, sociologue (Université Rennes 2), "
            "et des coworkers du Quai. Animation : Samir Benali."
        ),
        start=_at(quai, debate_day, 18, 30), end=_at(quai, debate_day, 20),
        location="Cuisine partagée du Quai, rez-de-chaussée",
        price_mode=Event.PriceMode.PAY_WHAT_YOU_WANT,
    ), samir)  # fmt: skip

    # The two-day regional forum at Le Quai: the hall for the event, Salle Loire for the
    # parallel track (each session holds it)
    halle = Resource.objects.create(
        place=quai, slug="grande-halle", name="Grande halle", kind=Resource.Kind.MEETING_ROOM,
        capacity=1, visibility=Resource.Visibility.MEMBERS, allowed_statuses=["resident"],
        description="L'ancien entrepôt : 80 places assises, scène et sonorisation.",
        location="Rez-de-chaussée", requires_approval=True,
    )  # fmt: skip
    loire = Resource.objects.get(place=quai, slug="salle-loire")
    day1 = _next(today, 1, weeks=1)
    day2 = day1 + dt.timedelta(days=1)
    meal = "Déjeunerez-vous sur place (repas bio, 12 €) ?"
    forum = in_festival(_event(
        samir, ("gouvernance", "numérique", "réseau"),
        place=quai, title="Forum régional des tiers-lieux de l'Ouest",
        kind=Event.Kind.FORUM, audience=Event.Audience.PROFESSIONALS,
        summary="Deux jours pour partager nos pratiques : gouvernance, numérique, transition.",
        description=(
            "Le rendez-vous annuel des tiers-lieux de Bretagne et des Pays de la Loire, "
            "porteurs de projets, élus et partenaires.\n\n"
            "Chaque demi-journée, **deux ateliers en parallèle** : choisissez le vôtre "
            "dans le programme. La visite du Quai est limitée à 15 personnes : "
            "inscrivez-vous-y depuis votre inscription.\n\n"
            "Pensez au covoiturage : des trajets partent de Vannes, Nantes et Rennes."
        ),
        start=_at(quai, day1, 9, 30), end=_at(quai, day2, 16, 30), room=halle,
        price_mode=Event.PriceMode.SUGGESTED, price_amount=Decimal("15.00"),
        registration_open=True, capacity=120, max_seats_per_registration=3,
        questions=[
            {"label": meal, "required": True},
            {"label": "Besoins particuliers (accessibilité, régime alimentaire)",
             "required": False},
        ],
        accessibility=(
            "Grande halle de plain-pied, Salle Loire à l'étage avec ascenseur. "
            "Interprétation en LSF pour les plénières sur demande avant le forum."
        ),
    ), samir)  # fmt: skip
    plenary, governance, digital, transition = "Plénière", "Gouvernance", "Numérique", "Transition"
    programme = [
        (day1, (9, 30), (10, 15), "Ouverture du forum", plenary, halle, "",
         "Camille Roussel (Réseau Ouest), Samir Benali (Le Quai des Possibles)", None),
        (day1, (10, 30), (12, 30), "SCIC, association, collectif : qui décide ?", governance,
         halle, "", "Élise Carré (URSCOP), Hervé Guillou (La Coopérative des Tiers)", None),
        (day1, (10, 30), (12, 30), "Accueillir les personnes éloignées du numérique", digital,
         loire, "", "Nadia Ferrand (conseillère numérique)", None),
        (day1, (14, 0), (17, 0), "Modèles économiques des tiers-lieux ruraux", governance,
         halle, "", "Camille Roussel, Jean Morvan (commune de Redon)", None),
        (day1, (14, 0), (17, 0), "Atelier : cartographier les ressources de son territoire",
         digital, loire, "", "Léa Marchand (FabLab des Deux Rives)", None),
        (day2, (9, 30), (12, 30), "Jardins partagés et alimentation de proximité", transition,
         halle, "", "Maëlle Tanguy (La Ferme du Bocage)", None),
        (day2, (9, 30), (12, 30), "Fabriquer avec les habitants : retours de fablabs",
         transition, loire, "", "Léa Marchand, Hugo Lefèvre", None),
        (day2, (14, 0), (15, 30), "Visite du Quai et de l'atelier bois", "", None,
         "Départ de l'accueil", "Samir Benali", 15),
        (day2, (15, 30), (16, 30), "Restitution et suites du forum", plenary, halle, "",
         "Camille Roussel", None),
    ]  # fmt: skip
    sessions: list[Session] = []
    for day, (h1, m1), (h2, m2), title, track, room, room_name, speakers, seats in programme:
        sessions.append(
            services.session_save(
                session=Session(
                    event=forum, title=title, track=track, room=room, room_name=room_name,
                    speakers=speakers, start=_at(quai, day, h1, m1), end=_at(quai, day, h2, m2),
                    capacity=seats,
                ),
                by=samir,
            )
        )  # fmt: skip
    visit = sessions[7]
    forum_regs: dict[str, Registration] = {}
    for key in ("jeanne", "marc", "camille", "nadia", "lea"):
        forum_regs[key] = _register_account(
            forum, people[key], answers={meal: "Oui" if key != "lea" else "Non"}
        )
    for name, email, answer, seats in [
        ("Yann Le Goff", "yann.legoff", "Oui", 1),
        ("Sophie Martin", "sophie.martin", "Oui", 1),
        ("Lucie Bernard", "lucie.bernard", "Non", 2),
        ("Thomas Garnier", "thomas.garnier", "Oui", 1),
        ("Maëlle Tanguy", "maelle.tanguy", "Oui", 1),
        ("Élise Carré", "elise.carre", "Non", 1),
    ]:
        forum_regs[email] = _register_by_email(
            forum, name, _mail(email), seats=seats, answers={meal: answer}
        )
    for key in ("jeanne", "marc", "yann.legoff"):
        registrations.session_signup(registration=forum_regs[key], session=visit)

    # Rides to the forum from nearby towns: offers, requests, an accepted passenger
    _rides(forum, people, forum_regs, day1, day2)

    # Events of other places of the network (their managers are the site admin here)
    hangar, ferme, living_lab = (
        places[k] for k in ("hangar-culturel", "ferme-du-bocage", "living-lab-sante")
    )
    open_day = _next(today, 5)
    in_festival(_event(
        admin, ("culture", "artisanat"),
        place=hangar, title="Portes ouvertes des ateliers d'artistes",
        kind=Event.Kind.OPEN_DAY, audience=Event.Audience.FAMILIES,
        summary="Quarante artistes et artisans ouvrent leurs ateliers, de 11 h à 19 h.",
        description=(
            "Céramique, sérigraphie, lutherie, ébénisterie : entrez dans les ateliers, "
            "regardez, essayez.\n\nÀ 16 h, **concert** de la chorale du quartier dans la "
            "grande salle. Cantine ouverte toute la journée."
        ),
        start=_at(hangar, open_day, 11), end=_at(hangar, open_day, 19),
        price_mode=Event.PriceMode.FREE,
    ), admin)  # fmt: skip
    soup_day = _next(today, 4)
    soup = in_festival(_event(
        admin, ("jardin", "alimentation"),
        place=ferme, title="Soupe partagée et marché paysan",
        kind=Event.Kind.MEAL, audience=Event.Audience.FAMILIES,
        summary="On épluche ensemble les légumes de la ferme, puis on mange la soupe.",
        description=(
            "Rendez-vous à la légumerie à 17 h : épluchage collectif, puis soupe et "
            "marché des producteurs du bocage jusqu'à 21 h.\n\nApportez votre bol !"
        ),
        start=_at(ferme, soup_day, 17), end=_at(ferme, soup_day, 21),
        price_mode=Event.PriceMode.PAY_WHAT_YOU_WANT, registration_open=True, capacity=40,
        max_seats_per_registration=6,
    ), admin)  # fmt: skip
    _register_by_email(soup, "Famille Moreau", _mail("famille.moreau"), seats=4)
    _register_by_email(soup, "Karim Haddad", _mail("karim.haddad"), seats=2)
    health_day = _next(today, 2, weeks=1)
    in_festival(
        _event(
            admin,
            ("santé", "numérique"),
            place=living_lab,
            title="Mon espace santé : on l'ouvre ensemble ?",
            kind=Event.Kind.WORKSHOP,
            audience=Event.Audience.SENIORS,
            summary="Un atelier pour comprendre et ouvrir son espace santé en ligne.",
            description=(
                "Avec une pharmacienne et un médiateur numérique : à quoi sert Mon espace "
                "santé, qui peut voir vos documents, comment les ajouter."
            ),
            start=_at(living_lab, health_day, 14),
            end=_at(living_lab, health_day, 16),
            price_mode=Event.PriceMode.FREE,
        ),
        admin,
    )  # fmt: skip  (left waiting for Camille's approval)
    review_day = today + dt.timedelta(days=FESTIVAL_DAYS - 1)
    review = _event(
        camille, ("réseau",),
        network=network, title="Visio du réseau : le bilan de la Quinzaine",
        kind=Event.Kind.CONFERENCE, audience=Event.Audience.PROFESSIONALS,
        summary="Une heure en ligne pour partager ce qui a marché, et ce qui n'a pas marché.",
        description="Ouvert à toutes les équipes des lieux du réseau. Lien de la visio ci-dessous.",
        start=_at(quai, review_day, 12, 30), end=_at(quai, review_day, 13, 30),
        online_url="https://visio.example.org/reseau-ouest-bilan",
        price_mode=Event.PriceMode.FREE,
    )  # fmt: skip
    in_festival(review, camille)  # a network's own event: in the programme straight away
    for event in submitted:
        if event.place_id == living_lab.pk:
            continue
        if event.festival_state == Event.FestivalState.PENDING:
            festivals.festival_decide(event=event, by=camille, accept=True)

    # A draft at Le Quai, a cancelled workshop at the FabLab --------------------------------
    draft_day = _next(today, 3, weeks=2)
    _event(
        samir, ("travail", "numérique"),
        place=quai, title="Atelier portfolio pour les indépendants",
        kind=Event.Kind.WORKSHOP, audience=Event.Audience.PROFESSIONALS,
        summary="Mettre en valeur son travail en ligne : quoi montrer, comment, où.",
        description="À compléter : intervenante à confirmer (Jeanne ?).",
        start=_at(quai, draft_day, 9, 30), end=_at(quai, draft_day, 12, 30),
        price_mode=Event.PriceMode.FIXED, price_amount=Decimal("25.00"),
        registration_open=True, capacity=10, status=Event.Status.DRAFT,
    )  # fmt: skip
    fablab = places["fablab-deux-rives"]
    laser_day = _next(today, 2, weeks=1)  # the day the laser cutter is in maintenance
    nest = _event(
        lea, ("fabrication", "jardin"),
        place=fablab, title="Soirée découpe laser : fabriquez votre nichoir",
        kind=Event.Kind.WORKSHOP, audience=Event.Audience.EVERYONE,
        summary="Dessinez, découpez et assemblez un nichoir à mésanges en contreplaqué.",
        description="Matériel compris. Aucune expérience nécessaire.",
        start=_at(fablab, laser_day, 18), end=_at(fablab, laser_day, 21),
        price_mode=Event.PriceMode.FIXED, price_amount=Decimal("10.00"),
        registration_open=True, capacity=8,
    )  # fmt: skip
    _register_account(nest, people["hugo"])
    _register_by_email(nest, "Claire Schmitt", _mail("claire.schmitt"))
    services.event_cancel(
        event=nest, by=lea,
        reason="La découpeuse laser est en maintenance ce jour-là (changement du tube) : "
        "la soirée est reportée, nous vous écrirons la nouvelle date.",
    )  # fmt: skip

    demo_events = Event.objects.filter(place__source="demo") | Event.objects.filter(
        network__slug=FESTIVAL_NETWORK
    )
    return {
        "events": demo_events.distinct().count(),
        "registrations": Registration.objects.filter(event__in=demo_events).distinct().count(),
        "festivals": Festival.objects.filter(network=network).count(),
        "rides": Ride.objects.filter(event=forum).count(),
    }


def _rides(
    forum: Event,
    people: dict[str, User],
    regs: dict[str, Registration],
    day1: dt.date,
    day2: dt.date,
) -> None:
    """Offers and requests to the forum from nearby towns, through the rides services;
    Marc has a seat in Yann's car, Sophie is waiting for Yann's answer."""
    quai = forum.place
    assert quai is not None

    def who(author: User | Registration) -> rides.Participant:
        if isinstance(author, User):
            return rides.participant_for_user(author, forum)
        return rides.participant_for_registration(author)

    def ride(kind: str, author: User | Registration, town: str, **fields: Any) -> Ride:
        made = rides.ride_create(forum, who(author), kind, town, **fields)
        if made.latitude is None:
            # a town the directory does not know (no place there): its centre
            made.latitude, made.longitude = TOWNS[town]
            Ride.objects.filter(pk=made.pk).update(latitude=made.latitude, longitude=made.longitude)
        return made

    yann = ride(
        Ride.Kind.OFFER, regs["yann.legoff"], "Vannes",
        from_detail="Parking de la gare de Vannes, côté nord",
        departure_at=_at(quai, day1, 8, 15), seats=3, round_trip=True,
        return_at=_at(quai, day2, 17), contribution=Ride.Contribution.SHARED,
        contribution_amount=Decimal("5.00"), phone="06 12 34 56 78",
        note="Je dors à Redon le mardi soir ; retour le mercredi après la restitution.",
    )  # fmt: skip
    ride(
        Ride.Kind.OFFER, people["camille"], "Nantes",
        from_detail="Gare de Nantes, sortie nord",
        departure_at=_at(quai, day1, 7, 45), seats=2, round_trip=False,
        contribution=Ride.Contribution.FREE, note="Aller seulement, le mardi matin.",
    )  # fmt: skip
    ride(
        Ride.Kind.REQUEST, regs["lucie.bernard"], "Rennes", seats=2,
        departure_at=_at(quai, day1, 8), round_trip=True, return_at=_at(quai, day2, 17),
        note="Nous sommes deux, avec un petit bagage chacune.",
    )  # fmt: skip
    ride(
        Ride.Kind.REQUEST, regs["thomas.garnier"], "Nantes", seats=1,
        departure_at=_at(quai, day1, 8), round_trip=False,
    )  # fmt: skip
    driver = who(regs["yann.legoff"])
    marc = rides.seat_request(yann, who(people["marc"]), seats=1, message="Merci Yann !")
    rides.seat_decide(marc, driver, accept=True)
    rides.seat_request(
        yann, who(regs["sophie.martin"]), seats=1,
        message="Bonjour, je peux vous rejoindre à la gare de Vannes à 8 h ? Merci !",
    )  # fmt: skip
