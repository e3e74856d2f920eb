"""The HTTP API, version 1: one NinjaAPI, one router module per app."""

from __future__ import annotations

from inspect import iscoroutinefunction
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path, reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger

from tiers.api.problems import install_problem_handlers, not_found_view, problem, with_problem_405


def api_root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """/api/v1/: where the documents are."""
    return JsonResponse(
        {
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
            "docs": request.build_absolute_uri(reverse("api:openapi-view")),
        }
    )


def _reject_nul(view: Any) -> Any:
    """A NUL character cannot be stored nor searched for (PostgreSQL refuses it in text):
    refuse it in the path and query string of every endpoint, before any query."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "\x00" in request.path:
            return not_found_view(request)
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                message = _("This value contains a NUL character.")
                return problem(
                    422,
                    _("The request is not valid."),
                    message,
                    code="validation",
                    errors=[{"field": name.replace("\x00", ""), "message": message}],
                )
        return view(request, *args, **kwargs)

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


class TiersAPI(NinjaAPI):
    """ninja, with problem details for the errors it answers itself (unknown path, method
    not allowed) and a root document."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                urls.append(path("", api_root, name="api-root"))
                continue
            if isinstance(pattern, URLPattern) and not iscoroutinefunction(pattern.callback):
                pattern.callback = _reject_nul(with_problem_405(pattern.callback))
            urls.append(pattern)
        # Last: whatever no endpoint answers is a 404 problem, not the HTML page.
        urls.append(re_path(r"^.*$", not_found_view))
        return urls


api = TiersAPI(
    title="Tiers API",
    version="1",
    description=(
        "Open data and management of tiers-lieux: places, networks, memberships. "
        "Authenticate with a personal token (`Authorization: Bearer …`, created in your "
        "profile) or the browser session (with its CSRF token). Lists are paginated "
        "(`limit`, `offset` or `page`; `{count, next, previous, results}`). "
        "Errors are RFC 9457 problem details (`application/problem+json`)."
    ),
    auth=None,
    urls_namespace="api",
    # deep links put a link inside each operation's toggle button (nested controls)
    docs=Swagger(settings={"deepLinking": False}),
)
install_problem_handlers(api)

from tiers.api import bookings, events, memberships, networks, opendata, pages, places  # noqa: E402

# Open data first: /places.geojson must not be taken for /places/{slug}.
api.add_router("/", opendata.router)
api.add_router("/", places.router)
api.add_router("/", memberships.router)
api.add_router("/", networks.router)
api.add_router("/", bookings.router)
api.add_router("/", events.router)
api.add_router("/", pages.router)
