from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from tiers.accounts.views import set_language
from tiers.api.urls import api
from tiers.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("langue/", set_language, name="set_language"),
    path("compte/", include("tiers.accounts.urls")),
    path("", include("tiers.bookings.urls")),
    path("", include("tiers.events.urls")),
    path("", include("tiers.commons.urls")),
    path("", include("tiers.places.urls")),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    urlpatterns.append(
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )
