"""The directory in open formats: the médiation numérique standard's CSV, and GeoJSON.

Both read plain values (no model instances) in a constant number of queries, whatever the
number of places, so that a national directory (tens of thousands of places) exports fast.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from tiers.places import hours
from tiers.places.models import Place, PlaceQuerySet
from tiers.places.opendata import standard

CSV_FIELDS = (
    "slug", "name", "town", "postcode", "insee_code", "address", "latitude", "longitude",
    "phone", "email", "website", "links", "opening_hours", "short_description", "description",
    "legal_id", "services", "standard_fields", "updated_at",
)  # fmt: skip
_RNA = re.compile(r"^W\d{9}$", re.IGNORECASE)
_LINES_PER_CHUNK = 200
_FEATURES_PER_CHUNK = 200


def csv_exportable() -> Q:
    """The places the standard can describe: it requires a postcode of five digits, a town
    and an address. The others are left out of the CSV (and counted)."""
    return Q(postcode__regex=r"^[0-9]{5}$") & ~Q(town="") & ~Q(address="")


def _number(value: float | None) -> str:
    """A coordinate written in full (never 1e-05), exactly as stored."""
    if value is None:
        return ""
    return format(Decimal(repr(value)), "f")


def _join(values: list[str]) -> str:
    """A multi-valued cell: "|" inside a value would split it, so it is escaped or dropped."""
    cleaned = [v.replace(standard.SEPARATOR, "%7C") for v in values if v]
    return standard.SEPARATOR.join(dict.fromkeys(cleaned))


def _resume(text: str) -> str:
    if len(text) <= standard.RESUME_MAX_LENGTH:
        return text
    cut = text[: standard.RESUME_MAX_LENGTH - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _typologie(place: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    # The vocabulary (data.inclusion's) has one code for every kind of tiers-lieu, and the
    # legal form shows through an RNA number (associations only have one).
    values = standard.split_values(str(extra.get("typologie") or ""))
    values.append(standard.TIERS_LIEUX)
    if _RNA.match(place["legal_id"].replace(" ", "")):
        values.append(standard.ASSOCIATION)
    return _join(values)


def _courriels(place: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    # Several addresses read from a file are kept while the place's own stays their first.
    imported = standard.split_values(str(extra.get("courriels") or ""))
    if imported and place["email"] and imported[0] == place["email"]:
        return _join(imported)
    return place["email"] or ""


def mednum_row(place: Mapping[str, Any], *, default_source: str) -> list[str]:
    """One place (a dict of `CSV_FIELDS`) as a row of the standard, in its column order."""
    extra: Mapping[str, Any] = place["standard_fields"] or {}
    if not isinstance(extra, dict):
        extra = {}
    services = [standard.canonical("services", str(value)) for value in place["services"] or []]
    row: dict[str, str] = {
        "id": place["slug"],
        "pivot": standard.pivot(place["legal_id"]),
        "nom": place["name"],
        "commune": place["town"],
        "code_postal": place["postcode"],
        "code_insee": place["insee_code"],
        "adresse": place["address"],
        "latitude": _number(place["latitude"]),
        "longitude": _number(place["longitude"]),
        "typologie": _typologie(place, extra),
        "telephone": standard.phone(place["phone"]),
        "courriels": _courriels(place, extra),
        "site_web": _join([place["website"], *(place["links"] or [])]),
        "horaires": place["opening_hours"] if hours.parse(place["opening_hours"]) else "",
        "presentation_resume": _resume(place["short_description"]),
        "presentation_detail": place["description"],
        "source": str(extra.get("source") or default_source),
        "date_maj": timezone.localtime(place["updated_at"]).date().isoformat(),
        "services": _join([s for s in services if s]),
    }
    for column in standard.EXTRA_COLUMNS:
        if column in row:
            continue
        raw = str(extra.get(column) or "")
        if not raw:
            row[column] = ""
            continue
        if column in standard.VOCABULARIES:
            known, _unknown = standard.sort_vocabulary(column, raw)
            row[column] = _join(known)
        else:
            row[column] = raw
    return [row.get(column, "") for column in standard.COLUMNS]


class _Echo:
    """A file-like object whose write() returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def mednum_csv(places: PlaceQuerySet, *, default_source: str) -> Iterator[str]:
    """The standard's CSV, header first, in chunks of lines (for a streaming response)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(standard.COLUMNS)
    lines: list[str] = []
    rows = places.values(*CSV_FIELDS).order_by("name", "pk").iterator(chunk_size=2000)
    for place in rows:
        lines.append(writer.writerow(mednum_row(place, default_source=default_source)))
        if len(lines) >= _LINES_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def geojson_document(places: PlaceQuerySet, *, url_prefix: str) -> str:
    """The places that have coordinates as an RFC 7946 FeatureCollection, in two queries
    (places, then their kinds).

    Features are serialised a few hundred at a time: short-lived objects keep the garbage
    collector from walking tens of thousands of dicts again and again (it doubled the time).
    """
    located = places.filter(latitude__isnull=False, longitude__isnull=False)
    kinds: dict[int, list[str]] = defaultdict(list)
    links = Place.kinds.through.objects.filter(place_id__in=located.values("pk"))
    for place_id, code in links.values_list("place_id", "placekind_id"):
        kinds[place_id].append(code)
    for codes in kinds.values():
        codes.sort()
    rows = located.order_by().values_list(
        "pk", "slug", "name", "town", "postcode", "status", "longitude", "latitude"
    )
    encode = json.JSONEncoder(ensure_ascii=False).encode
    parts: list[str] = []
    features: list[dict[str, Any]] = []
    for pk, slug, name, town, postcode, status, lon, lat in rows.iterator(chunk_size=2000):
        features.append(
            {
                "type": "Feature",
                "id": slug,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(lon or 0.0, 6), round(lat or 0.0, 6)],
                },
                "properties": {
                    "name": name,
                    "town": town,
                    "postcode": postcode,
                    "status": status,
                    "url": f"{url_prefix}{slug}/",
                    "kinds": kinds.get(pk, []),
                },
            }
        )
        if len(features) >= _FEATURES_PER_CHUNK:
            parts.append(encode(features)[1:-1])
            features = []
    if features:
        parts.append(encode(features)[1:-1])
    return '{"type": "FeatureCollection", "features": [' + ", ".join(parts) + "]}"
