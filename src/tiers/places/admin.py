from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models

from tiers.places.models import Membership, Network, Place, PlacePhoto

# An address typed without a scheme is taken as https (Django 6's default).
HTTPS_URLS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class PhotoInline(admin.TabularInline):
    model = PlacePhoto
    extra = 0


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "postcode", "status", "source", "updated_at"]
    list_filter = ["status", "kinds", "source"]
    search_fields = ["name", "town", "postcode", "source_id"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["kinds"]
    inlines = [PhotoInline]
    formfield_overrides = HTTPS_URLS


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["places", "coordinators"]
    formfield_overrides = HTTPS_URLS


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "place", "status", "state", "is_manager", "is_concierge"]
    list_filter = ["state", "status", "is_manager", "is_concierge"]
    search_fields = ["user__display_name", "user__email", "place__name"]
    autocomplete_fields = ["user", "place", "decided_by"]
    list_select_related = ["user", "place"]
