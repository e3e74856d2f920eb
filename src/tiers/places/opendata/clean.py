"""Normalising the values found in real open data files.

Each helper takes the raw text of a cell and returns the value to store. A value that makes
the whole row unusable raises `RowRejected`; a value that can be dropped without losing the
place is reported through `Issues.warn` and left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from tiers.places import hours
from tiers.places.models import insee_validator, postcode_validator, validate_legal_id
from tiers.places.opendata import standard

_URL = URLValidator(schemes=["http", "https"])
# Non-breaking and zero-width spaces that spreadsheets leave around names.
_SPACES = re.compile(r"[\s\u00a0\u200b\u202f\ufeff]+")
# Control characters (NUL above all, which PostgreSQL refuses in text) are never kept.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_LINKS = 10
MAX_SERVICES = 30
MAX_SERVICE_LENGTH = 100

# Overseas postcodes -> the place's time zone (opening hours are read in it).
_OVERSEAS_TIME_ZONES = {
    "971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
    "974": "Indian/Reunion", "975": "America/Miquelon", "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy", "978": "America/Marigot", "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti", "988": "Pacific/Noumea",
}  # fmt: skip


class RowRejected(ValueError):
    """The row cannot become a place; the message says why, for the person importing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Issues:
    """Collects the warnings about one row."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def text(raw: object, *, max_length: int | None = None, issues: Issues | None = None,
         label: str = "") -> str:  # fmt: skip
    """A single line of text: trimmed, inner runs of spaces made one."""
    value = _SPACES.sub(" ", _CONTROLS.sub("", str(raw if raw is not None else ""))).strip()
    return _truncate(value, max_length, issues, label)


def long_text(raw: object, *, max_length: int | None = None, issues: Issues | None = None,
              label: str = "") -> str:  # fmt: skip
    """Text that may hold paragraphs: line breaks kept as they are (a round trip through the
    standard's CSV gives back the same text)."""
    value = _CONTROLS.sub("", str(raw if raw is not None else "")).strip()
    return _truncate(value, max_length, issues, label)


def _truncate(value: str, max_length: int | None, issues: Issues | None, label: str) -> str:
    if max_length is not None and len(value) > max_length:
        if issues is not None:
            issues.warn(
                _("%(field)s is longer than %(max)d characters and was cut.")
                % {"field": label, "max": max_length}
            )
        return value[: max_length - 1].rstrip() + "…"
    return value


def name(raw: object) -> str:
    value = text(raw)
    if not value:
        raise RowRejected(_("The name is missing."))
    if len(value) > 200:
        raise RowRejected(_("The name is longer than 200 characters."))
    return value


def postcode(raw: object, issues: Issues, *, unknown: Iterable[str] = ()) -> str:
    """A French postcode; "" when missing (or one of the file's markers for unknown).

    A postcode of four digits lost its leading zero in a spreadsheet (1000 for 01000) and is
    padded back; anything else that is not a postcode rejects the row.
    """
    value = text(raw).replace(" ", "")
    if value.endswith(".0") and value[:-2].isdigit():  # a number written by a spreadsheet
        value = value[:-2]
    if not value or value in unknown:
        issues.warn(_("No postcode."))
        return ""
    if len(value) == 4 and value.isdigit():
        issues.warn(_("Postcode %(raw)s read as 0%(raw)s.") % {"raw": value})
        value = "0" + value
    try:
        postcode_validator(value)
    except ValidationError:
        raise RowRejected(
            _("“%(value)s” is not a French postcode (5 digits).") % {"value": value}
        ) from None
    return value


def insee_code(raw: object, issues: Issues, *, unknown: Iterable[str] = ()) -> str:
    value = text(raw).replace(" ", "").upper()
    if not value or value in unknown:
        return ""
    if len(value) == 4 and value.isdigit():
        value = "0" + value
    try:
        insee_validator(value)
    except ValidationError:
        issues.warn(_("“%(value)s” is not an INSEE code; left out.") % {"value": value})
        return ""
    return value


def coordinate(raw: object, label: str, low: float, high: float) -> float | None:
    """A latitude or longitude in decimal degrees (a decimal comma is accepted)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise RowRejected(_("The %(field)s is not a number.") % {"field": label})
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        value = text(raw).replace(",", ".")
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            raise RowRejected(
                _("The %(field)s “%(value)s” is not a number.") % {"field": label, "value": value}
            ) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise RowRejected(
            _("The %(field)s %(value)s is out of range (%(low)s to %(high)s).")
            % {"field": label, "value": raw, "low": low, "high": high}
        )
    return number


def coordinates(lat_raw: object, lon_raw: object) -> tuple[float | None, float | None]:
    lat = coordinate(lat_raw, _("latitude"), -90, 90)
    lon = coordinate(lon_raw, _("longitude"), -180, 180)
    if (lat is None) != (lon is None):
        raise RowRejected(_("Give both latitude and longitude, or neither."))
    return lat, lon


def url(raw: object) -> str | None:
    """An http(s) address; one written without a scheme (www.x.net) is taken as https."""
    value = text(raw)
    if not value:
        return None
    if value.startswith("//"):
        value = "https:" + value
    elif not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        value = "https://" + value
    if len(value) > 500:
        return None
    try:
        _URL(value)
    except ValidationError:
        return None
    return value


def _site_key(address: str) -> str:
    return re.sub(r"^https?://", "", address).rstrip("/").lower()


def urls(raw: object, issues: Issues, *, label: str) -> list[str]:
    """Several addresses separated by spaces, "|" or ";". Words that are no address (a cell
    saying "en cours") and invalid addresses are left out; the same site twice is kept once."""
    found: list[str] = []
    words: list[str] = []
    for token in re.split(r"[\s|;]+", text(raw)):
        token = token.strip("[]<>\"'")  # wiki or e-mail markup around an address
        if not token:
            continue
        if "." not in token and "://" not in token:
            words.append(token)
            continue
        value = url(token)
        if value is None:
            issues.warn(
                _("%(field)s: “%(value)s” is not a web address; left out.")
                % {"field": label, "value": token}
            )
        elif _site_key(value) not in {_site_key(f) for f in found}:
            found.append(value)
    if words:
        issues.warn(
            _("%(field)s: “%(value)s” is not a web address; left out.")
            % {"field": label, "value": " ".join(words)}
        )
    return found


def social_links(raw: object, issues: Issues, *, site: str) -> list[str]:
    """Addresses of social network pages, as found in census files: full addresses,
    addresses without scheme, "@handle", or a bare page name (for `site`, e.g. twitter)."""
    value = text(raw)
    if not value:
        return []
    bases = {"twitter": "https://twitter.com/", "facebook": "https://www.facebook.com/"}
    base = bases[site]
    tokens = value.split(" ")
    found: list[str] = []
    for token in tokens:
        if token.startswith("@") and re.fullmatch(r"@\w{1,50}", token):
            candidate: str | None = base + token[1:]
        elif len(tokens) == 1 and re.fullmatch(r"/[\w.\-/]{1,100}", token):
            candidate = url(base + token.lstrip("/"))  # a path on the site: /groups/x
        elif "." in token or token.startswith("http"):
            candidate = url(token)
        elif len(tokens) == 1 and re.fullmatch(r"[\w.\-/]{1,100}", token):
            candidate = url(base + token)  # a bare page name or handle
        else:
            continue
        if candidate and candidate not in found:
            found.append(candidate)
    if not found:
        issues.warn(
            _("%(field)s: “%(value)s” is not a web address; left out.")
            % {"field": site, "value": value}
        )
    return found


def email(raw: object, issues: Issues) -> str:
    value = text(raw)
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        issues.warn(_("“%(value)s” is not an e-mail address; left out.") % {"value": value})
        return ""
    return value if len(value) <= 254 else ""


def phone(raw: object, issues: Issues) -> str:
    value = text(raw)
    if len(value) > 20:
        issues.warn(_("The phone number “%(value)s” is too long; left out.") % {"value": value})
        return ""
    return value


def legal_id(raw: object, issues: Issues) -> str:
    """A SIRET, SIREN or RNA number; the standard's placeholder for unknown gives ""."""
    value = re.sub(r"\s", "", text(raw)).upper()
    if not value or set(value) == {"0"}:
        return ""
    try:
        validate_legal_id(value)
    except ValidationError:
        issues.warn(
            _("“%(value)s” is not a valid SIRET, SIREN or RNA number; left out.") % {"value": value}
        )
        return ""
    return value


def opening_hours(raw: object, issues: Issues) -> str:
    """OpenStreetMap opening hours; invalid ones are dropped and the place kept."""
    value = text(raw)
    if not value:
        return ""
    try:
        hours.validate_opening_hours(value)
    except ValidationError:
        issues.warn(
            _("The opening hours “%(value)s” are not understood; left out.") % {"value": value}
        )
        return ""
    return value


def services(values: Iterable[str]) -> list[str]:
    """Free service names, as a place's form takes them (at most 30, of 100 characters)."""
    kept: list[str] = []
    for value in values:
        value = text(value)[:MAX_SERVICE_LENGTH]
        if value and value not in kept:
            kept.append(value)
    return kept[:MAX_SERVICES]


def vocabulary(column: str, raw: object, issues: Issues) -> str:
    """A closed-vocabulary cell of the standard, spelled as the standard spells it."""
    known, unknown = standard.sort_vocabulary(column, text(raw))
    if unknown:
        issues.warn(
            _("%(field)s: %(values)s not in the standard's list; left out.")
            % {"field": column, "values": ", ".join(f"“{v}”" for v in unknown)}
        )
    return standard.SEPARATOR.join(known)


def time_zone_for(postcode_value: str) -> str | None:
    """The time zone of an overseas postcode (None in mainland France and Corsica)."""
    return _OVERSEAS_TIME_ZONES.get(postcode_value[:3])
