"""French regions from postcodes: the 101 departments (Corsica's 2A and 2B, the five overseas
departments 971-976) and the region each belongs to since 2016.

A postcode starts with its department's number, except in Corsica (20xxx: 2A for 200xx-201xx,
2B above) and overseas (three digits: 971xx...). A few postcodes of villages near a border
carry the neighbouring department's number: the region shown is the postcode's, which is what
a visitor reads on the address anyway.

`region_expression` computes the same region in SQL, to sort and filter a programme by region
in the database.
"""

from __future__ import annotations

from django.db.models import Case, CharField, Value, When
from django.db.models.functions import Substr
from django.db.models.lookups import In

# region name -> departments (codes as written by INSEE)
REGIONS: dict[str, tuple[str, ...]] = {
    "Auvergne-Rhône-Alpes": (
        "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
    ),
    "Bourgogne-Franche-Comté": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "Bretagne": ("22", "29", "35", "56"),
    "Centre-Val de Loire": ("18", "28", "36", "37", "41", "45"),
    "Corse": ("2A", "2B"),
    "Grand Est": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "Hauts-de-France": ("02", "59", "60", "62", "80"),
    "Île-de-France": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "Normandie": ("14", "27", "50", "61", "76"),
    "Nouvelle-Aquitaine": (
        "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
    ),
    "Occitanie": (
        "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
    ),
    "Pays de la Loire": ("44", "49", "53", "72", "85"),
    "Provence-Alpes-Côte d'Azur": ("04", "05", "06", "13", "83", "84"),
    "Guadeloupe": ("971",),
    "Martinique": ("972",),
    "Guyane": ("973",),
    "La Réunion": ("974",),
    "Mayotte": ("976",),
}  # fmt: skip

# department code -> region name
DEPARTMENTS: dict[str, str] = {code: region for region, codes in REGIONS.items() for code in codes}

# Names in the order a French reader expects them (alphabetical, overseas last).
REGION_NAMES: tuple[str, ...] = tuple(REGIONS)


def department_of(postcode: str) -> str:
    """The department code of a postcode ("35600" -> "35", "20090" -> "2A", "97110" ->
    "971"), or "" when the postcode is not a French one."""
    code = (postcode or "").strip().replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        return ""
    if code.startswith(("97", "98")):
        return code[:3] if code[:3] in DEPARTMENTS else ""
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2] if code[:2] in DEPARTMENTS else ""


def region_of(postcode: str) -> str:
    """The region of a postcode ("35600" -> "Bretagne"), or "" when unknown."""
    return DEPARTMENTS.get(department_of(postcode), "")


def region_expression(field: str) -> Case:
    """SQL for `region_of(<field>)`, `field` naming a postcode (e.g. "place__postcode")."""
    prefix2 = Substr(field, 1, 2)
    prefix3 = Substr(field, 1, 3)
    whens = []
    for region, codes in REGIONS.items():
        if region == "Corse":
            codes = ("20",)  # 20xxx: both Corsican departments are in the same region
        two = [code for code in codes if len(code) == 2]
        three = [code for code in codes if len(code) == 3]
        if two:
            whens.append(When(In(prefix2, two), then=Value(region)))
        if three:
            whens.append(When(In(prefix3, three), then=Value(region)))
    return Case(*whens, default=Value(""), output_field=CharField())
