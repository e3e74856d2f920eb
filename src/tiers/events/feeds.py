"""What the event feeds contain, and the RSS 2.0 / Atom feeds themselves.

A feed has a *scope*: every event, a tag's, a place's, a network's (its own and its places'),
or a festival's programme (accepted events only). Every scope lists the same events as the
public pages (`Event.objects.listed()`: published or cancelled, never drafts nor events a
festival refused); a cancelled event stays, marked as such, so that readers learn it.

- the iCalendar feeds (`views_feeds`) hold the last 30 days and what is to come, at most
  `ICS_LIMIT` events by start;
- RSS and Atom hold the events to come, at most `FEED_LIMIT` by start; an item's date is when
  the event was announced (created) and its update date its last change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tiers.core.markdown import render_markdown
from tiers.events import clock, festivals
from tiers.events.models import Event, EventQuerySet, Festival, Tag
from tiers.places.models import Network, Place

ICS_PAST = dt.timedelta(days=30)
ICS_LIMIT = 500
FEED_LIMIT = 100


@dataclass
class Scope:
    """The events of a feed, and how to name it."""

    key: str  # stable, for cache keys and ETags: "all", "tag:jardin", "place:12"...
    title: str
    description: str
    link: str  # the matching page (path)
    events: EventQuerySet
    tz: str = ""
    ics_url: str = ""
    rss_url: str = ""
    atom_url: str = ""


def _listed() -> EventQuerySet:
    return Event.objects.listed()


def scope_all() -> Scope:
    return Scope(
        key="all",
        title=_("Events — %(site)s") % {"site": settings.SITE_NAME},
        description=_("Events in the tiers-lieux"),
        link=reverse("events:list"),
        events=_listed(),
        ics_url=reverse("events:all_ics"),
        rss_url=reverse("events:all_rss"),
        atom_url=reverse("events:all_atom"),
    )


def scope_tag(slug: str) -> Scope:
    tag = get_object_or_404(Tag, slug=slug)
    return Scope(
        key=f"tag:{tag.slug}",
        title=_("Events: %(tag)s") % {"tag": tag.name},
        description=_("Events about %(tag)s in the tiers-lieux") % {"tag": tag.name},
        link=reverse("events:tag", args=[tag.slug]),
        events=_listed().filter(tags=tag),
        ics_url=reverse("events:tag_ics", args=[tag.slug]),
        rss_url=reverse("events:tag_rss", args=[tag.slug]),
        atom_url=reverse("events:tag_atom", args=[tag.slug]),
    )


def scope_place(slug: str) -> Scope:
    place = get_object_or_404(Place, slug=slug)
    return Scope(
        key=f"place:{place.pk}",
        title=_("Events at %(place)s") % {"place": place.name},
        description=_("The events of %(place)s") % {"place": place.name},
        link=reverse("events:place_events", args=[place.slug]),
        events=_listed().filter(place=place),
        tz=place.time_zone,
        ics_url=reverse("events:place_ics", args=[place.slug]),
        rss_url=reverse("events:place_rss", args=[place.slug]),
        atom_url=reverse("events:place_atom", args=[place.slug]),
    )


def scope_network(slug: str) -> Scope:
    network = get_object_or_404(Network, slug=slug)
    return Scope(
        key=f"network:{network.pk}",
        title=_("Events of %(network)s") % {"network": network.name},
        description=_("The events of %(network)s and of its places") % {"network": network.name},
        link=reverse("events:network_events", args=[network.slug]),
        events=_listed().of_network(network),
        ics_url=reverse("events:network_ics", args=[network.slug]),
        rss_url=reverse("events:network_rss", args=[network.slug]),
        atom_url=reverse("events:network_atom", args=[network.slug]),
    )


def festival_events(festival: Festival) -> EventQuerySet:
    """The festival's programme: its accepted, listed events."""
    return _listed().filter(festival=festival, festival_state=Event.FestivalState.ACCEPTED)


def scope_festival(slug: str, params: QueryDict | None = None) -> Scope:
    """A published festival's programme (an unpublished one has no feed: 404), kept to the
    kind, audience, region and town of the query string, as the festival's page filters it
    (a value that is not understood is ignored)."""
    from tiers.events.forms_festivals import ProgrammeFilterForm

    festival = get_object_or_404(
        Festival.objects.select_related("network"), slug=slug, is_published=True
    )
    form = ProgrammeFilterForm(params or None, festival=festival)
    return festival_scope(festival, form.filters())


def festival_scope(festival: Festival, filters: festivals.Filters | None = None) -> Scope:
    """A festival's feeds; with filters, those of a part of its programme (a region, a
    kind...), whose addresses carry them."""
    filters = filters or festivals.Filters()
    query = filters.feed_query()
    suffix = f"?{query}" if query else ""
    title = festival.name
    kept = [
        str(Event.Kind(filters.kind).label) if filters.kind else "",
        str(Event.Audience(filters.audience).label) if filters.audience else "",
        filters.region,
        filters.town,
    ]
    if any(kept):
        title = f"{festival.name} ({', '.join(part for part in kept if part)})"
    return Scope(
        key=f"festival:{festival.pk}:{query}",
        title=title,
        description=festival.theme
        or _("The programme of %(festival)s") % {"festival": festival.name},
        link=festival.get_absolute_url() + suffix,
        events=festivals.filtered(festival_events(festival), filters),
        ics_url=reverse("events:festival_ics", args=[festival.slug]) + suffix,
        rss_url=reverse("events:festival_rss", args=[festival.slug]) + suffix,
        atom_url=reverse("events:festival_atom", args=[festival.slug]) + suffix,
    )


