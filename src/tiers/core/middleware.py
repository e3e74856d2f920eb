from collections.abc import Callable

from django.conf import settings
from django.db.utils import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _tile_origin() -> str:
    """The scheme and host of the map tile server, for the Content-Security-Policy."""
    url = settings.MAP_TILES_URL
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}" if rest else ""


class SecurityHeadersMiddleware:
    """Adds a Content-Security-Policy: scripts and styles only from this site, images also from
    the tile server. The API's interactive docs keep their own (they need inline styles)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = "; ".join(
            [
                "default-src 'self'",
                f"img-src 'self' data: blob: {_tile_origin()}".strip(),
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                "object-src 'none'",
                "base-uri 'self'",
                "frame-ancestors 'none'",
                "form-action 'self'",
            ]
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(self), camera=(), microphone=()"
        )
        return response


def is_database_busy(exc: BaseException) -> bool:
    """True for the errors that mean "locked, try again" (SQLite's busy timeout ran out,
    PostgreSQL's lock_timeout), as opposed to a real failure."""
    markers = ("database is locked", "database table is locked", "lock timeout")
    return isinstance(exc, OperationalError) and any(m in str(exc).lower() for m in markers)


class DatabaseBusyMiddleware:
    """A database too busy to answer in time is a temporary condition: the page answers 503
    with Retry-After, never a 500. (The API answers the same as a problem document.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "2"
        return response
