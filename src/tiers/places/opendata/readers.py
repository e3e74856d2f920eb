"""Reading a places file: its encoding, its format (guessed or forced) and its rows.

Three formats are read:

- `cget`: the 2019 national census of tiers-lieux (CSV, columns ID, NOM_TL, ADRESSE, CP...);
- `mednum`: a CSV of the "lieux de médiation numérique" standard, whatever the order of its
  columns, with "," or ";" between them, in UTF-8 with or without a byte order mark;
- `geojson`: a GeoJSON FeatureCollection of points (this site's /api/v1/places.geojson too).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiers.core.errors import DomainError
from tiers.places.opendata import standard

CGET = "cget"
MEDNUM = "mednum"
GEOJSON = "geojson"
FORMATS: dict[str, Any] = {
    CGET: gettext_lazy("2019 census of tiers-lieux (CSV)"),
    MEDNUM: gettext_lazy("“lieux de médiation numérique” standard (CSV)"),
    GEOJSON: gettext_lazy("GeoJSON FeatureCollection of points"),
}

CGET_COLUMNS = frozenset({"id", "nom_tl"})
MEDNUM_COLUMNS = frozenset({"id", "nom"})
_DELIMITERS = (",", ";", "\t")


class ImportFileError(DomainError):
    """The file as a whole cannot be read: nothing is imported."""

    status = 400
    code = "import-file"


@dataclass
class RawRow:
    """One row of the file: `number` is the line where a CSV record starts, or the position
    of a GeoJSON feature. `error` is set when the row cannot even be split into fields."""

    number: int
    data: dict[str, Any]
    error: str = ""


@dataclass
class PlacesFile:
    format: str
    unit: str  # what `RawRow.number` counts: "line" or "feature"
    columns: list[str]
    rows: list[RawRow]
    warnings: list[str] = field(default_factory=list)


def decode(content: bytes) -> tuple[str, list[str]]:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with a BOM, or else Windows-1252,
    the encoding of French spreadsheets saved as CSV (with a warning)."""
    warnings: list[str] = []
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(_("This file cannot be read as text.")) from None
    elif b"\x00" in content[:8192]:
        raise ImportFileError(_("This is not a text file: expected a CSV or GeoJSON file."))
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                raise ImportFileError(
                    _(
                        "This file is neither UTF-8 nor Windows-1252 text: expected a CSV or GeoJSON file."
                    )
                ) from None
            warnings.append(_("The file is not in UTF-8; it was read as Windows-1252."))
    sample = text[:8192]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n")
    if controls > len(sample) / 100:
        raise ImportFileError(_("This is not a text file: expected a CSV or GeoJSON file."))
    return text, warnings


def read(content: bytes, *, format: str = "") -> PlacesFile:
    """Read a places file; `format` forces one of FORMATS, else it is guessed."""
    if format and format not in FORMATS:
        raise ImportFileError(
            _("Unknown format “%(format)s”: choose one of %(formats)s.")
            % {"format": format, "formats": ", ".join(FORMATS)}
        )
    text, warnings = decode(content)
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    looks_like_json = text.lstrip()[:1] in ("{", "[")
    if format == GEOJSON or (not format and looks_like_json):
        parsed = _read_geojson(text)
    else:
        parsed = _read_csv(text, format)
    parsed.warnings[:0] = warnings
    return parsed


def _read_geojson(text: str) -> PlacesFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            _("This file is not valid JSON (line %(line)d: %(error)s).")
            % {"line": exc.lineno, "error": exc.msg}
        ) from None
    except RecursionError:
        raise ImportFileError(_("This file is not valid JSON (nested too deeply).")) from None
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ImportFileError(
            _("This JSON file is not a GeoJSON FeatureCollection (a “features” list).")
        )
    rows: list[RawRow] = []
    columns: list[str] = []
    for number, feature in enumerate(data["features"], start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            rows.append(RawRow(number, {}, error=_("This is not a GeoJSON Feature.")))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            rows.append(RawRow(number, {}, error=_("The feature's properties are not an object.")))
            continue
        for key in properties:
            if key not in columns:
                columns.append(key)
        rows.append(
            RawRow(
                number,
                {
                    "id": feature.get("id"),
                    "geometry": feature.get("geometry"),
                    "properties": properties,
                },
            )
        )
    return PlacesFile(format=GEOJSON, unit="feature", columns=columns, rows=rows)


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ImportFileError(
            _("This is not a CSV file with several columns: expected a CSV or GeoJSON file.")
        )
    return best


def _read_csv(text: str, format: str) -> PlacesFile:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] = []
    try:
        while not any(h.strip() for h in header):  # blank lines before the header
            header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise ImportFileError(
            _("The CSV header cannot be read: %(error)s") % {"error": exc}
        ) from None
    columns = [h.strip().strip('"').strip().lower() for h in header]
    if len([c for c in columns if c]) < 2:
        raise ImportFileError(
            _("This is not a CSV file with several columns: expected a CSV or GeoJSON file.")
        )
    detected = format or _guess(columns)
    warnings: list[str] = []
    if detected == CGET:
        _require(columns, CGET_COLUMNS, _("the 2019 census"))
    else:
        _require(columns, MEDNUM_COLUMNS, _("the médiation numérique standard"))
        missing = [c for c in standard.COLUMNS if c in standard.REQUIRED and c not in columns]
        if missing:
            warnings.append(
                _("Columns required by the standard are missing (imported anyway): %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
        unknown = [c for c in columns if c and c not in standard.COLUMNS]
        if unknown:
            warnings.append(
                _("Columns not in the standard were ignored: %(columns)s.")
                % {"columns": ", ".join(unknown)}
            )
    rows: list[RawRow] = []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV file cannot be read at line %(line)d: %(error)s")
                % {"line": start, "error": exc}
            ) from None
        number, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        extra_values = values[len(columns) :]
        if len(values) < len(columns) or any(v.strip() for v in extra_values):
            message = _("This line has %(count)d values; the header has %(columns)d.") % {
                "count": len(values),
                "columns": len(columns),
            }
            rows.append(RawRow(number, {}, error=message))
            continue
        rows.append(RawRow(number, dict(zip(columns, values, strict=False))))
    return PlacesFile(format=detected, unit="line", columns=columns, rows=rows, warnings=warnings)


def _guess(columns: list[str]) -> str:
    names = set(columns)
    if names >= CGET_COLUMNS:
        return CGET
    if names >= MEDNUM_COLUMNS and len(names & set(standard.COLUMNS)) >= 4:
        return MEDNUM
    shown = ", ".join(c for c in columns[:8] if c)
    raise ImportFileError(
        _(
            "This CSV file is neither the 2019 census (columns ID, NOM_TL…) nor the médiation "
            "numérique standard (columns id, nom, commune, code_postal…); its columns are: "
            "%(columns)s. Use --format to force a format."
        )
        % {"columns": shown or "—"}
    )


def _require(columns: list[str], required: frozenset[str], label: str) -> None:
    missing = sorted(required - set(columns))
    if missing:
        raise ImportFileError(
            _("This file has no column %(columns)s, needed to read it as %(format)s.")
            % {"columns": ", ".join(missing), "format": label}
        )
