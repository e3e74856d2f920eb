"""Festivals of a network: the coordinators create them; the network's places put their
events in the programme, straight away or after the coordinators' approval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.events import notifications
from tiers.events.errors import EventError
from tiers.events.models import (
    Event,
    EventQuerySet,
    Festival,
)
from tiers.events.permissions import can_edit_event, can_manage_festival
from tiers.places.models import Place
from tiers.places.permissions import can_edit_network
from tiers.places.regions import REGION_NAMES, region_expression, region_of

DEFAULT_TZ = "Europe/Paris"

# an e-mail-only registration not confirmed within this time is dropped
UNCONFIRMED_LIFETIME = dt.timedelta(hours=48)
MAX_OCCURRENCES = 52


def _error(code: str, message: str | Promise) -> EventError:
    return EventError(message, code=code)


# Festivals --------------------------------------------------------------------------------------


def festival_save(*, festival: Festival, by: User) -> Festival:
    if not can_edit_network(by, festival.network):
        raise _error("not_allowed", _("Only the network's coordinators run its festivals."))
    festival.name = festival.name.strip()
    if not festival.name:
        raise _error("invalid", _("Give the festival a name."))
    if festival.end_date < festival.start_date:
        raise _error("invalid_range", _("The last day must be on or after the first day."))
    if (festival.end_date - festival.start_date).days > 92:
        raise _error("invalid_range", _("A festival lasts at most three months."))
    if not festival.slug:
        base = slugify(f"{festival.name[:60]} {festival.start_date:%Y}") or "festival"
        slug, n = base, 2
        while Festival.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        festival.slug = slug
    festival.save()
    return festival


def join(event: Event, festival: Festival) -> None:
    """Put the event (already saved) in the festival's programme, or in its queue."""
    network = festival.network
    local = event.local_start.date()
    if not festival.start_date <= local <= festival.end_date:
        raise _error(
            "outside_festival",
            _("The event must take place during the festival (%(start)s to %(end)s).")
            % {
                "start": f"{festival.start_date:%d/%m/%Y}",
                "end": f"{festival.end_date:%d/%m/%Y}",
            },
        )
    in_network = (event.network_id == network.pk) or (
        event.place_id is not None and network.places.filter(pk=event.place_id).exists()
    )
    if not in_network:
        raise _error(
            "not_in_network",
            _("Only the places of %(network)s take part in this festival.")
            % {"network": network.name},
        )
    state = (
        Event.FestivalState.PENDING
        if festival.requires_approval and event.network_id != network.pk
        else Event.FestivalState.ACCEPTED
    )
    Event.objects.filter(pk=event.pk).update(
        festival=festival, festival_state=state, updated_at=timezone.now()
    )
    event.festival, event.festival_state = festival, state


def festival_submit(*, event: Event, festival: Festival, by: User) -> Event:
    if not can_edit_event(by, event):
        raise _error("not_allowed", _("You cannot change this event."))
    if not festival.is_published:
        raise _error("closed", _("This festival does not take events yet."))
    with transaction.atomic():
        join(event, festival)
    return event


def festival_decide(*, event: Event, by: User, accept: bool) -> Event:
    festival = event.festival
    if festival is None or not can_manage_festival(by, festival):
        raise _error("not_allowed", _("Only the network's coordinators run its festivals."))
    state = Event.FestivalState.ACCEPTED if accept else Event.FestivalState.REFUSED
    Event.objects.filter(pk=event.pk).update(festival_state=state, updated_at=timezone.now())
    event.festival_state = state
    transaction.on_commit(lambda: notifications.festival_decided(event.pk))
    return event


# The programme (reading) ------------------------------------------------------------------------


def programme(festival: Festival) -> EventQuerySet:
    """The festival's programme: its accepted events that the public sees."""
    return Event.objects.listed().filter(
        festival=festival, festival_state=Event.FestivalState.ACCEPTED
    )


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return None


def local_day_expression(time_zones: Iterable[str]) -> Case:
    """SQL for the event's date on its own clock (`event.local_start.date()`), for the time
    zones given (the others, and invalid names, count as Paris like `Event.tz`)."""
    default = ZoneInfo(DEFAULT_TZ)
    whens = [
        When(time_zone=name, then=TruncDate("start", tzinfo=zone))
        for name in sorted(set(time_zones))
        if name != DEFAULT_TZ and (zone := _zone(name)) is not None
    ]
    return Case(*whens, default=TruncDate("start", tzinfo=default), output_field=DateField())


@dataclass
class Filters:
    day: dt.date | None = None
    kind: str = ""
    audience: str = ""
    region: str = ""
    town: str = ""

    @property
    def active(self) -> bool:
        return bool(self.day or self.kind or self.audience or self.region or self.town)

    def feed_query(self) -> str:
        """The filters a feed keeps (all but the day: a feed follows the whole festival), as
        a query string ("" without any)."""
        kept = {
            "kind": self.kind, "audience": self.audience, "region": self.region,
            "town": self.town,
        }  # fmt: skip
        return urlencode({name: value for name, value in kept.items() if value})


def filtered(events: EventQuerySet, filters: Filters) -> EventQuerySet:
    """The events kept by the filters but the day (which needs the programme's clocks)."""
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.audience:
        events = events.filter(audience=filters.audience)
    if filters.town:
        events = events.filter(place__town__iexact=filters.town)
    if filters.region:
        events = events.annotate(region=region_expression("place__postcode")).filter(
            Q(region=filters.region)
        )
    return events


