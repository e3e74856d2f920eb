"""Forms of the festival pages: the festival itself (coordinators), the programme's filters
(visitors, GET), an organiser's submission and the coordinators' decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from tiers.events import clock
from tiers.events.festivals import Filters
from tiers.events.models import Event, Festival
from tiers.places.regions import REGION_NAMES

# the "day" filter's value for the whole programme
EVERY_DAY = "tous"
# how far a festival may be from today
MAX_YEARS = 5


class FestivalForm(forms.ModelForm):
    class Meta:
        model = Festival
        fields = [
            "name",
            "theme",
            "description",
            "start_date",
            "end_date",
            "requires_approval",
            "is_published",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 8}),
        }
        help_texts = {
            "description": _("Markdown: *italics*, **bold**, [link](https://…), lists."),
            "requires_approval": _(
                "When ticked, the places' events wait for a coordinator's approval before "
                "they appear in the programme."
            ),
            "is_published": _(
                "A festival that is not published is seen by its coordinators only, and "
                "takes no events yet."
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        for name in ("start_date", "end_date"):
            day = data.get(name)
            if (
                day is not None
                and abs((day - timezone.localdate(clock.now())).days) > MAX_YEARS * 366
            ):
                self.add_error(name, _("Choose a date within five years of today."))
                data.pop(name, None)
        if start is not None and end is not None and "start_date" in data and "end_date" in data:
            if end < start:
                self.add_error("end_date", _("The last day must be on or after the first day."))
            elif (end - start).days > 92:
                self.add_error("end_date", _("A festival lasts at most three months."))
        return data


def _choices(pairs: Any, empty: str) -> list[tuple[str, str]]:
    return [("", empty), *[(str(value), str(label)) for value, label in pairs]]


class ProgrammeFilterForm(forms.Form):
    """The programme's filters (GET). Values that are not among the choices are dropped
    with an error shown above the programme, never a server error."""

    day = forms.ChoiceField(label=_("Day"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    audience = forms.ChoiceField(label=_("Audience"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    town = forms.CharField(label=_("Town"), required=False, max_length=120)

    def __init__(self, *args: Any, festival: Festival, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.festival = festival
        days = []
        day = festival.start_date
        while day <= festival.end_date:
            days.append(day)
            day += dt.timedelta(days=1)
        self.days = days
        day_field = self.fields["day"]
        assert isinstance(day_field, forms.ChoiceField)
        day_field.choices = [(EVERY_DAY, _("Every day"))] + [
            (day.isoformat(), date_format(day, "l j F")) for day in days
        ]
        choices = {
            "kind": _choices(Event.Kind.choices, str(_("Every kind"))),
            "audience": _choices(Event.Audience.choices, str(_("Every audience"))),
            "region": _choices([(name, name) for name in REGION_NAMES], str(_("Every region"))),
        }
        for name, values in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = values

    def clean_day(self) -> dt.date | None:
        """A day of the festival, or None (every day, or not said)."""
        value = self.cleaned_data.get("day") or ""
        return None if value in ("", EVERY_DAY) else dt.date.fromisoformat(value)

    def clean_town(self) -> str:
        return " ".join(self.cleaned_data.get("town", "").replace("\x00", "").split())

    def filters(self) -> Filters:
        """The understood filters (a value that is not understood is dropped; the form keeps
        its error to show)."""
        if not self.is_bound:
            return Filters()
        self.is_valid()
        data = self.cleaned_data
        return Filters(
            day=data.get("day"),
            kind=data.get("kind") or "",
            audience=data.get("audience") or "",
            region=data.get("region") or "",
            town=data.get("town") or "",
        )


class SubmitForm(forms.Form):
    festival = forms.ModelChoiceField(
        label=_("Festival"),
        queryset=Festival.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the festivals listed.")},
    )

    def __init__(self, *args: Any, festivals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["festival"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = festivals


class DecideForm(forms.Form):
    event = forms.IntegerField(min_value=1, max_value=2**62)
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("refuse", "refuse")])
