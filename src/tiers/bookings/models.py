"""Bookable resources, their rules and closures, qualifications, and bookings.

Availability is always computed from `Booking` rows (never from a counter); a booking takes
`units` of a resource's `capacity` for [start, end), stored in UTC.
"""

from __future__ import annotations

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
        Qualification, on_delete=models.PROTECT, null=True, blank=True, related_name="resources",
        verbose_name=_("required qualification"),
    )  # fmt: skip
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


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Declined")

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
    # Copied from the resource (capacity == 1) so that PostgreSQL's exclusion constraint,
    # which cannot look at another table, knows which bookings must never overlap.
    exclusive = models.BooleanField(_("exclusive"), default=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

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
        CANCELLED = "cancelled", _("Cancelled")

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="log", verbose_name=_("booking")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )  # fmt: skip
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
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
