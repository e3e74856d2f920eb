"""The directory's filters, shared by the HTML directory, the map and the API."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tiers.core.text import fold
from tiers.places import hours
from tiers.places.models import Kind, Network, Place, PlaceQuerySet

EARTH_RADIUS_KM = 6371.0
MAX_RADIUS_KM = 1000.0
DEFAULT_RADIUS_KM = 20.0


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class PlaceFilters:
    q: str = ""
    kinds: list[str] = field(default_factory=list)
    network: str = ""
    open_now: bool = False
    near: tuple[float, float] | None = None
    near_town: str = ""
    radius_km: float = DEFAULT_RADIUS_KM
    bbox: tuple[float, float, float, float] | None = None
    status: str = ""

    def cache_key(self) -> str:
        """The filters in a canonical form: the same search however its URL was written."""
        kinds = ",".join(sorted(set(self.kinds)))
        return repr((fold(self.q), kinds, self.network, self.open_now, self.near,
                     fold(self.near_town), self.radius_km, self.bbox, self.status))  # fmt: skip

    @property
    def active(self) -> bool:
        return bool(
            self.q or self.kinds or self.network or self.open_now or self.near or self.near_town
            or self.bbox or self.status
        )  # fmt: skip


def _float(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise FilterError(name, _("“%(value)s” is not a number.") % {"value": value}) from None
    if not math.isfinite(number):
        raise FilterError(name, _("“%(value)s” is not a number.") % {"value": value})
    return number


def _lat_lon(lat: float, lon: float, name: str) -> tuple[float, float]:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FilterError(
            name, _("Latitude must be between -90 and 90, longitude between -180 and 180.")
        )
    return lat, lon


def parse_filters(params: Mapping[str, object]) -> PlaceFilters:
    """Read filters from a query string (QueryDict or dict); raises FilterError on bad input."""

    def get(name: str) -> str:
        value = params.get(name)
        text = str(value).strip() if value is not None else ""
        if "\x00" in text:  # no database stores it; PostgreSQL refuses it outright
            raise FilterError(name, _("This value contains a forbidden character."))
        return text

    def get_list(name: str) -> list[str]:
        getlist = getattr(params, "getlist", None)
        raw = getlist(name) if getlist else ([params[name]] if name in params else [])
        values: list[str] = []
        for item in raw:
            values.extend(v.strip() for v in str(item).split(",") if v.strip())
        return values

    filters = PlaceFilters(q=get("q")[:200], network=get("network")[:80])
    kinds = get_list("kind")
    unknown = [k for k in kinds if k not in Kind.values]
    if unknown:
        raise FilterError("kind", _("Unknown kind: %(kind)s.") % {"kind": ", ".join(unknown)})
    filters.kinds = kinds
    open_now = get("open_now").lower()
    if open_now not in ("", "0", "1", "true", "false", "on"):
        raise FilterError("open_now", _("open_now must be true or false."))
    filters.open_now = open_now in ("1", "true", "on")
    status = get("status")
    if status and status not in Place.Status.values:
        raise FilterError("status", _("Unknown status: %(status)s.") % {"status": status})
    filters.status = status
    if radius := get("radius_km"):
        filters.radius_km = _float(radius, "radius_km")
        if not 0 < filters.radius_km <= MAX_RADIUS_KM:
            raise FilterError(
                "radius_km",
                _("The radius must be between 0 and %(max)d km.") % {"max": MAX_RADIUS_KM},
            )
    if near := get("near"):
        parts = near.split(",")
        if len(parts) != 2:
            raise FilterError("near", _("near must be “latitude,longitude”."))
        filters.near = _lat_lon(_float(parts[0], "near"), _float(parts[1], "near"), "near")
    filters.near_town = get("town")[:120]
    if bbox := get("bbox"):
        parts = bbox.split(",")
        if len(parts) != 4:
            raise FilterError(
                "bbox", _("bbox must be “min longitude,min latitude,max longitude,max latitude”.")
            )
        min_lon, min_lat, max_lon, max_lat = (_float(p, "bbox") for p in parts)
        _lat_lon(min_lat, min_lon, "bbox")
        _lat_lon(max_lat, max_lon, "bbox")
        if min_lat > max_lat or min_lon > max_lon:
            raise FilterError("bbox", _("In bbox, the minimum must come before the maximum."))
        filters.bbox = (min_lon, min_lat, max_lon, max_lat)
    return filters


def town_centre(name: str) -> tuple[float, float] | None:
    """The centre of a town, from the places the directory knows in it (no outside geocoder)."""
    folded = fold(name)
    if not folded:
        return None
    candidates = Place.objects.filter(latitude__isnull=False)
    postcode = folded if folded.isdigit() and len(folded) == 5 else ""
    if postcode:
        candidates = candidates.filter(postcode=postcode)
    else:
        towns = {
            town
            for town in candidates.order_by().values_list("town", flat=True).distinct()
            if fold(town.replace("-", " ")) == folded.replace("-", " ")
        }
        candidates = candidates.filter(town__in=towns)
    centre = candidates.aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
    if centre["lat"] is None:
        return None
    return float(centre["lat"]), float(centre["lon"])


def open_now_expressions(qs: PlaceQuerySet) -> list[str]:
    """The distinct opening-hours expressions (few: places share them) that are open now."""
    now = timezone.now()
    expressions = (
        qs.exclude(opening_hours="")
        .order_by()  # no name in the SELECT DISTINCT: a few expressions, not every place
        .values_list("opening_hours", "time_zone")
        .distinct()
    )
    open_ones = []
    for expression, _tz in expressions:
        place = Place(opening_hours=expression, time_zone=_tz)
        if hours.is_open(expression, place.tz, now):
            open_ones.append(expression)
    return open_ones


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * max(math.cos(math.radians(lat)), 0.01)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


@dataclass
class SearchResult:
    places: PlaceQuerySet
    centre: tuple[float, float] | None = None
    # with a centre: the ids within the radius, nearest first, and their distances
    distances: dict[int, float] = field(default_factory=dict)
    town_not_found: bool = False


def apply_filters(qs: PlaceQuerySet, filters: PlaceFilters) -> SearchResult:
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.search(filters.q)
    # Kinds and networks as subqueries, not joins: no DISTINCT over whole rows afterwards.
    for kind in filters.kinds:
        qs = qs.filter(pk__in=Place.kinds.through.objects.filter(placekind=kind).values("place"))
    if filters.network:
        members = Network.places.through.objects.filter(network__slug=filters.network)
        qs = qs.filter(pk__in=members.values("place"))
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        qs = qs.filter(
            latitude__gte=min_lat, latitude__lte=max_lat,
            longitude__gte=min_lon, longitude__lte=max_lon,
        )  # fmt: skip
    if filters.open_now:
        qs = qs.filter(opening_hours__in=open_now_expressions(qs))
    result = SearchResult(places=qs)
    centre = filters.near
    if centre is None and filters.near_town:
        centre = town_centre(filters.near_town)
        if centre is None:
            result.town_not_found = True
            result.places = qs.none()
            return result
    if centre is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(*centre, filters.radius_km)
        rows = qs.filter(
            latitude__gte=lat_min, latitude__lte=lat_max,
            longitude__gte=lon_min, longitude__lte=lon_max,
        ).values_list("pk", "latitude", "longitude")  # fmt: skip
        distances = {}
        for pk, lat, lon in rows:
            if lat is None or lon is None:
                continue
            d = distance_km(centre[0], centre[1], lat, lon)
            if d <= filters.radius_km:
                distances[pk] = d
        result.centre = centre
        result.distances = dict(sorted(distances.items(), key=lambda item: item[1]))
        result.places = qs.filter(pk__in=list(result.distances))
    return result


def ordered_page(result: SearchResult, qs: PlaceQuerySet, offset: int, limit: int) -> list[Place]:
    """A page of results: by distance when searching near a point, else by name."""
    if result.distances:
        ids = list(result.distances)[offset : offset + limit]
        by_id = qs.in_bulk(ids)
        places = [by_id[i] for i in ids if i in by_id]
        for place in places:
            place.distance_km = round(result.distances[place.pk], 1)  # type: ignore[attr-defined]
        return places
    return list(qs[offset : offset + limit])


def directory_version() -> str:
    """A short fingerprint of the directory's content, to key caches and ETags.

    It changes when a place is added, removed or saved (`updated_at`; changing a place's
    kinds touches it too) and when a network gains or loses a place. Three small queries.
    """
    count = Place.objects.count()
    # its own query, so that the index on updated_at answers it without a scan
    last = Place.objects.aggregate(last=Max("updated_at"))["last"]
    members = Network.places.through.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return hashlib.sha256(repr((count, last, members)).encode()).hexdigest()[:20]
