"""The events' feeds and the embeddable widget.

- iCalendar (`.ics`) for every event, a tag, a place, a network, a festival: the last 30 days
  and what is to come (at most 500 events, by start), cancelled events as STATUS:CANCELLED.
  Calendar applications poll these often: the answer carries an ETag and a Last-Modified
  computed from one aggregate query, a poll with the same ETag is answered 304 without
  writing the calendar, and the written calendar is cached under its ETag;
- RSS 2.0 and Atom for the same scopes (`feeds.py`);
- one event as a calendar file (drafts: their organisers only);
- the widget: a small page listing a place's next events, made to be framed by any site
  (the site's CSP says `frame-ancestors 'none'` and X-Frame-Options DENY: both are lifted
  for this page only), and a script that inserts that page as an `<iframe>` where the
  `<script>` tag stands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from tiers.events import clock, feeds, ical
from tiers.events.jsonld import dumps_for_script
from tiers.events.models import Event
from tiers.events.permissions import event_for_visitor
from tiers.places.models import Place

CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_AGE = 300
ICS_CACHE_SECONDS = 3600

WIDGET_DEFAULT = 5
WIDGET_MAX = 20
# The widget's own policy: no script at all, and any site may frame it.
WIDGET_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "script-src 'none'",
        "style-src 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",
    ]
)


# iCalendar ---------------------------------------------------------------------------------------


def _ics_response(request: HttpRequest, scope: feeds.Scope, filename: str) -> HttpResponse:
    moment = clock.now()
    events = feeds.ics_events(scope, moment)
    stats = events.order_by().aggregate(last=Max("updated_at"), count=Count("pk"), ids=Sum("pk"))
    language = translation.get_language() or settings.LANGUAGE_CODE
    # what the calendar depends on: its events (their last change, which are in the window),
    # the language, and the hour (the window moves). No Last-Modified: when an event leaves
    # the calendar, the latest change of those left may be older than the client's copy.
    version = (
        f"{scope.key}|{stats['last']}|{stats['count']}|{stats['ids']}|{language}|{moment:%Y%m%d%H}"
    )
    etag = '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        cache_key = f"events:ics:{etag}"
        body = cache.get(cache_key)
        if body is None:
            body = ical.calendar(
                feeds.for_calendar(events)[: feeds.ICS_LIMIT], scope.title, tz=scope.tz
            )
            cache.set(cache_key, body, ICS_CACHE_SECONDS)
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_safe
def all_ics(request: HttpRequest) -> HttpResponse:
    return _ics_response(request, feeds.scope_all(), "evenements.ics")


@require_safe
def tag_ics(request: HttpRequest, tag: str) -> HttpResponse:
    return _ics_response(request, feeds.scope_tag(tag), f"{tag}.ics")


@require_safe
def place_ics(request: HttpRequest, slug: str) -> HttpResponse:
    return _ics_response(request, feeds.scope_place(slug), f"{slug}.ics")


@require_safe
def network_ics(request: HttpRequest, slug: str) -> HttpResponse:
    return _ics_response(request, feeds.scope_network(slug), f"{slug}.ics")


@require_safe
def festival_ics(request: HttpRequest, slug: str) -> HttpResponse:
    return _ics_response(request, feeds.scope_festival(slug, request.GET), f"{slug}.ics")


@require_safe
def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """One event as a calendar file; a draft exists for its organisers only."""
    event = event_for_visitor(request, slug)
    response = HttpResponse(ical.event_ics(event), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    if event.status == Event.Status.DRAFT:
        patch_cache_control(response, private=True, no_store=True)
    return response


# RSS / Atom ----------------------------------------------------------------------------------------


def _feed_view(feed: feeds.EventFeed) -> Callable[..., HttpResponse]:
    @require_safe
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        response = feed(request, **kwargs)
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response

    return view


all_rss = _feed_view(feeds.AllFeed())
all_atom = _feed_view(feeds.atom(feeds.AllFeed))
tag_rss = _feed_view(feeds.TagFeed())
tag_atom = _feed_view(feeds.atom(feeds.TagFeed))
place_rss = _feed_view(feeds.PlaceFeed())
place_atom = _feed_view(feeds.atom(feeds.PlaceFeed))
network_rss = _feed_view(feeds.NetworkFeed())
network_atom = _feed_view(feeds.atom(feeds.NetworkFeed))
festival_rss = _feed_view(feeds.FestivalFeed())
festival_atom = _feed_view(feeds.atom(feeds.FestivalFeed))


# The widget ----------------------------------------------------------------------------------------


def widget_count(value: str | None) -> int:
    """How many events the widget lists: `?n=` within 1..20, 5 when absent or not a number."""
    try:
        count = int(value or "")
    except ValueError:
        return WIDGET_DEFAULT
    return max(1, min(WIDGET_MAX, count))


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def widget_urls(place: Place, count: int) -> dict[str, str]:
    query = f"?n={count}" if count != WIDGET_DEFAULT else ""
    return {
        "frame": _absolute(reverse("events:widget", args=[place.slug])) + query,
        "script": _absolute(reverse("events:widget_js", args=[place.slug])) + query,
    }


def widget_height(count: int) -> int:
    return min(900, 90 + 64 * count)


@xframe_options_exempt
@require_safe
def widget(request: HttpRequest, slug: str) -> HttpResponse:
    """`lieux/<slug>/evenements/widget/?n=5`: the place's next events, to frame anywhere.
    Opened with `?aide=1`, it also shows how to embed it."""
    place = get_object_or_404(Place, slug=slug)
    count = widget_count(request.GET.get("n"))
    events = list(
        Event.objects.listed()
        .filter(place=place)
        .upcoming(clock.now())
        .select_related("place")
        .order_by("start", "pk")[:count]
    )
    for event in events:
        event.url = _absolute(event.get_absolute_url())  # type: ignore[attr-defined]
        event.when = feeds.when_text(event)  # type: ignore[attr-defined]
    urls = widget_urls(place, count)
    title = _("Upcoming events at %(place)s") % {"place": place.name}
    response = render(
        request,
        "events/feeds/widget.html",
        {
            "place": place,
            "events": events,
            "title": title,
            "all_url": _absolute(reverse("events:place_events", args=[place.slug])),
            "ics_url": _absolute(reverse("events:place_ics", args=[place.slug])),
            "help": request.GET.get("aide") == "1",
            "frame_url": urls["frame"],
            "script_url": urls["script"],
            "height": widget_height(count),
        },
    )
    response["Content-Security-Policy"] = WIDGET_POLICY
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


WIDGET_SCRIPT = """/* %(site)s: the events of a place, in an iframe where this script stands. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.parentNode) { return; }
  var frame = document.createElement("iframe");
  frame.src = %(src)s;
  frame.title = %(title)s;
  frame.loading = "lazy";
  frame.width = "100%%";
  frame.height = "%(height)d";
  frame.style.border = "0";
  frame.style.maxWidth = "40rem";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
"""


@require_safe
def widget_js(request: HttpRequest, slug: str) -> HttpResponse:
    """`lieux/<slug>/evenements/widget.js?n=5`: inserts the widget's iframe."""
    place = get_object_or_404(Place, slug=slug)
    count = widget_count(request.GET.get("n"))
    body = WIDGET_SCRIPT % {
        "site": settings.SITE_NAME.replace("*/", ""),
        "src": dumps_for_script(widget_urls(place, count)["frame"]),
        "title": dumps_for_script(_("Upcoming events at %(place)s") % {"place": place.name}),
        "height": widget_height(count),
    }
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