def for_feed(events: EventQuerySet) -> EventQuerySet:
    """What writing an event in a feed reads, in a constant number of queries."""
    return events.select_related("place", "network", "room").prefetch_related("tags")


# the columns a calendar writes (`tiers.events.ical`): reading only these halves the time of
# a calendar of 500 events
CALENDAR_FIELDS = (
    "title", "slug", "kind", "status", "start", "end", "time_zone", "created_at", "updated_at",
    "summary", "description", "cancel_reason", "online_url", "location",
    "place__name", "place__address", "place__postcode", "place__town", "place__latitude",
    "place__longitude", "network__name", "room__name",
)  # fmt: skip


def for_calendar(events: EventQuerySet) -> EventQuerySet:
    """What writing an event in a calendar reads, in a constant number of queries."""
    return for_feed(events).only(*CALENDAR_FIELDS)


def ics_events(scope: Scope, moment: dt.datetime) -> EventQuerySet:
    return scope.events.filter(end__gt=moment - ICS_PAST).order_by("start", "pk")


def uid_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "tiers.invalid"


# RSS / Atom -------------------------------------------------------------------------------------


def when_text(event: Event) -> str:
    """Like "Tuesday 24 March 2026, 18:00-20:00", on the event's clock."""
    start, end = event.local_start, event.local_end
    with timezone.override(event.tz):
        day = date_format(start, "l j F Y")
        if start.date() == end.date():
            return f"{day}, {start:%H:%M}\u2013{end:%H:%M}"
        return f"{day} {start:%H:%M} \u2013 {date_format(end, 'l j F Y')} {end:%H:%M}"


def where_text(event: Event) -> str:
    if event.location:
        return event.location
    if event.place_id is not None and event.place is not None:
        town = f"{event.place.postcode} {event.place.town}".strip()
        return ", ".join(part for part in (event.place.name, town) if part)
    if event.online_url:
        return _("Online")
    return ""


def item_html(event: Event) -> SafeString:
    """The item's description: when and where, the summary, the description (Markdown
    rendered and sanitised), and the cancellation."""
    parts: list[str] = []
    if event.is_cancelled:
        reason = event.cancel_reason.strip()
        text = _("Cancelled: %(reason)s") % {"reason": reason} if reason else _("Cancelled.")
        parts.append(format_html("<p><strong>{}</strong></p>", text))
    facts = [when_text(event), where_text(event)]
    parts.append(format_html("<p>{}</p>", " · ".join(fact for fact in facts if fact)))
    if event.summary:
        parts.append(format_html("<p>{}</p>", event.summary))
    if event.description:
        parts.append(render_markdown(event.description))
    return mark_safe("\n".join(str(part) for part in parts))  # noqa: S308 - each part is escaped


class EventFeed(Feed):
    """RSS 2.0 of a scope's events to come. Subclasses say how to find the scope."""

    feed_type: Any = Rss201rev2Feed

    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        raise NotImplementedError

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        return self.scope(request, **kwargs)

    def title(self, obj: Scope) -> str:
        return obj.title

    def subtitle(self, obj: Scope) -> str:
        return obj.description

    def description(self, obj: Scope) -> str:
        return obj.description

    def link(self, obj: Scope) -> str:
        return obj.link

    def feed_url(self, obj: Scope) -> str:
        return obj.atom_url if self.feed_type is Atom1Feed else obj.rss_url

    def feed_guid(self, obj: Scope) -> str:
        return f"tag:{uid_host()},2026:events/{obj.key}"

    def ttl(self, obj: Scope) -> int:
        return 60

    def items(self, obj: Scope) -> list[Event]:
        moment = clock.now()
        events = for_feed(obj.events.upcoming(moment)).order_by("start", "pk")
        return list(events[:FEED_LIMIT])

    def item_title(self, item: Event) -> str:
        # plain text: the feed's XML writer escapes it (once)
        title = item.title
        if item.is_cancelled:
            title = _("Cancelled: %(title)s") % {"title": title}
        return f"{title} — {when_text(item)}"

    def item_description(self, item: Event) -> str:
        return item_html(item)

    def item_link(self, item: Event) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Event) -> str:
        return f"tag:{uid_host()},{item.created_at:%Y-%m-%d}:event/{item.pk}"

    def item_guid_is_permalink(self, item: Event) -> bool:
        return False

    def item_pubdate(self, item: Event) -> dt.datetime:
        return item.created_at

    def item_updateddate(self, item: Event) -> dt.datetime:
        return item.updated_at or item.created_at

    def item_categories(self, item: Event) -> list[str]:
        return [tag.name for tag in item.tags.all()]

    def item_author_name(self, item: Event) -> str | None:
        if item.network_id is not None and item.network is not None:
            return item.network.name
        if item.place_id is not None and item.place is not None:
            return item.place.name
        return None

    def item_author_link(self, item: Event) -> str | None:
        if item.network_id is not None and item.network is not None:
            return settings.SITE_URL + item.network.get_absolute_url()
        if item.place_id is not None and item.place is not None:
            return settings.SITE_URL + item.place.get_absolute_url()
        return None


class AllFeed(EventFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        return scope_all()


class TagFeed(EventFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        return scope_tag(kwargs["tag"])


class PlaceFeed(EventFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        return scope_place(kwargs["slug"])


class NetworkFeed(EventFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        return scope_network(kwargs["slug"])


class FestivalFeed(EventFeed):
    def scope(self, request: HttpRequest, **kwargs: Any) -> Scope:
        return scope_festival(kwargs["slug"], request.GET)


def atom(feed_class: type[EventFeed]) -> EventFeed:
    """The same feed as Atom 1.0."""
    feed = feed_class()
    feed.feed_type = Atom1Feed
    return feed
