"""The member's booking form: a preset of the shown day, or a day with start and end times
(plain date and time fields, no JavaScript needed), units for pools, a note, and an optional
weekly repetition. The form turns what was typed into a UTC range; the rules are checked by
the services."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiers.bookings.models import Resource
from tiers.bookings.presets import Preset, find_preset

OTHER_TIMES = ""
MAX_REPEAT = 52


def aware(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time of the place as UTC; a time the clock skips is refused (a repeated
    time means its first occurrence)."""
    local = dt.datetime.combine(day, time, tzinfo=tz)
    try:
        utc = local.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValidationError(_("This date is out of range."), code="out_of_range") from exc
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            _("%(time)s does not exist on that day (the clocks change).")
            % {"time": time.strftime("%H:%M")},
            code="skipped_time",
        )
    return utc


def preset_label(preset: Preset) -> str:
    start, end = preset.local_start, preset.local_end
    times = f"{start:%H:%M}\u2013{end:%H:%M}"
    if preset.capacity > 1:
        availability = gettext("%(free)s of %(capacity)s free") % {
            "free": preset.free_units, "capacity": preset.capacity,
        }  # fmt: skip
    else:
        availability = gettext("free") if preset.is_free else gettext("taken")
    return f"{preset.label}, {times} ({availability})"


class PresetField(forms.ChoiceField):
    """The radio buttons of the shown day's presets. A posted value is checked in the form's
    `clean` against the presets of the day it names, with a clearer message than "not one of
    the choices"."""

    def validate(self, value: Any) -> None:
        pass


class BookingForm(forms.Form):
    preset = PresetField(label=_("Quick choice"), required=False, widget=forms.RadioSelect)
    day = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_time = forms.TimeField(
        label=_("From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=_("To"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_day = forms.DateField(
        label=_("Until (day)"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only for a booking over several days; empty: the same day."),
    )  # fmt: skip
    units = forms.IntegerField(label=_("How many places"), min_value=1, initial=1)
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=500,
        help_text=_("What it is for; the place's managers see it."),
    )  # fmt: skip
    repeat = forms.IntegerField(
        label=_("Number of weeks"), min_value=1, max_value=MAX_REPEAT, initial=1,
        help_text=_("Repeat every week at the same time, this many times in all (1: only once)."),
    )  # fmt: skip
    all_or_nothing = forms.BooleanField(
        label=_("Book only if every week is free"), required=False,
        help_text=_("Otherwise the weeks already taken are skipped and listed."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, resource: Resource, presets: list[Preset], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.presets = presets
        self.tz = resource.tz
        choices: list[tuple[str, str | Promise]] = [(OTHER_TIMES, _("Other times (below)"))]
        choices += [(p.value, preset_label(p)) for p in presets]
        preset_field = self.fields["preset"]
        assert isinstance(preset_field, forms.ChoiceField)
        preset_field.choices = choices
        preset_field.initial = OTHER_TIMES
        if presets:
            preset_field.label = _("Quick choice for %(day)s") % {
                "day": date_format(presets[0].day, "l j F Y")
            }
        units = self.fields["units"]
        assert isinstance(units, forms.IntegerField)
        if resource.capacity > 1:
            units.max_value = resource.capacity
            units.validators.append(MaxValueValidator(resource.capacity))
            units.widget.attrs["max"] = resource.capacity
        else:
            del self.fields["units"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if self.errors:
            return data
        value = data.get("preset") or OTHER_TIMES
        if value != OTHER_TIMES:
            preset = find_preset(self.presets, value)
            if preset is None:
                raise ValidationError(_("This choice is not available: pick another one."))
            data["start"], data["end"] = preset.start, preset.end
        else:
            missing = [name for name in ("day", "start_time", "end_time") if data.get(name) is None]
            for name in missing:
                self.add_error(name, _("Give the day and the times, or pick a quick choice."))
            if missing:
                return data
            day = data["day"]
            end_day = data.get("end_day") or day
            try:
                data["start"] = aware(day, data["start_time"], self.tz)
            except ValidationError as exc:
                self.add_error("start_time", exc)
            try:
                data["end"] = aware(end_day, data["end_time"], self.tz)
            except ValidationError as exc:
                self.add_error("end_time", exc)
            if "start" in data and "end" in data and data["end"] <= data["start"]:
                self.add_error("end_time", _("The end must be after the start."))
        data["units"] = data.get("units") or 1
        return data


class FeedForm(forms.Form):
    action = forms.ChoiceField(choices=[("reset", "reset"), ("revoke", "revoke")])
