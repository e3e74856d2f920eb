"""Forms of the managers' booking pages. They validate what a person typed (dates in the
place's time zone, ranges, choices limited to the place's own rows); services write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.bookings.models import (
    STATUS_CHOICES,
    CreditPlan,
    Qualification,
    Resource,
)
from tiers.bookings.services_manage import resource_slug
from tiers.places.forms import validate_image_size
from tiers.places.models import Membership, Place

# Dates a person may type: anything else is a typo (and year 9999 would overflow).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def validate_year(value: dt.date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="out_of_range",
        )


def date_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label, required=required, help_text=help_text, validators=[validate_year],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip


def time_field(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


def local_datetime(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time of the place, as an aware datetime. Refuses the times that do not
    exist on that day (the hour skipped when the clocks go forward)."""
    local = dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=tz)
    back = local.astimezone(dt.UTC).astimezone(tz)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            _("%(time)s does not exist on %(day)s: the clocks change that night.")
            % {"time": time.strftime("%H:%M"), "day": day.isoformat()},
            code="nonexistent",
        )
    return local


def place_members(place: Place) -> QuerySet[User]:
    """People with an active membership of the place, by name."""
    return User.objects.filter(
        memberships__place=place, memberships__state=Membership.State.ACTIVE
    ).order_by("display_name", "pk")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})"


class RangeMixin:
    """A start and an end, each a date and a time on the place's clock."""

    tz: ZoneInfo

    def clean_range(self, cleaned: dict[str, Any]) -> None:
        parts = [cleaned.get(k) for k in ("start_date", "start_time", "end_date", "end_time")]
        if any(p is None for p in parts):
            return
        start_date, start_time, end_date, end_time = parts
        start = local_datetime(start_date, start_time, self.tz)  # type: ignore[arg-type]
        end = local_datetime(end_date, end_time, self.tz)  # type: ignore[arg-type]
        if end <= start:
            raise ValidationError(_("The end must be after the start."), code="invalid_range")
        cleaned["start"], cleaned["end"] = start, end


# ---- resources


class Preset:
    def __init__(self, key: str, label: Any, description: Any, initial: dict[str, Any]) -> None:
        self.key, self.label, self.description, self.initial = key, label, description, initial


PRESETS = [
    Preset(
        "bureau-demi-journee", _("Desk by the half-day"),
        _("Booked by the morning, the afternoon or the whole day, on the hour."),
        {"kind": Resource.Kind.DESK, "granularity_minutes": 60, "min_duration_minutes": 4 * 60,
         "max_duration_minutes": 12 * 60, "cancellation_deadline_hours": 12},
    ),
    Preset(
        "salle-a-l-heure", _("Meeting room by the hour"),
        _("Booked from one hour to a working day, on the hour."),
        {"kind": Resource.Kind.MEETING_ROOM, "granularity_minutes": 60,
         "min_duration_minutes": 60, "max_duration_minutes": 8 * 60,
         "cancellation_deadline_hours": 24},
    ),
    Preset(
        "machine-habilitation", _("Machine with training"),
        _("Booked by the half-hour, four hours at most, by trained people only: choose "
          "the qualification it requires under “Rules”."),
        {"kind": Resource.Kind.MACHINE, "granularity_minutes": 30, "min_duration_minutes": 30,
         "max_duration_minutes": 4 * 60, "cancellation_deadline_hours": 2},
    ),
]  # fmt: skip
PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}


