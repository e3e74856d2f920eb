"""The iCalendar feeds: a resource's busy times, and a person's private calendar.

Calendar applications subscribe to these addresses and poll them without a session, so the
private calendar's only secret is its token (revocable, reset from the "calendar" page), and
a members-only resource's busy times are served only to a signed-in member (404 otherwise:
it does not exist for the others).
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from tiers.bookings import ical, services
from tiers.bookings.models import CalendarFeed, Resource
from tiers.bookings.permissions import can_see_resource

CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_AGE = 300
# secrets.token_urlsafe's alphabet; anything else cannot be a token (and a NUL character
# would not even reach the database)
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _ics_response(
    request: HttpRequest, body: bytes, *, filename: str, public: bool
) -> HttpResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        response = not_modified
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    if public:
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    else:
        # personal data: no shared cache keeps it, and the secret address is not passed on
        patch_cache_control(response, private=True, max_age=MAX_AGE)
        response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def resource_ics(request: HttpRequest, slug: str, resource: str) -> HttpResponse:
    """`lieux/<slug>/reservations/<resource>/occupation.ics`: busy times, nobody's name."""
    found = Resource.objects.select_related("place").filter(place__slug=slug, slug=resource).first()
    if found is None or not can_see_resource(request.user, found):
        raise Http404
    body = ical.resource_calendar(found, moment=services.now())
    public = found.visibility == Resource.Visibility.PUBLIC and found.is_active
    response = _ics_response(request, body, filename=f"{slug}-{found.slug}.ics", public=public)
    if not public:  # only signed-in members see it
        patch_vary_headers(response, ["Cookie"])
    return response


@require_safe
def private_ics(request: HttpRequest, token: str) -> HttpResponse:
    """`calendrier/<token>.ics`: the person's bookings; an unknown or reset token is a 404."""
    if not TOKEN.fullmatch(token):
        raise Http404
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active or feed.user.erased_at is not None:
        raise Http404
    # in the person's language, whatever the calendar application asks for
    with translation.override(feed.user.language or settings.LANGUAGE_CODE):
        body = ical.private_calendar(feed.user, moment=services.now())
    return _ics_response(request, body, filename="reservations.ics", public=False)
