"""Turning one row of each format into the fields of a place (`PlaceRecord`).

A record holds only the fields its file provides: a re-import updates those and leaves the
others (a description written in Tiers survives a re-import of the census, which has none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from tiers.core.text import fold
from tiers.places.models import Kind, Place
from tiers.places.opendata import clean, readers, standard
from tiers.places.opendata.clean import Issues, RowRejected

CGET_SOURCE = "cget-2019"
# The census writes 0 for an unknown postcode or INSEE code.
CGET_UNKNOWN = ("0",)
# Where the census's original typology is kept, in `Place.standard_fields`.
CGET_TYPO_KEY = "cget_typo"
CGET_TYPOLOGIES = {
    "tiers lieux a dominante coworking": Kind.COWORKING.value,
    "tiers lieux a dominante fablab": Kind.FABLAB.value,
}
SOURCE_MAX_LENGTH = 40
SOURCE_ID_MAX_LENGTH = 100

# GeoJSON properties named as this site's own GeoJSON and API name them -> standard columns.
GEOJSON_ALIASES = {
    "name": "nom", "town": "commune", "postcode": "code_postal", "insee_code": "code_insee",
    "address": "adresse", "phone": "telephone", "email": "courriels",
    "opening_hours": "horaires", "short_description": "presentation_resume",
    "description": "presentation_detail", "legal_id": "pivot",
}  # fmt: skip


@dataclass
class PlaceRecord:
    """What one row says about a place."""

    number: int
    source: str
    source_id: str
    values: dict[str, Any]
    # The kinds the file gives (replacing the place's), or None when it says nothing of them;
    # then a new place gets `default_kinds`.
    kinds: list[str] | None = None
    default_kinds: list[str] = field(default_factory=lambda: [Kind.OTHER.value])
    # Keys to set in `Place.standard_fields`; None removes the key.
    standard_fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    @property
    def name(self) -> str:
        return str(self.values.get("name", ""))


@dataclass
class Context:
    source: str = ""  # forced by the person importing (--source), else each format's own
    file_stem: str = ""  # the file's name without extension (names GeoJSON sources)


Converter = Callable[[readers.RawRow, Context], PlaceRecord]


def _source_id(raw: object, label: str) -> str:
    value = clean.text(raw)
    if not value:
        raise RowRejected(_("The identifier (%(column)s) is missing.") % {"column": label})
    if len(value) > SOURCE_ID_MAX_LENGTH:
        raise RowRejected(
            _("The identifier is longer than %(max)d characters.") % {"max": SOURCE_ID_MAX_LENGTH}
        )
    return value


def _postcode_values(values: dict[str, Any], postcode: str) -> None:
    values["postcode"] = postcode
    zone = clean.time_zone_for(postcode)
    if zone:
        values["time_zone"] = zone


# --- the 2019 census -------------------------------------------------------------------------


def cget_kind(typo: str) -> str:
    """The kind of a census typology: coworking, fablab, both (hybrid), or other."""
    key = fold(typo)
    if key in CGET_TYPOLOGIES:
        return CGET_TYPOLOGIES[key]
    coworking = "cowork" in key
    fablab = "fab" in key or "maker" in key
    if "mixte" in key or "hybride" in key or (coworking and fablab):
        return Kind.HYBRID.value
    if coworking:
        return Kind.COWORKING.value
    if fablab:
        return Kind.FABLAB.value
    return Kind.OTHER.value


def from_cget(row: readers.RawRow, context: Context) -> PlaceRecord:
    data = row.data
    issues = Issues()
    source_id = _source_id(data.get("id"), "ID")
    values: dict[str, Any] = {"name": clean.name(data.get("nom_tl"))}
    values["address"] = clean.text(
        data.get("adresse"), max_length=255, issues=issues, label="ADRESSE"
    )
    _postcode_values(values, clean.postcode(data.get("cp"), issues, unknown=CGET_UNKNOWN))
    # NOMCOM is the official name of the town; COMINIT the one the place gave.
    values["town"] = clean.text(data.get("nomcom") or data.get("cominit"), max_length=120)
    values["insee_code"] = clean.insee_code(data.get("inseecom"), issues, unknown=CGET_UNKNOWN)
    values["latitude"], values["longitude"] = clean.coordinates(data.get("lat"), data.get("long"))
    web = clean.urls(data.get("web"), issues, label="WEB")
    links = [
        *web[1:],
        *clean.social_links(data.get("twitter"), issues, site="twitter"),
        *clean.social_links(data.get("facebook"), issues, site="facebook"),
    ]
    values["website"] = web[0] if web else ""
    values["links"] = list(dict.fromkeys(links))[: clean.MAX_LINKS]
    typo = clean.text(data.get("typo"))
    return PlaceRecord(
        number=row.number,
        source=context.source or CGET_SOURCE,
        source_id=source_id,
        values=values,
        kinds=[cget_kind(typo)],
        standard_fields={CGET_TYPO_KEY: typo or None},
        warnings=issues.warnings,
    )


# --- the médiation numérique standard --------------------------------------------------------


def _first(raw: object) -> str:
    values = standard.split_values(clean.text(raw))
    return values[0] if values else ""


def standard_values(
    data: Mapping[str, Any], issues: Issues
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The place's fields and extra standard fields from the standard's columns present in
    `data` (a column that is absent leaves the place's field as it is)."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if "nom" in data:
        values["name"] = clean.name(data["nom"])
    if "commune" in data:
        values["town"] = clean.text(data["commune"], max_length=120, issues=issues, label="commune")
    if "code_postal" in data:
        _postcode_values(values, clean.postcode(data["code_postal"], issues))
    if "code_insee" in data:
        values["insee_code"] = clean.insee_code(data["code_insee"], issues)
    if "adresse" in data:
        values["address"] = clean.text(
            data["adresse"], max_length=255, issues=issues, label="adresse"
        )
    if "latitude" in data or "longitude" in data:
        values["latitude"], values["longitude"] = clean.coordinates(
            data.get("latitude"), data.get("longitude")
        )
    if "telephone" in data:
        values["phone"] = clean.phone(_first(data["telephone"]), issues)
    if "courriels" in data:
        emails = []
        for raw_email in standard.split_values(clean.text(data["courriels"])):
            if address := clean.email(raw_email, issues):
                emails.append(address)
        values["email"] = emails[0] if emails else ""
        # A place has one public e-mail; the others are kept for the export.
        extra["courriels"] = standard.SEPARATOR.join(emails) if len(emails) > 1 else None
    if "site_web" in data:
        urls = clean.urls(data["site_web"], issues, label="site_web")
        values["website"] = urls[0] if urls else ""
        values["links"] = urls[1 : 1 + clean.MAX_LINKS]
    if "horaires" in data:
        values["opening_hours"] = clean.opening_hours(data["horaires"], issues)
    if "presentation_resume" in data:
        values["short_description"] = clean.text(
            data["presentation_resume"], max_length=300, issues=issues, label="presentation_resume"
        )
    if "presentation_detail" in data:
        values["description"] = clean.long_text(
            data["presentation_detail"], max_length=20000, issues=issues,
            label="presentation_detail",
        )  # fmt: skip
    if "pivot" in data:
        values["legal_id"] = clean.legal_id(data["pivot"], issues)
    if "services" in data:
        # Services are free text on a place: the standard's are spelled as it spells them,
        # others are kept too (and left out of the standard export).
        known, unknown = standard.sort_vocabulary("services", clean.text(data["services"]))
        values["services"] = clean.services([*known, *unknown])
    for column in standard.EXTRA_COLUMNS:
        if column not in data:
            continue
        if column in standard.VOCABULARIES:
            value = clean.vocabulary(column, data[column], issues)
        else:
            value = clean.text(data[column], max_length=1000, issues=issues, label=column)
        extra[column] = value or None
    return values, extra


def mednum_source(raw: object) -> str:
    """The import source of a standard row: "mednum:" and its `source` column, as a slug."""
    prefix = "mednum:"
    name = slugify(clean.text(raw))[: SOURCE_MAX_LENGTH - len(prefix)].strip("-")
    return prefix + (name or "standard")


def from_mednum(row: readers.RawRow, context: Context) -> PlaceRecord:
    data = row.data
    issues = Issues()
    source_id = _source_id(data.get("id"), "id")
    values, extra = standard_values(data, issues)
    return PlaceRecord(
        number=row.number,
        source=context.source or mednum_source(data.get("source")),
        source_id=source_id,
        values=values,
        default_kinds=[Kind.EPN.value],
        standard_fields=extra,
        warnings=issues.warnings,
    )


# --- GeoJSON ---------------------------------------------------------------------------------


def _flatten(value: Any) -> Any:
    """A property as a standard cell: lists joined with "|", null as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return standard.SEPARATOR.join(str(v) for v in value if v is not None)
    if isinstance(value, dict):
        return ""
    return value