class ResourceForm(forms.ModelForm):
    """Every rule of a resource, in four groups (see `GROUPS`)."""

    GROUPS = [
        (_("What it is"), ["kind", "name", "slug", "description", "capacity", "location",
                           "visibility"]),
        (_("When it can be booked"), ["opening_hours", "granularity_minutes",
                                      "min_duration_minutes", "max_duration_minutes",
                                      "max_days_ahead", "min_notice_minutes", "buffer_minutes",
                                      "cancellation_deadline_hours"]),
        (_("Rules"), ["requires_approval", "weekly_hours_limit", "max_simultaneous",
                      "required_qualification", "credit_plan"]),
        (_("Who may book"), ["allowed_statuses"]),
    ]  # fmt: skip

    allowed_statuses = forms.MultipleChoiceField(
        label=_("Who may book"), choices=STATUS_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The managers of the place may always book. With none ticked, only they can "
                    "(for themselves or for someone)."),
    )  # fmt: skip

    class Meta:
        model = Resource
        fields = [
            "kind", "name", "slug", "description", "capacity", "location", "visibility",
            "opening_hours", "granularity_minutes", "min_duration_minutes",
            "max_duration_minutes", "max_days_ahead", "min_notice_minutes", "buffer_minutes",
            "cancellation_deadline_hours", "requires_approval", "weekly_hours_limit",
            "max_simultaneous", "required_qualification", "credit_plan", "allowed_statuses",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "slug": _("Used in the resource's address. Empty: made from the name."),
            "location": _("Where to find it, e.g. “first floor, by the window”."),
            "visibility": _("Who sees it in the list of the place's resources."),
            "min_duration_minutes": _("e.g. 60 for one hour, 240 for a half-day."),
            "max_duration_minutes": _("e.g. 480 for a working day."),
            "max_days_ahead": _("How many days in advance it can be booked."),
            "min_notice_minutes": _("0: it can be booked up to the last minute."),
            "buffer_minutes": _("Free time kept after each booking (cleaning, cooling down)."),
            "cancellation_deadline_hours": _(
                "Members cancel up to this many hours before the start; managers at any time."
            ),
            "requires_approval": _("Bookings wait for a manager's answer before they count."),
            "weekly_hours_limit": _("The most hours one person may book in a week. Empty: no "
                                    "limit."),
            "max_simultaneous": _("The most bookings one person may hold ahead. Empty: no limit."),
            "required_qualification": _("Only people holding it may book (e.g. a training)."),
            "credit_plan": _("Bookings draw on these hour allowances."),
        }  # fmt: skip

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place = place
        self.fields["slug"].required = False
        qualification = self.fields["required_qualification"]
        qualification.queryset = Qualification.objects.filter(place=place)  # type: ignore[attr-defined]
        qualification.empty_label = _("None")  # type: ignore[attr-defined]
        plan = self.fields["credit_plan"]
        plan.queryset = CreditPlan.objects.filter(place=place)  # type: ignore[attr-defined]
        plan.empty_label = _("None")  # type: ignore[attr-defined]
        for name in ("min_duration_minutes", "max_duration_minutes", "capacity"):
            self.fields[name].widget.attrs["min"] = 1

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def clean_slug(self) -> str:
        return str(self.cleaned_data.get("slug") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = cleaned.get("name")
        if name is not None:
            slug = cleaned.get("slug") or resource_slug(name)
            others = Resource.objects.filter(place=self.place, slug=slug)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                field = "slug" if cleaned.get("slug") else "name"
                self.add_error(
                    field,
                    _("Another resource of this place already has the short name “%(slug)s”. "
                      "Choose another name or short name.") % {"slug": slug},
                )  # fmt: skip
            cleaned["slug"] = slug
        low, high = cleaned.get("min_duration_minutes"), cleaned.get("max_duration_minutes")
        step = cleaned.get("granularity_minutes")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_duration_minutes",
                _("The maximum duration must not be shorter than the minimum duration."),
            )
        if step:
            for key, value in (("min_duration_minutes", low), ("max_duration_minutes", high)):
                if value is not None and value % step:
                    self.add_error(
                        key,
                        _("Give a multiple of the granularity (%(step)s minutes).")
                        % {"step": step},
                    )
        return cleaned

    def _post_clean(self) -> None:
        # The services write the row: the form does not touch its instance (a refused
        # change must not leave a half-changed object behind), and the unique short name is
        # checked above with a clearer message. The model fields' own validators (capacity
        # range, opening hours syntax...) still run here.
        for name, value in list(self.cleaned_data.items()):
            if value in (None, "", []) or name not in self.fields:
                continue
            field = Resource._meta.get_field(name)
            if not isinstance(field, models.Field):
                continue
            try:
                field.run_validators(value)
            except ValidationError as exc:
                self.add_error(name, exc)


class ResourcePhotoForm(forms.Form):
    photo = forms.ImageField(label=_("Photo"), help_text=_("JPEG, PNG or WebP."))
    photo_alt = forms.CharField(
        label=_("Photo description"), max_length=300,
        help_text=_("What the photo shows, for people who cannot see it."),
    )  # fmt: skip

    def clean_photo(self) -> Any:
        photo = self.cleaned_data["photo"]
        validate_image_size(photo)
        return photo


# ---- closures


class ClosureForm(RangeMixin, forms.Form):
    resource = forms.ModelChoiceField(
        label=_("What is closed"), queryset=Resource.objects.none(), required=False,
        empty_label=_("The whole place"),
    )  # fmt: skip
    start_date = date_field(_("First day"))
    start_time = time_field(_("From"))
    end_date = date_field(_("Last day"))
    end_time = time_field(_("Until"))
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False,
        help_text=_("Shown to the people who try to book, e.g. “summer holidays”."),
    )  # fmt: skip

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = place.tz
        self.fields["resource"].queryset = Resource.objects.filter(place=place)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_range(cleaned)
        return cleaned


# ---- qualifications


class QualificationForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200,
        help_text=_("e.g. “Laser cutter training”."),
    )  # fmt: skip

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place = place

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Qualification.objects.filter(place=self.place, name__iexact=name).exists():
            raise ValidationError(
                _("This place already has a qualification named “%(name)s”.") % {"name": name}
            )
        return name