def programme_time_zones(festival: Festival) -> list[str]:
    """The time zones of the programme's events (few: Paris, and overseas ones)."""
    events = programme(festival).order_by().values_list("time_zone", flat=True)
    return sorted(set(events.distinct()[:50]))


def programme_page_queryset(
    festival: Festival, filters: Filters, time_zones: Iterable[str] | None = None
) -> EventQuerySet:
    """The programme, filtered, in the order it is shown: by day (on the event's clock),
    region, town, start (`time_zones`: those of the programme, read when not given); the result
    is annotated with `local_day` and `region`."""
    # kind, audience, town; the region is filtered below, on the annotation
    events = filtered(programme(festival), replace(filters, region="", day=None))
    if time_zones is None:
        time_zones = programme_time_zones(festival)
    events = events.annotate(
        local_day=local_day_expression(time_zones),
        region=region_expression("place__postcode"),
        town_name=Coalesce("place__town", Value("")),
    )
    if filters.day is not None:
        # the index on (festival, start) narrows to the day (± the world's offsets) first
        around = dt.datetime.combine(filters.day, dt.time(12), tzinfo=dt.UTC)
        events = events.filter(
            start__gte=around - dt.timedelta(hours=27), start__lt=around + dt.timedelta(hours=27)
        ).filter(Q(local_day=filters.day))
    if filters.region:
        events = events.filter(Q(region=filters.region))
    return events.select_related("place", "network").order_by(
        "local_day", "region", "town_name", "start", "pk"
    )


@dataclass
class TownGroup:
    town: str
    events: list[Event] = field(default_factory=list)


@dataclass
class RegionGroup:
    region: str
    towns: list[TownGroup] = field(default_factory=list)


@dataclass
class DayGroup:
    day: dt.date
    regions: list[RegionGroup] = field(default_factory=list)


def group_by_day(events: Iterable[Event]) -> list[DayGroup]:
    """Events in programme order, as days → regions → towns → events."""
    days: list[DayGroup] = []
    for event in events:
        day = getattr(event, "local_day", None) or event.local_start.date()
        region = getattr(event, "region", None)
        if region is None:
            region = region_of(event.place.postcode) if event.place is not None else ""
        town = event.place.town if event.place is not None else ""
        if not days or days[-1].day != day:
            days.append(DayGroup(day))
        regions = days[-1].regions
        if not regions or regions[-1].region != region:
            regions.append(RegionGroup(region))
        towns = regions[-1].towns
        if not towns or towns[-1].town != town:
            towns.append(TownGroup(town))
        towns[-1].events.append(event)
    return days


@dataclass
class RegionPlaces:
    """A region's places taking part: their number, and the places themselves (name, url,
    town) when they are listed."""

    region: str
    count: int
    places: list[dict[str, str]] = field(default_factory=list)


def programme_places(festival: Festival, *, listed: str | None = None) -> list[RegionPlaces]:
    """The places with an event in the programme, by region (in the order of `REGION_NAMES`,
    the places outside any region last): the number of places of each region, and the places
    themselves (by town and name) of every region (`listed=None`), of the region named by
    `listed` only, or of none (`listed=""`). One query whatever the number of places: those
    not listed are only counted, grouped by region in the database (the region is the one
    the programme's filter uses)."""
    places = (
        Place.objects.filter(pk__in=programme(festival).values("place_id"))
        .order_by()
        .annotate(region=region_expression("postcode"))
    )
    if listed is None:
        key: F | Case | Value = F("pk")
    elif listed:
        key = Case(When(region=listed, then=F("pk")), default=None, output_field=IntegerField())
    else:
        key = Value(None, output_field=IntegerField())
    rows = (
        places.annotate(listed=key)
        .values("region", "listed")
        .annotate(
            n=Count("pk"),
            place_name=Max("name"),
            place_slug=Max("slug"),
            place_town=Max("town"),
        )
    )
    # a place's address, without a `reverse()` for each of hundreds of places
    url = reverse("places:detail", args=["__slug__"])
    regions: dict[str, RegionPlaces] = {}
    for row in rows:
        group = regions.setdefault(row["region"], RegionPlaces(row["region"], 0))
        group.count += row["n"]
        if row["listed"] is not None:
            group.places.append(
                {
                    "name": row["place_name"],
                    "url": url.replace("__slug__", row["place_slug"]),
                    "town": row["place_town"],
                }
            )
    for group in regions.values():
        group.places.sort(key=lambda p: (p["town"].casefold(), p["name"].casefold()))
    order = {name: n for n, name in enumerate(REGION_NAMES)}
    return sorted(regions.values(), key=lambda g: (order.get(g.region, len(order)), g.region))


def open_festivals_for(event: Event, today: dt.date) -> QuerySet[Festival]:
    """The published festivals not over yet of the networks the event belongs to (its
    network, or the networks of its place)."""
    festivals = Festival.objects.filter(is_published=True, end_date__gte=today)
    if event.network_id is not None:
        festivals = festivals.filter(network_id=event.network_id)
    elif event.place_id is not None:
        festivals = festivals.filter(network__places=event.place_id)
    else:
        return Festival.objects.none()
    return festivals.select_related("network").distinct().order_by("start_date", "pk")
