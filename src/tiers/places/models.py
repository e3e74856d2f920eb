from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiers.core.text import fold
from tiers.places import hours


class Kind(models.TextChoices):
    COWORKING = "coworking", _("Coworking")
    FABLAB = "fablab", _("Fablab / makerspace")
    EPN = "epn", _("Digital mediation (EPN)")
    MEDIALAB = "medialab", _("Medialab")
    LIVING_LAB = "living_lab", _("Living lab")
    WORKSHOP = "workshop", _("Shared workshop")
    CAFE = "cafe", _("Community café")
    FOOD = "food", _("Food tiers-lieu")
    CULTURAL = "cultural", _("Cultural tiers-lieu")
    RURAL = "rural", _("Rural tiers-lieu")
    HYBRID = "hybrid", _("Hybrid tiers-lieu")
    OTHER = "other", _("Other")


class PlaceKind(models.Model):
    """One of the `Kind` values; a table so that places can have several and be filtered."""

    code = models.CharField(_("kind"), max_length=20, primary_key=True, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kind of place")
        verbose_name_plural = _("kinds of places")

    def __str__(self) -> str:
        return str(Kind(self.code).label)

    @property
    def label(self) -> str:
        return str(Kind(self.code).label)


def validate_legal_id(value: str) -> None:
    """A SIRET (14 digits, Luhn checksum), a SIREN (9 digits) or an RNA number (W + 9 digits)."""
    compact = value.replace(" ", "")
    if re.fullmatch(r"W\d{9}", compact, flags=re.IGNORECASE):
        return
    if re.fullmatch(r"\d{9}|\d{14}", compact):
        total = 0
        for index, char in enumerate(reversed(compact)):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        # La Poste's SIRETs do not follow the Luhn rule; they start with its SIREN.
        if total % 10 == 0 or compact.startswith("356000000"):
            return
        raise ValidationError(
            _("This SIRET/SIREN number is not valid (check digit)."), code="checksum"
        )
    raise ValidationError(
        _(
            "Enter a SIRET (14 digits), a SIREN (9 digits) or an RNA number (W followed by 9 digits)."
        ),
        code="invalid",
    )


postcode_validator = RegexValidator(
    r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$", _("Enter a French postcode of 5 digits.")
)
insee_validator = RegexValidator(
    r"^(?:[013-9]\d|2[AB1-9])\d{3}$", _("Enter an INSEE code of 5 characters (e.g. 75056, 2A004).")
)


class PlaceQuerySet(models.QuerySet["Place"]):
    def listed(self) -> PlaceQuerySet:
        """What the public directory shows."""
        return self.exclude(status=Place.Status.CLOSED)

    def search(self, query: str) -> PlaceQuerySet:
        qs = self
        for word in fold(query).split()[:8]:
            qs = qs.filter(search_text__contains=word)
        return qs


class Place(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PROJECT = "project", _("Project")
        CLOSED = "closed", _("Closed")

    class Access(models.TextChoices):
        UNKNOWN = "", _("Not specified")
        FULL = "full", _("Wheelchair accessible")
        PARTIAL = "partial", _("Partly accessible")
        NONE = "none", _("Not wheelchair accessible")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in the address"), max_length=80, unique=True)
    kinds = models.ManyToManyField(PlaceKind, verbose_name=_("kinds"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    short_description = models.CharField(_("short description"), max_length=300, blank=True)
    description = models.TextField(
        _("description"), blank=True, max_length=20000, help_text=_("Markdown is accepted.")
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    postcode = models.CharField(
        _("postcode"), max_length=5, blank=True, validators=[postcode_validator]
    )
    town = models.CharField(_("town"), max_length=120, blank=True)
    insee_code = models.CharField(
        _("INSEE code"), max_length=5, blank=True, validators=[insee_validator]
    )
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )  # fmt: skip
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )  # fmt: skip
    opening_hours = models.CharField(
        _("opening hours"), max_length=hours.MAX_LENGTH, blank=True,
        validators=[hours.validate_opening_hours],
        help_text=_("OpenStreetMap syntax, e.g. Mo-Fr 09:00-18:00; Sa 10:00-13:00"),
    )  # fmt: skip
    time_zone = models.CharField(_("time zone"), max_length=40, default="Europe/Paris")
    wheelchair = models.CharField(
        _("wheelchair access"), max_length=8, choices=Access.choices, blank=True
    )
    accessibility = models.TextField(_("accessibility"), blank=True, max_length=2000)
    services = models.JSONField(_("services"), default=list, blank=True)
    legal_id = models.CharField(
        _("SIRET or RNA"), max_length=17, blank=True, validators=[validate_legal_id]
    )
    website = models.URLField(_("website"), blank=True, max_length=500)
    links = models.JSONField(_("other links"), default=list, blank=True)
    email = models.EmailField(_("public e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Fields of the "lieux de médiation numérique" standard that have no column of their own
    # (publics, modalités, dispositifs...), kept so that an import and an export round-trip.
    standard_fields = models.JSONField(default=dict, blank=True)
    # Where the row came from, so that a re-import updates it: e.g. ("cget-2019", "1342").
    source = models.CharField(_("source"), max_length=40, blank=True)
    source_id = models.CharField(_("identifier in the source"), max_length=100, blank=True)
    search_text = models.TextField(_("searched text"), editable=False, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source=""),
                name="place_unique_source_id",
            )
        ]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="place_coordinates"),
            models.Index(fields=["status", "name"], name="place_status_name"),
            # the directory's and the API's order: a page without sorting the whole table
            models.Index(fields=["name", "id"], name="place_name_id"),
            # the directory's version (caches, ETags): the latest change without a scan
            models.Index(fields=["updated_at"], name="place_updated_at"),
            models.Index(fields=["postcode"], name="place_postcode"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text", "updated_at"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("places:detail", args=[self.slug])

    def clean(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))

    def build_search_text(self) -> str:
        """The folded text the directory searches (bulk writes, which skip save(), call it too)."""
        return fold(
            " ".join(
                [self.name, self.town, self.postcode, self.short_description, self.description]
            )
        )

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (KeyError, ValueError):
            return ZoneInfo("Europe/Paris")

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def is_open_now(self) -> bool | None:
        return hours.is_open(self.opening_hours, self.tz)

    def kind_codes(self) -> list[str]:
        return [k.code for k in self.kinds.all()]


def place_photo_path(instance: PlacePhoto, filename: str) -> str:
    return f"places/{instance.place_id}/{filename}"


class PlacePhoto(models.Model):
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="photos", verbose_name=_("place")
    )
    image = models.ImageField(_("photo"), upload_to=place_photo_path)
    alt = models.CharField(
        _("description of the photo"), max_length=200,
        help_text=_("What the photo shows, for people who cannot see it."),
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.alt


class Network(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in the address"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    website = models.URLField(_("website"), blank=True, max_length=500)
    places = models.ManyToManyField(
        Place, related_name="networks", blank=True, verbose_name=_("member places")
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="coordinated_networks", blank=True,
        verbose_name=_("coordinators"),
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:network", args=[self.slug])


class Membership(models.Model):
    """A person's relation to a place: asked, active, or ended (kept as history)."""

    class Status(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        USER = "user", _("Occasional user")
        BENEFICIARY = "beneficiary", _("Beneficiary")

    class State(models.TextChoices):
        PENDING = "pending", _("Asked to join")
        ACTIVE = "active", _("Member")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("place")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("person"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.USER
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    is_manager = models.BooleanField(_("manager"), default=False)
    is_concierge = models.BooleanField(_("concierge"), default=False)
    is_visible = models.BooleanField(
        _("shown on the place's page"), default=False,
        help_text=_("Other visitors see your name among the place's members."),
    )  # fmt: skip
    message = models.TextField(_("message"), blank=True, max_length=1000)
    requested_at = models.DateTimeField(_("asked on"), default=timezone.now)
    started_on = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "user"],
                condition=Q(state__in=["pending", "active"]),
                name="membership_one_current_per_person",
            )
        ]
        indexes = [models.Index(fields=["place", "state"], name="membership_place_state")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.place}"

    @property
    def is_current(self) -> bool:
        return self.state in (self.State.PENDING, self.State.ACTIVE)
