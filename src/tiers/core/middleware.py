from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