def _point(geometry: Any) -> tuple[Any, Any]:
    if not isinstance(geometry, dict):
        raise RowRejected(_("The geometry is not a GeoJSON object."))
    kind = geometry.get("type")
    if kind != "Point":
        raise RowRejected(
            _("Only points are imported; this feature is a %(type)s.") % {"type": kind}
        )
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise RowRejected(_("The point has no [longitude, latitude] coordinates."))
    lon, lat = coordinates[0], coordinates[1]
    for value in (lon, lat):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RowRejected(
                _("The coordinates %(value)s are not numbers.") % {"value": coordinates[:2]}
            )
    return lat, lon


def _kinds(raw: Any, issues: Issues) -> list[str] | None:
    if raw is None or raw == "":
        return None
    items = raw if isinstance(raw, list) else re.split(r"[|,;]", str(raw))
    kinds: list[str] = []
    for item in items:
        code = str(item).strip()
        if code in Kind.values:
            if code not in kinds:
                kinds.append(code)
        elif code:
            issues.warn(_("Unknown kind “%(kind)s”; left out.") % {"kind": code})
    return kinds or None


def geojson_source(file_stem: str) -> str:
    prefix = "geojson:"
    name = slugify(file_stem)[: SOURCE_MAX_LENGTH - len(prefix)].strip("-")
    return prefix + (name or "file")


