"""The site administrators' view of bookings. Histories (a booking's log, the time-credit
ledger) are append-only: shown here, never changed nor deleted by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tiers.bookings.models import (
    Booking,
    BookingLog,
    BookingSeries,
    CalendarFeed,
    Closure,
    CreditEntry,
    CreditPlan,
    Qualification,
    QualificationGrant,
    Resource,
)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for reading only: nothing added, changed or deleted from here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AppendOnlyAdmin(admin.ModelAdmin):
    """A history: listed and read, never written through the admin."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["start", "end", "reason", "place"]
    autocomplete_fields = ["place"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "place",
        "kind",
        "capacity",
        "visibility",
        "requires_approval",
        "is_active",
    ]
    list_filter = ["kind", "visibility", "is_active", "requires_approval"]
    search_fields = ["name", "slug", "place__name"]
    list_select_related = ["place"]
    autocomplete_fields = ["place", "required_qualification", "credit_plan"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ClosureInline]
    fieldsets = [
        (None, {"fields": ["place", "kind", "name", "slug", "description", "capacity",
                           "location", "visibility", "photo", "photo_alt", "is_active"]}),
        (_("Hours and durations"), {"fields": [
            "opening_hours", "granularity_minutes", "min_duration_minutes",
            "max_duration_minutes", "max_days_ahead", "min_notice_minutes", "buffer_minutes",
            "cancellation_deadline_hours",
        ]}),
        (_("Rules"), {"fields": [
            "allowed_statuses", "requires_approval", "weekly_hours_limit", "max_simultaneous",
            "required_qualification", "credit_plan",
        ]}),
    ]  # fmt: skip


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["__str__", "place", "resource", "start", "end"]
    list_filter = ["start"]
    search_fields = ["reason", "place__name", "resource__name"]
    list_select_related = ["place", "resource"]
    autocomplete_fields = ["place", "resource"]
    date_hierarchy = "start"


class GrantInline(admin.TabularInline):
    model = QualificationGrant
    extra = 0
    fields = ["user", "expires_on", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]
    autocomplete_fields = ["user"]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["name", "place"]
    search_fields = ["name", "place__name"]
    list_select_related = ["place"]
    autocomplete_fields = ["place"]
    inlines = [GrantInline]


@admin.register(QualificationGrant)
class QualificationGrantAdmin(admin.ModelAdmin):
    list_display = ["qualification", "user", "granted_at", "expires_on", "granted_by"]
    search_fields = ["qualification__name", "user__display_name", "user__email"]
    list_select_related = ["qualification", "user", "granted_by"]
    autocomplete_fields = ["qualification", "user", "granted_by"]


class BookingLogInline(ReadOnlyInline):
    model = BookingLog


class BookingCreditInline(ReadOnlyInline):
    model = CreditEntry
    fk_name = "booking"
    verbose_name_plural = _("time credit movements of this booking")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings are taken and changed through the site or the API (where the rules and the
    lock are); here they are read, and searched."""

    list_display = ["resource", "user", "start", "end", "units", "status", "kind", "attendance"]
    list_filter = ["status", "kind", "attendance", "start"]
    search_fields = ["resource__name", "resource__place__name", "user__display_name",
                     "user__email", "note"]  # fmt: skip
    list_select_related = ["resource", "user"]
    date_hierarchy = "start"
    inlines = [BookingLogInline, BookingCreditInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Booking._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BookingLog)
class BookingLogAdmin(AppendOnlyAdmin):
    list_display = ["booking", "action", "actor", "at"]
    list_filter = ["action"]
    list_select_related = ["booking__resource", "actor"]
    date_hierarchy = "at"


@admin.register(BookingSeries)
class BookingSeriesAdmin(admin.ModelAdmin):
    list_display = ["resource", "user", "first_start", "interval_weeks", "count", "created_by"]
    search_fields = ["resource__name", "user__display_name", "user__email"]
    list_select_related = ["resource", "user", "created_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in BookingSeries._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CreditPlan)
class CreditPlanAdmin(admin.ModelAdmin):
    """A plan's ledger can hold a movement per booking for years: it is linked (as a
    filtered, paginated list) rather than inlined."""

    list_display = ["name", "place", "allow_negative"]
    search_fields = ["name", "place__name"]
    list_select_related = ["place"]
    autocomplete_fields = ["place"]
    readonly_fields = ["ledger"]

    @admin.display(description=_("ledger"))
    def ledger(self, obj: CreditPlan) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:bookings_creditentry_changelist")
        return format_html('<a href="{}?plan__id__exact={}">{}</a>', url, obj.pk, _("Movements"))


@admin.register(CreditEntry)
class CreditEntryAdmin(AppendOnlyAdmin):
    list_display = ["plan", "user", "kind", "minutes", "month", "at", "actor"]
    list_filter = ["kind", "plan"]
    search_fields = ["plan__name", "user__display_name", "user__email", "note"]
    list_select_related = ["plan", "user", "actor"]
    date_hierarchy = "at"


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Only who has a private address; the token (the address's secret) is not shown."""

    list_display = ["user", "created_at"]
    search_fields = ["user__display_name", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
