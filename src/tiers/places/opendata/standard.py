"""The national "lieux de médiation numérique" standard, version 1.0.2 (a Table Schema).

The columns, their order and the closed vocabularies are copied from the schema's *patterns*
(which are what validators check), not from the descriptions, which differ in places
("Comprehension du monde numérique" in the description, "Compréhension" in the pattern).
A test checks this module against the schema file itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tiers.core.text import fold

VERSION = "1.0.2"

COLUMNS: tuple[str, ...] = (
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
    "complement_adresse", "latitude", "longitude", "typologie", "telephone", "courriels",
    "site_web", "horaires", "presentation_resume", "presentation_detail", "source",
    "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
)  # fmt: skip

REQUIRED: frozenset[str] = frozenset(
    {"id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"}
)

# Multi-valued fields are joined with this separator.
SEPARATOR = "|"

# `pivot` is required and must match ^[a-zA-Z0-9]{9,14}$. The schema gives no value for
# "unknown"; the national inventory built on this standard publishes fourteen zeros.
PIVOT_UNKNOWN = "00000000000000"
PIVOT_PATTERN = re.compile(r"^[a-zA-Z0-9]{9,14}$")

PHONE_PATTERN = re.compile(
    r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$"
)
POSTCODE_PATTERN = re.compile(r"^\d{5}$")
RESUME_MAX_LENGTH = 280

# The closed vocabularies (the values allowed by each field's pattern).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "itinerance": ("Itinérant", "Fixe"),
    "services": (
        "Aide aux démarches administratives",
        "Maîtrise des outils numériques du quotidien",
        "Insertion professionnelle via le numérique",
        "Utilisation sécurisée du numérique",
        "Parentalité et éducation avec le numérique",
        "Loisirs et créations numériques",
        "Compréhension du monde numérique",
        "Accès internet et matériel informatique",
        "Acquisition de matériel informatique à prix solidaire",
    ),
    "publics_specifiquement_adresses": (
        "Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes",
    ),
    "prise_en_charge_specifique": (
        "Surdité", "Handicaps moteurs", "Handicaps mentaux", "Illettrisme",
        "Langues étrangères (anglais)", "Langues étrangères (autres)", "Déficience visuelle",
    ),
    "frais_a_charge": ("Gratuit", "Gratuit sous condition", "Payant"),
    "dispositif_programmes_nationaux": (
        "Aidants Connect", "Bibliothèques numérique de référence", "Certification PIX",
        "Conseillers numériques", "Emmaüs Connect", "France Services",
        "Grande école du numérique", "La Croix Rouge", "Point d'accès numérique CAF",
        "Promeneurs du net", "Relais numérique (Emmaüs Connect)",
    ),
    "formations_labels": (
        "Formé à « Mon Espace Santé »", "Formé à « DUPLEX » (illettrisme)",
        "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        "Collectif ressources et acteurs réemploi (Normandie)",
        "Étapes numériques(La Poste)", "Fabriques de Territoire",
        "Les Éclaireurs du numérique (Drôme)", "Mes Papiers (Métropole de Lyon)", "ORDI 3.0",
        "SUD LABS (PACA)",
    ),
    "modalites_acces": (
        "Se présenter", "Téléphoner", "Contacter par mail", "Prendre un RDV en ligne",
        "Ce lieu n'accueille pas de public", "Envoyer un mail avec une fiche de prescription",
    ),
    "modalites_accompagnement": (
        "En autonomie", "Accompagnement individuel", "Dans un atelier collectif", "À distance",
    ),
}  # fmt: skip

# Columns that have no field of their own on a place: kept in `Place.standard_fields` under
# their column name, as the standard writes them (multi-values joined with "|").
EXTRA_COLUMNS: tuple[str, ...] = (
    "complement_adresse", "typologie", "source", "itinerance", "structure_parente",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
)  # fmt: skip

# The typologies (data.inclusion's vocabulary) our kinds stand for. Every kind of the
# directory is a tiers-lieu; the vocabulary has no finer code for fablabs, coworking or EPN.
TIERS_LIEUX = "TIERS_LIEUX"
ASSOCIATION = "ASSO"


@lru_cache(maxsize=4096)
def _key(value: str) -> str:
    """Compare vocabulary values without case, accents, spaces or punctuation."""
    return re.sub(r"[^a-z0-9]", "", fold(value))


_CANONICAL: dict[str, dict[str, str]] = {
    column: {_key(value): value for value in values} for column, values in VOCABULARIES.items()
}
# The descriptions' spellings that differ from the patterns', and the long forms of
# modalites_accompagnement written out in the description.
_CANONICAL["services"][_key("Comprehension du monde numérique")] = (
    "Compréhension du monde numérique"
)
_CANONICAL["modalites_accompagnement"].update(
    {
        _key("Dans un atelier collectif : j'apprends collectivement à utiliser le numérique"): (
            "Dans un atelier collectif"
        ),
        _key("À distance (par téléphone ou en visioconférence)"): "À distance",
    }
)


def split_values(raw: str) -> list[str]:
    """The values of a multi-valued cell, trimmed, without empty ones or repeats."""
    values: list[str] = []
    for item in raw.split(SEPARATOR):
        item = item.strip()
        if item and item not in values:
            values.append(item)
    return values


def canonical(column: str, value: str) -> str | None:
    """The vocabulary's spelling of `value` for `column`, or None when it is not in it."""
    return _CANONICAL[column].get(_key(value))


def sort_vocabulary(column: str, raw: str) -> tuple[list[str], list[str]]:
    """Split a cell of a closed-vocabulary column into (known values, unknown values)."""
    known: list[str] = []
    unknown: list[str] = []
    for value in split_values(raw):
        spelled = canonical(column, value)
        if spelled is None:
            unknown.append(value)
        elif spelled not in known:
            known.append(spelled)
    return known, unknown


# Overseas telephone prefixes: the national number's first digits -> the country code the
# standard expects (e.g. 0590 12 34 56 in Guadeloupe is +590 590 12 34 56).
_OVERSEAS_PHONE = {
    "0590": "+590", "0690": "+590", "0691": "+590",
    "0594": "+594", "0694": "+594",
    "0262": "+262", "0263": "+262", "0692": "+262", "0693": "+262",
    "0269": "+262", "0639": "+262",
    "0596": "+596", "0696": "+596", "0697": "+596",
}  # fmt: skip


def phone(raw: str) -> str:
    """A telephone number in the standard's international form (+33...), or "" if it cannot
    be written so (foreign numbers, extensions, words)."""
    text = raw.strip().replace("(0)", "")
    if not text:
        return ""
    if re.search(r"[^\d\s.+\-/()]", text):
        return ""
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    elif len(digits) == 10 and digits.startswith("0"):
        prefix = _OVERSEAS_PHONE.get(digits[:4], "+33")
        candidate = prefix + digits[1:]
    else:
        return ""
    # +33 followed by a national number still starting with 0: drop that 0.
    if candidate.startswith("+330"):
        candidate = "+33" + candidate[4:]
    return candidate if PHONE_PATTERN.match(candidate) else ""


def pivot(legal_id: str) -> str:
    """A place's SIRET, SIREN or RNA number as the standard's `pivot`, or its placeholder."""
    compact = re.sub(r"\s", "", legal_id).upper()
    return compact if PIVOT_PATTERN.match(compact) else PIVOT_UNKNOWN