def from_geojson(row: readers.RawRow, context: Context) -> PlaceRecord:
    issues = Issues()
    properties: dict[str, Any] = {
        str(k).strip().lower(): v for k, v in row.data["properties"].items()
    }
    data: dict[str, Any] = {}
    for key, value in properties.items():
        if key in standard.COLUMNS:
            data[key] = value if key in ("latitude", "longitude") else _flatten(value)
    for key, column in GEOJSON_ALIASES.items():
        if key in properties and column not in data:
            data[column] = _flatten(properties[key])
    if "site_web" not in data and ("website" in properties or "links" in properties):
        data["site_web"] = _flatten([properties.get("website"), *(properties.get("links") or [])])
    if "nom" not in data:
        raise RowRejected(_("The name is missing (property “name” or “nom”)."))
    geometry = row.data.get("geometry")
    if geometry is not None:
        data["latitude"], data["longitude"] = _point(geometry)
    values, extra = standard_values(data, issues)
    if "status" in properties:
        status = clean.text(properties["status"])
        if status in Place.Status.values:
            values["status"] = status
        elif status:
            issues.warn(_("Unknown status “%(status)s”; left out.") % {"status": status})
    raw_id = row.data.get("id")
    if raw_id is None or raw_id == "":
        raw_id = properties.get("id") or properties.get("identifiant")
    if raw_id is None or raw_id == "" or isinstance(raw_id, dict | list | bool):
        # No identifier: the name and the position stand for one, so that importing the same
        # file again finds the same places.
        lat, lon = values.get("latitude"), values.get("longitude")
        where = f"@{lat:.5f},{lon:.5f}" if lat is not None and lon is not None else ""
        raw_id = (slugify(values["name"]) or "lieu")[: SOURCE_ID_MAX_LENGTH - len(where)] + where
    return PlaceRecord(
        number=row.number,
        source=context.source or geojson_source(context.file_stem),
        source_id=_source_id(raw_id, "id"),
        values=values,
        kinds=_kinds(properties.get("kinds", properties.get("kind")), issues),
        standard_fields=extra,
        warnings=issues.warnings,
    )


CONVERTERS: dict[str, Converter] = {
    readers.CGET: from_cget,
    readers.MEDNUM: from_mednum,
    readers.GEOJSON: from_geojson,
}