class GrantForm(forms.Form):
    user = MemberChoiceField(label=_("Member"), queryset=User.objects.none())
    expires_on = date_field(_("Expires on"), required=False, help_text=_("Empty: does not expire."))

    def __init__(self, *args: Any, place: Place, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["user"].queryset = place_members(place)  # type: ignore[attr-defined]

    def clean_expires_on(self) -> dt.date | None:
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is not None and expires_on < self.today:
            raise ValidationError(_("This date is already past."))
        return expires_on


# ---- bookings


class BookForForm(forms.Form):
    user = MemberChoiceField(label=_("For"), queryset=User.objects.none())
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=Resource.objects.none())
    day = date_field(_("Day"))
    start_time = time_field(_("From"))
    end_time = time_field(_("Until"))
    units = forms.IntegerField(
        label=_("Units"), min_value=1, max_value=1000, initial=1,
        help_text=_("For a pool or a room with several seats: how many are taken."),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = place.tz
        self.fields["user"].queryset = place_members(place)  # type: ignore[attr-defined]
        self.fields["resource"].queryset = Resource.objects.filter(  # type: ignore[attr-defined]
            place=place, is_active=True
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is None or start is None or end is None:
            return cleaned
        cleaned["start"] = local_datetime(day, start, self.tz)
        # "until 00:00" means midnight at the end of the day
        end_day = day + dt.timedelta(days=1) if end == dt.time(0, 0) else day
        cleaned["end"] = local_datetime(end_day, end, self.tz)
        if cleaned["end"] <= cleaned["start"]:
            raise ValidationError(_("The end must be after the start."), code="invalid_range")
        return cleaned


class BlockForm(RangeMixin, forms.Form):
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=Resource.objects.none())
    start_date = date_field(_("First day"))
    start_time = time_field(_("From"))
    end_date = date_field(_("Last day"))
    end_time = time_field(_("Until"))
    reason = forms.CharField(
        label=_("Reason"), max_length=500,
        help_text=_("e.g. “maintenance” or “team meeting”; shown to the managers."),
    )  # fmt: skip

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = place.tz
        self.fields["resource"].queryset = Resource.objects.filter(  # type: ignore[attr-defined]
            place=place, is_active=True
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_range(cleaned)
        return cleaned


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class DayForm(forms.Form):
    jour = date_field(_("Day"))


# ---- time credits

MAX_MONTHLY_HOURS = 31 * 24


class CreditPlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("e.g. “Meeting rooms”."))
    allow_negative = forms.BooleanField(
        label=_("Bookings may go beyond the balance"), required=False,
        help_text=_("The balance then goes below zero, to be settled with the place."),
    )  # fmt: skip
    resources = forms.ModelMultipleChoiceField(
        label=_("Resources that draw on these hours"), queryset=Resource.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("A resource draws on one allowance at most: ticking it here takes it off "
                    "another one."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, place: Place, plan: CreditPlan | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.place, self.plan = place, plan
        self.fields["resources"].queryset = Resource.objects.filter(place=place)  # type: ignore[attr-defined]
        for status, label in Membership.Status.choices:
            self.fields[f"hours_{status}"] = forms.IntegerField(
                label=_("Hours per month: %(status)s") % {"status": label},
                min_value=0, max_value=MAX_MONTHLY_HOURS, initial=0, required=False,
            )  # fmt: skip
        if plan is not None and not self.is_bound:
            self.initial.update(
                {"name": plan.name, "allow_negative": plan.allow_negative,
                 "resources": list(plan.resources.all())}
            )  # fmt: skip
            for status in Membership.Status.values:
                self.initial[f"hours_{status}"] = plan.hours_for(status)

    def hour_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{status}"] for status in Membership.Status.values]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = CreditPlan.objects.filter(place=self.place, name__iexact=name)
        if self.plan is not None:
            others = others.exclude(pk=self.plan.pk)
        if others.exists():
            raise ValidationError(
                _("This place already has time credits named “%(name)s”.") % {"name": name}
            )
        return name

    def monthly_hours(self) -> dict[str, int]:
        return {
            status: self.cleaned_data.get(f"hours_{status}") or 0
            for status in Membership.Status.values
        }


class CreditGrantForm(forms.Form):
    user = MemberChoiceField(label=_("Member"), queryset=User.objects.none())
    hours = forms.DecimalField(
        label=_("Number of hours"), max_digits=6, decimal_places=2, min_value=Decimal(-1000),
        max_value=Decimal(1000),
        help_text=_("Negative to take hours back, e.g. -2. Quarter hours: 1.25, 1.5, 1.75."),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), max_length=300, required=False,
        help_text=_("Why, for the person's history."),
    )  # fmt: skip

    def __init__(self, *args: Any, place: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = place_members(place)  # type: ignore[attr-defined]

    def clean_hours(self) -> Decimal:
        hours = self.cleaned_data["hours"]
        if hours == 0:
            raise ValidationError(_("Give a number of hours other than zero."))
        if (hours * 60) % 1:
            raise ValidationError(_("Give whole minutes (e.g. 1.5 for an hour and a half)."))
        return hours

    def minutes(self) -> int:
        return int(self.cleaned_data["hours"] * 60)
