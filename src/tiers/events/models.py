"""Events of places and networks, their programmes, festivals, registrations and rides.

Times are stored in UTC and shown on the clock of the event (`time_zone`, copied from its
place). Seats are computed from `Registration` rows, never from a counter: the seats taken are
the sum of `seats` over the registrations that hold one (confirmed, or offered from the
waitlist and not yet expired).
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiers.bookings.models import Booking, Resource
from tiers.places.models import Network, Place

MAX_EVENT_SPAN = dt.timedelta(days=31)
MAX_SEATS_PER_REGISTRATION = 20


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Tag(models.Model):
    """A free tag on events ("numérique", "jardin"...), with its own feeds."""

    slug = models.SlugField(_("short name"), max_length=60, primary_key=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Festival(models.Model):
    """A network-wide time window where many places publish events into one programme
    (e.g. the "Quinzaine des Tiers-Lieux")."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="festivals", verbose_name=_("network")
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in the address"), max_length=80, unique=True)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    requires_approval = models.BooleanField(
        _("events need the coordinators' approval"), default=False
    )
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("festival")
        verbose_name_plural = _("festivals")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="festival_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:festival", args=[self.slug])


class EventSeries(models.Model):
    """Events repeated weekly or monthly; each occurrence is an `Event` that can be edited
    alone or with all the following ones."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month (same weekday of the month)")

    frequency = models.CharField(_("repeats"), max_length=10, choices=Frequency.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} ({self.pk})"


class EventQuerySet(models.QuerySet["Event"]):
    def published(self) -> EventQuerySet:
        """Shown to the public: published or cancelled (a cancelled event stays visible,
        marked as such), never drafts."""
        return self.exclude(status=Event.Status.DRAFT)

    def listed(self) -> EventQuerySet:
        """In programmes and feeds: published (or cancelled) and not refused by a festival."""
        return self.published().exclude(festival_state=Event.FestivalState.REFUSED)

    def upcoming(self, moment: dt.datetime) -> EventQuerySet:
        return self.filter(end__gt=moment)

    def of_network(self, network: Network) -> EventQuerySet:
        """Organised by the network, or by one of its places."""
        return self.filter(Q(network=network) | Q(place__in=network.places.values("pk")))


class Event(models.Model):
    class Kind(models.TextChoices):
        WORKSHOP = "atelier", _("Workshop")
        DEBATE = "cafe-debat", _("Café-débat")
        CONFERENCE = "conference", _("Talk")
        TRAINING = "formation", _("Training")
        OPEN_DAY = "portes-ouvertes", _("Open day")
        REPAIR_CAFE = "repair-cafe", _("Repair café")
        DIGITAL_HELP = "mediation-numerique", _("Digital help")
        FORUM = "forum", _("Forum")
        SHOW = "spectacle", _("Show, concert")
        MEAL = "repas", _("Shared meal")
        MARKET = "marche", _("Market")
        OTHER = "autre", _("Other")

    class Audience(models.TextChoices):
        EVERYONE = "tout-public", _("Everyone")
        FAMILIES = "familles", _("Families")
        CHILDREN = "enfants", _("Children")
        YOUNG = "jeunes", _("Young people")
        SENIORS = "seniors", _("Older people")
        PROFESSIONALS = "professionnels", _("Professionals")
        MEMBERS = "membres", _("Members of the place")

    class PriceMode(models.TextChoices):
        FREE = "gratuit", _("Free")
        PAY_WHAT_YOU_WANT = "prix-libre", _("Pay what you want")
        SUGGESTED = "prix-conseille", _("Suggested price")
        FIXED = "payant", _("Fixed price")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class FestivalState(models.TextChoices):
        NONE = "", _("Not in a festival")
        PENDING = "pending", _("Waiting for the coordinators' approval")
        ACCEPTED = "accepted", _("In the programme")
        REFUSED = "refused", _("Not accepted")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="events",
        verbose_name=_("place"),
    )  # fmt: skip
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="events",
        verbose_name=_("organised by the network"),
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name in the address"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.WORKSHOP)
    summary = models.CharField(_("in one sentence"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    time_zone = models.CharField(_("time zone"), max_length=40, default="Europe/Paris")
    image = models.ImageField(_("image"), upload_to="events/%Y/", blank=True)
    image_alt = models.CharField(
        _("image description"), max_length=300, blank=True,
        help_text=_("What the image shows, for people who cannot see it."),
    )  # fmt: skip
    tags = models.ManyToManyField(Tag, blank=True, related_name="events", verbose_name=_("tags"))
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    accessibility = models.TextField(_("accessibility"), blank=True, max_length=2000)
    price_mode = models.CharField(
        _("price"), max_length=20, choices=PriceMode.choices, default=PriceMode.FREE
    )
    price_amount = models.DecimalField(
        _("amount (€)"), max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="draft")
    cancel_reason = models.CharField(_("why it is cancelled"), max_length=500, blank=True)
    online_url = models.URLField(_("online link"), blank=True, max_length=500)
    location = models.CharField(
        _("where, if not at the place"), max_length=255, blank=True,
        help_text=_("An address or a meeting point, when the event is held elsewhere."),
    )  # fmt: skip
    room = models.ForeignKey(
        Resource, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("room"),
    )  # fmt: skip
    # the booking that holds the room for the event's time (kind "event")
    room_hold = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="event",
        editable=False,
    )  # fmt: skip
    series = models.ForeignKey(
        EventSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("series"),
    )  # fmt: skip
    festival = models.ForeignKey(
        Festival, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("festival"),
    )  # fmt: skip
    festival_state = models.CharField(
        _("in the festival"), max_length=10, choices=FestivalState.choices, blank=True,
        default=FestivalState.NONE,
    )  # fmt: skip
    # registration
    registration_open = models.BooleanField(
        _("people register"), default=False,
        help_text=_("Without registration, people just come."),
    )  # fmt: skip
    capacity = models.PositiveIntegerField(
        _("seats"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit."),
    )  # fmt: skip
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes"), null=True, blank=True,
        help_text=_("Leave empty to close it when the event starts."),
    )  # fmt: skip
    max_seats_per_registration = models.PositiveSmallIntegerField(
        _("places per registration"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SEATS_PER_REGISTRATION)],
        help_text=_("A family or a group registers once for several places."),
    )  # fmt: skip
    waitlist_enabled = models.BooleanField(_("waiting list when full"), default=True)
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to accept a freed seat"), default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )  # fmt: skip
    # [{"label": "Dietary needs?", "required": false}, ...]
    questions = models.JSONField(_("questions to registrants"), default=list, blank=True)
    rides_enabled = models.BooleanField(_("ride sharing"), default=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="event_end_after_start"),
            models.CheckConstraint(
                condition=Q(place__isnull=False) | Q(network__isnull=False),
                name="event_has_organiser",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="event_capacity_min",
            ),
        ]
        indexes = [
            models.Index(fields=["start"], name="event_start"),
            models.Index(fields=["place", "start"], name="event_place_start"),
            models.Index(fields=["festival", "start"], name="event_festival_start"),
            models.Index(
                fields=["start"],
                name="event_reminder_due",
                condition=Q(status="published", reminder_sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.slug])

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ValueError, KeyError):
            return ZoneInfo("Europe/Paris")

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.tz)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def closes_at(self) -> dt.datetime:
        """When registration closes: its closing date, or the start."""
        return self.registration_closes_at or self.start


class Session(models.Model):
    """A slot of an event's programme: a talk, a workshop in a forum's half-day."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    speakers = models.CharField(_("speakers"), max_length=300, blank=True)
    track = models.CharField(_("track"), max_length=100, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    room = models.ForeignKey(
        Resource, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions",
        verbose_name=_("room"),
    )  # fmt: skip
    room_name = models.CharField(
        _("room (if not bookable)"), max_length=100, blank=True,
        help_text=_("A room or corner that is not in the place's resources."),
    )  # fmt: skip
    # the booking that holds the session's room, when it is not the event's own room
    room_hold = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="session",
        editable=False,
    )  # fmt: skip
    capacity = models.PositiveIntegerField(
        _("seats"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Leave empty when every registrant can come."),
    )  # fmt: skip

    class Meta:
        ordering = ["start", "track", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="session_capacity_min",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def where(self) -> str:
        return self.room.name if self.room_id and self.room else self.room_name


class Registration(models.Model):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("E-mail not confirmed yet")
        CONFIRMED = "confirmed", _("Registered")
        WAITLISTED = "waitlisted", _("On the waiting list")
        OFFERED = "offered", _("A seat is offered")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Offer expired")

    HOLDS_SEATS = (Status.CONFIRMED, Status.OFFERED)
    ACTIVE = (Status.UNCONFIRMED, Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED)

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("event")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="registrations", verbose_name=_("account"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))  # lower-cased
    seats = models.PositiveSmallIntegerField(
        _("places"), default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SEATS_PER_REGISTRATION)],
    )  # fmt: skip
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    # the secret of the links in the e-mails (confirm, cancel, accept a seat, rides)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    language = models.CharField(_("language"), max_length=10, default="fr")
    # waitlist order: arrival, unless an organiser moves someone up
    queued_at = models.DateTimeField(_("in the queue since"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    offered_at = models.DateTimeField(_("seat offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("came at"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("added by"),
    )  # fmt: skip

    class Meta:
        ordering = ["queued_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="registration_seats_min"),
            # one active registration per e-mail and event
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=["unconfirmed", "confirmed", "waitlisted", "offered"]),
                name="registration_one_per_email",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status", "queued_at"], name="registration_queue"),
            models.Index(
                fields=["offer_expires_at"],
                name="registration_offer_due",
                condition=Q(status="offered"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.event}"

    @property
    def holds_seats(self) -> bool:
        return self.status in self.HOLDS_SEATS

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def get_manage_url(self) -> str:
        return reverse("events:registration", args=[self.token])


class SessionSignup(models.Model):
    """A registrant's place in a session that has its own capacity."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="signups")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="session_signups"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "registration"], name="session_signup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.session}"


class Ride(models.Model):
    """A ride offered (a driver with seats) or asked (someone looking for a seat) to go to an
    event. Its author is an account or an e-mail-only registration of the event."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("Offers a ride")
        REQUEST = "request", _("Looks for a ride")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")

    class Contribution(models.TextChoices):
        FREE = "free", _("Free")
        SHARED = "shared", _("Shared costs")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="rides", verbose_name=_("event")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="rides",
    )  # fmt: skip
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="rides"
    )
    name = models.CharField(_("name shown"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    from_town = models.CharField(_("from (town)"), max_length=120)
    from_detail = models.CharField(_("meeting point"), max_length=255, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    departure_at = models.DateTimeField(_("departure"))
    seats = models.PositiveSmallIntegerField(
        _("seats"), default=1, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    round_trip = models.BooleanField(_("return trip too"), default=False)
    return_at = models.DateTimeField(_("return departure"), null=True, blank=True)
    contribution = models.CharField(
        _("contribution"), max_length=10, choices=Contribution.choices, default=Contribution.FREE
    )
    contribution_amount = models.DecimalField(
        _("contribution per person (€)"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["departure_at", "pk"]
        verbose_name = _("ride")
        verbose_name_plural = _("rides")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="ride_seats_min"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(registration__isnull=False),
                name="ride_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.from_town}"


class RideSeat(models.Model):
    """A passenger asks a driver for seats in an offered ride and the driver accepts (or the
    driver proposes seats to someone looking for a ride, who accepts). Accepted seats never
    exceed the ride's seats (taken under the ride's row lock)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked by the passenger")
        PROPOSED = "proposed", _("Proposed by the driver")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    ride = models.ForeignKey(Ride, on_delete=models.CASCADE, related_name="passengers")
    # when the driver proposes a seat to someone who asked for a ride
    request = models.ForeignKey(
        Ride, on_delete=models.CASCADE, null=True, blank=True, related_name="proposals"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="ride_seats",
    )  # fmt: skip
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="ride_seats"
    )
    name = models.CharField(_("name shown"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    seats = models.PositiveSmallIntegerField(
        _("seats"), default=1, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="ride_seat_seats_min"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(registration__isnull=False),
                name="ride_seat_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.ride}"


class RideMessage(models.Model):
    """A short message between a driver and a (would-be) passenger, relayed by e-mail: no
    contact details are shown until the driver accepts."""

    seat = models.ForeignKey(RideSeat, on_delete=models.CASCADE, related_name="messages")
    from_driver = models.BooleanField()
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:40]
