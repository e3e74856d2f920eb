"""Bookable resources, their rules and closures, qualifications, and bookings.

Availability is always computed from `Booking` rows (never from a counter); a booking takes
`units` of a resource's `capacity` for [start, end), stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiers.places import hours
from tiers.places.models import Membership, Place

# Who may book: a membership status, or "public" for anyone signed in.
PUBLIC = "public"
STATUS_CHOICES = [*Membership.Status.choices, (PUBLIC, _("Anyone signed in"))]


def default_allowed_statuses() -> list[str]:
    return [str(value) for value in Membership.Status.values]


class Qualification(models.Model):
    """A training a machine requires before it can be booked (e.g. "laser cutter")."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("place")
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="qualification_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class QualificationGrant(models.Model):
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="grants",
        verbose_name=_("qualification"),
    )  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualification_grants",
        verbose_name=_("person"),
    )  # fmt: skip
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("granted by"),
    )  # fmt: skip
    granted_at = models.DateTimeField(_("granted on"), default=timezone.now)
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("qualification granted")
        verbose_name_plural = _("qualifications granted")
        indexes = [models.Index(fields=["user", "qualification"], name="grant_user_qualification")]

    def __str__(self) -> str:
        return f"{self.qualification} → {self.user}"


class Resource(models.Model):
    class Kind(models.TextChoices):
        DESK = "desk", _("Desk")
        DESK_POOL = "desk_pool", _("Pool of desks (open space)")
        MEETING_ROOM = "meeting_room", _("Meeting room")
        MACHINE = "machine", _("Machine")
        EQUIPMENT = "equipment", _("Equipment")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        MEMBERS = "members", _("Members of the place")

    class Granularity(models.IntegerChoices):
        QUARTER = 15, _("15 minutes")
        HALF_HOUR = 30, _("30 minutes")
        HOUR = 60, _("1 hour")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="resources", verbose_name=_("place")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DESK)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in the address"), max_length=80)
    description = models.TextField(
        _("description"), blank=True, max_length=10000, help_text=_("Markdown is accepted.")
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("How many units (seats, machines) can be booked at the same time."),
    )  # fmt: skip
    location = models.CharField(_("location in the place"), max_length=200, blank=True)
    visibility = models.CharField(
        _("visible to"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    opening_hours = models.CharField(
        _("bookable hours"), max_length=hours.MAX_LENGTH, blank=True,
        validators=[hours.validate_opening_hours],
        help_text=_("OpenStreetMap syntax. Empty: the place's opening hours."),
    )  # fmt: skip
    # Rules, with defaults that suit a desk or a room.
    granularity_minutes = models.PositiveSmallIntegerField(
        _("granularity"), choices=Granularity.choices, default=Granularity.HALF_HOUR,
        help_text=_("Bookings start and end on these steps."),
    )  # fmt: skip
    min_duration_minutes = models.PositiveIntegerField(
        _("minimum duration (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    max_duration_minutes = models.PositiveIntegerField(
        _("maximum duration (minutes)"), default=12 * 60,
        validators=[MinValueValidator(1), MaxValueValidator(31 * 24 * 60)],
    )  # fmt: skip
    max_days_ahead = models.PositiveIntegerField(
        _("how far ahead (days)"), default=90, validators=[MaxValueValidator(3 * 366)]
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=0, validators=[MaxValueValidator(30 * 24 * 60)]
    )
    buffer_minutes = models.PositiveIntegerField(
        _("buffer between bookings (minutes)"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    cancellation_deadline_hours = models.PositiveIntegerField(
        _("cancellation deadline (hours before the start)"), default=2,
        validators=[MaxValueValidator(30 * 24)],
    )  # fmt: skip
    allowed_statuses = models.JSONField(
        _("who may book"), default=default_allowed_statuses, blank=True,
        help_text=_("Membership statuses that may book; \"public\" for anyone signed in."),
    )  # fmt: skip
    requires_approval = models.BooleanField(_("a manager approves each booking"), default=False)
    weekly_hours_limit = models.PositiveIntegerField(
        _("hours per person per week"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    max_simultaneous = models.PositiveSmallIntegerField(
        _("upcoming bookings per person"), null=True, blank=True,
        validators=[MinValueValidator(1)], help_text=_("Empty: no limit."),
    )  # fmt: skip
    required_qualification = models.ForeignKey(
        Qualification, on_delete=models.RESTRICT, null=True, blank=True, related_name="resources",
        verbose_name=_("required qualification"),
    )  # fmt: skip
    credit_plan = models.ForeignKey(
        "CreditPlan", on_delete=models.SET_NULL, null=True, blank=True, related_name="resources",
        verbose_name=_("time credits"),
        help_text=_("Bookings of this resource draw on these hour allowances."),
    )  # fmt: skip
    photo = models.ImageField(_("photo"), upload_to="resources/", blank=True)
    photo_alt = models.CharField(
        _("photo description"), max_length=300, blank=True,
        help_text=_("What the photo shows, for people who cannot see it."),
    )  # fmt: skip
    is_active = models.BooleanField(
        _("can be booked"),
        default=True,
        help_text=_("Untick to hide it without losing its history."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["place", "name"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            models.UniqueConstraint(fields=["place", "slug"], name="resource_unique_slug"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="resource_capacity_min"),
            models.CheckConstraint(
                condition=Q(min_duration_minutes__lte=F("max_duration_minutes")),
                name="resource_durations_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return self.place.tz

    @property
    def bookable_hours(self) -> str:
        """The resource's own hours, or the place's; empty means no restriction."""
        return self.opening_hours or self.place.opening_hours

    @property
    def is_exclusive(self) -> bool:
        return self.capacity == 1


class Closure(models.Model):
    """A time range when a resource (or, without one, the whole place) cannot be booked."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="closures", verbose_name=_("place")
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="closures",
        verbose_name=_("resource"), help_text=_("Empty: the whole place is closed."),
    )  # fmt: skip
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="closure_end_after_start")
        ]
        indexes = [models.Index(fields=["place", "start", "end"], name="closure_place_range")]

    def __str__(self) -> str:
        return self.reason or str(_("Closure"))


# No booking (nor block) lasts longer: so the bookings that overlap a window all start at most
# this long before it, which bounds every range query on the (resource, start, end) index to
# the window instead of the resource's whole history.
MAX_BOOKING_SPAN = dt.timedelta(days=31)


class BookingQuerySet(models.QuerySet["Booking"]):
    def overlapping(self, start: dt.datetime, end: dt.datetime) -> BookingQuerySet:
        """The bookings that share some time with [start, end)."""
        return self.filter(start__lt=end, end__gt=start, start__gt=start - MAX_BOOKING_SPAN)


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Declined")

    class Kind(models.TextChoices):
        BOOKING = "booking", _("Booking")
        BLOCK = "block", _("Blocked by a manager")
        EVENT = "event", _("Held for an event")

    class Attendance(models.TextChoices):
        UNKNOWN = "", _("Not marked")
        PRESENT = "present", _("Came")
        NO_SHOW = "no_show", _("Did not come")

    ACTIVE = (Status.PENDING, Status.CONFIRMED)

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("resource")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookings",
        verbose_name=_("person"),
    )  # fmt: skip
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    units = models.PositiveSmallIntegerField(_("units"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BOOKING)
    note = models.CharField(
        _("note"), max_length=500, blank=True,
        help_text=_("What it is for (shown to the place's managers), or why a range is blocked."),
    )  # fmt: skip
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("booked by"),
    )  # fmt: skip
    series = models.ForeignKey(
        "BookingSeries", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="bookings", verbose_name=_("series"),
    )  # fmt: skip
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, blank=True, default=""
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    decision_reason = models.CharField(_("reason given"), max_length=500, blank=True)
    # Copied from the resource (capacity == 1) so that PostgreSQL's exclusion constraint,
    # which cannot look at another table, knows which bookings must never overlap.
    exclusive = models.BooleanField(_("exclusive"), default=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start"),
            models.CheckConstraint(condition=Q(units__gte=1), name="booking_units_min"),
        ]
        indexes = [
            models.Index(fields=["resource", "start", "end"], name="booking_resource_range"),
            models.Index(fields=["user", "start"], name="booking_user_start"),
            # the reminders still to send, by start (partial: it stays small, and never
            # competes with the range index for the availability queries)
            models.Index(
                fields=["start"],
                name="booking_reminder_due",
                condition=Q(status="confirmed", kind="booking", reminder_sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class BookingLog(models.Model):
    """Append-only history of a booking: who did what, when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Booked")
        REQUESTED = "requested", _("Asked for approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        BLOCKED = "blocked", _("Blocked")
        PRESENT = "present", _("Marked as came")
        NO_SHOW = "no_show", _("Marked as did not come")
        ATTENDANCE_CLEARED = "attendance_cleared", _("Attendance cleared")

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="log", verbose_name=_("booking")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )  # fmt: skip
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("booking history entry")
        verbose_name_plural = _("booking history")

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("The booking history is append-only.")
        super().save(*args, **kwargs)


class BookingSeries(models.Model):
    """A weekly recurring booking: the same time every `interval_weeks` weeks, `count` times.
    Its occurrences are ordinary bookings (each one taken under the same rules and lock)."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="series", verbose_name=_("resource")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_series",
        verbose_name=_("person"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    first_start = models.DateTimeField(_("first start"))
    first_end = models.DateTimeField(_("first end"))
    interval_weeks = models.PositiveSmallIntegerField(
        _("every (weeks)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    count = models.PositiveSmallIntegerField(
        _("occurrences"), validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recurring booking")
        verbose_name_plural = _("recurring bookings")

    def __str__(self) -> str:
        return f"{self.resource} ({self.count})"


class CreditPlan(models.Model):
    """An hour allowance of a place (e.g. "meeting rooms: residents 40 h a month"). The
    resources that point to it draw on it; each membership status gets its monthly hours."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="credit_plans", verbose_name=_("place")
    )
    name = models.CharField(_("name"), max_length=200)
    monthly_hours = models.JSONField(
        _("hours per month by status"), default=dict, blank=True,
        help_text=_("For example {\"resident\": 40, \"user\": 4}. A status left out gets none."),
    )  # fmt: skip
    allow_negative = models.BooleanField(
        _("bookings may go beyond the balance"), default=False,
        help_text=_("The balance then goes below zero, to be settled with the place."),
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        verbose_name = _("time credits")
        verbose_name_plural = _("time credits")
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="creditplan_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def hours_for(self, status: str) -> int:
        try:
            return max(0, int(self.monthly_hours.get(status, 0)))
        except (TypeError, ValueError, AttributeError):
            return 0


class CreditEntry(models.Model):
    """Append-only ledger of time credits, in minutes (positive: credit, negative: debit).

    A month's allowance is credited to that month (`month` set) and does not carry over;
    hours granted by hand have no month and stay until used. A booking in a month draws on
    that month's allowance first, then on the granted hours."""

    class Kind(models.TextChoices):
        ALLOWANCE = "allowance", _("Monthly allowance")
        GRANT = "grant", _("Granted by a manager")
        DEBIT = "debit", _("Booking")
        REFUND = "refund", _("Cancelled booking")

    plan = models.ForeignKey(
        CreditPlan, on_delete=models.CASCADE, related_name="entries", verbose_name=_("time credits")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_entries",
        verbose_name=_("person"),
    )  # fmt: skip
    month = models.DateField(_("month"), null=True, blank=True)
    minutes = models.IntegerField(_("minutes"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="credit_entries",
        verbose_name=_("booking"),
    )  # fmt: skip
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("time credit movement")
        verbose_name_plural = _("time credit movements")
        indexes = [models.Index(fields=["plan", "user", "month"], name="credit_plan_user_month")]
        constraints = [
            # one allowance per person, plan and month, even when two bookings race for it
            models.UniqueConstraint(
                fields=["plan", "user", "month"], condition=Q(kind="allowance"),
                name="credit_one_allowance_per_month",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.user_id} {self.minutes:+d} min"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("The time credit ledger is append-only.")
        super().save(*args, **kwargs)


class CalendarFeed(models.Model):
    """A person's private calendar address (their bookings as iCalendar). The token is the
    only secret of the address; resetting it makes the old address stop working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed",
        verbose_name=_("person"),
    )  # fmt: skip
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("private calendar address")
        verbose_name_plural = _("private calendar addresses")

    def __str__(self) -> str:
        return str(self.user_id)
