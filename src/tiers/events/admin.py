"""The site administrators' view of events, festivals, registrations and rides.

Room holds are made by the services (the room is held in the bookings), so the admin shows
them but does not let them be edited; a registration's secret token is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from tiers.events.models import (
    Event,
    EventSeries,
    Festival,
    Registration,
    Ride,
    RideSeat,
    Session,
    SessionSignup,
    Tag,
)


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["title", "speakers", "track", "start", "end", "room", "room_name", "capacity"]
    raw_id_fields = ["room"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "start", "place", "network", "kind", "status", "festival"]
    list_filter = ["status", "kind", "audience", "registration_open", "festival_state"]
    search_fields = ["title", "slug", "place__name", "network__name"]
    date_hierarchy = "start"
    raw_id_fields = ["place", "network", "room", "series", "festival", "created_by"]
    readonly_fields = ["room_hold", "created_at", "updated_at", "reminder_sent_at"]
    filter_horizontal = ["tags"]
    inlines = [SessionInline]
    list_select_related = ["place", "network", "festival"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    list_display = ["pk", "frequency", "created_by", "created_at"]
    raw_id_fields = ["created_by"]


@admin.register(Festival)
class FestivalAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "start_date", "end_date", "requires_approval"]
    list_filter = ["is_published", "requires_approval"]
    search_fields = ["name", "slug", "theme"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["network"]


class SessionSignupInline(admin.TabularInline):
    model = SessionSignup
    extra = 0
    raw_id_fields = ["session"]
    readonly_fields = ["created_at"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "event", "seats", "status", "queued_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "event__title"]
    raw_id_fields = ["event", "user", "added_by"]
    # the token is the secret of the e-mail links: never shown, never edited
    exclude = ["token"]
    readonly_fields = [
        "created_at", "queued_at", "confirmed_at", "offered_at", "offer_expires_at",
        "cancelled_at", "checked_in_at",
    ]  # fmt: skip
    inlines = [SessionSignupInline]
    list_select_related = ["event"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # registrations go through the event's page (seats are counted under a lock)
        return False


class RideSeatInline(admin.TabularInline):
    model = RideSeat
    fk_name = "ride"
    extra = 0
    fields = ["name", "email", "seats", "status", "created_at"]
    readonly_fields = ["created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ride)
class RideAdmin(admin.ModelAdmin):
    list_display = ["event", "kind", "name", "from_town", "departure_at", "seats", "status"]
    list_filter = ["kind", "status", "contribution"]
    search_fields = ["name", "email", "from_town", "event__title"]
    raw_id_fields = ["event", "user", "registration"]
    inlines = [RideSeatInline]
    list_select_related = ["event"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
