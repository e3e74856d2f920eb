from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "MAP_TILES_URL": settings.MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.MAP_TILES_ATTRIBUTION,
    }
