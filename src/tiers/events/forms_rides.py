"""Forms of the ride-sharing pages. They read what was typed (times on the event's clock,
`<input type="datetime-local">`); the rules are checked by `tiers.events.rides`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from tiers.events import rides
from tiers.events.errors import EventError
from tiers.events.forms import LocalDateTimeField, set_clock
from tiers.events.models import Event, Ride


class RideForm(forms.Form):
    from_town = forms.CharField(
        label=_("Town you leave from"), max_length=120,
        help_text=_("Shown to everyone, to find people near you."),
    )  # fmt: skip
    from_detail = forms.CharField(
        label=_("Meeting point (optional)"), max_length=255, required=False,
        help_text=_("Only shown to the people you travel with."),
    )  # fmt: skip
    departure_at = LocalDateTimeField(label=_("Departure (day and time)"))
    seats = forms.IntegerField(
        label=_("Free seats"), min_value=1, max_value=rides.MAX_SEATS, initial=1
    )
    round_trip = forms.BooleanField(label=_("Return trip too"), required=False)
    return_at = LocalDateTimeField(
        label=_("Return departure (optional)"), required=False,
        help_text=_("Only with a return trip."),
    )  # fmt: skip
    contribution = forms.ChoiceField(
        label=_("Contribution"), choices=Ride.Contribution.choices,
        initial=Ride.Contribution.FREE, widget=forms.RadioSelect,
    )  # fmt: skip
    contribution_amount = forms.DecimalField(
        label=_("Contribution per person (€, optional)"), required=False, min_value=0,
        max_value=rides.MAX_CONTRIBUTION, max_digits=6, decimal_places=2,
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note (optional)"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to everyone: no address or phone number here."),
    )  # fmt: skip
    phone = forms.CharField(
        label=_("Phone (optional)"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("Only shown to the people you travel with, once accepted."),
    )  # fmt: skip

    def __init__(self, *args: Any, event: Event, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.kind = kind
        self.tz: ZoneInfo = event.tz
        if kind == Ride.Kind.REQUEST:
            del self.fields["contribution"]
            del self.fields["contribution_amount"]
            self.fields["seats"].label = _("Seats needed")
            self.fields["round_trip"].label = _("I need a ride back too")
            self.fields["from_detail"].label = _("Where you could be picked up (optional)")
        set_clock(self, event.tz, ["departure_at", "return_at"])
        if not self.is_bound:
            self.initial.setdefault("departure_at", event.start - dt.timedelta(hours=1))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not data.get("round_trip"):
            data["return_at"] = None
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "from_town": data["from_town"],
            "from_detail": data.get("from_detail", ""),
            "departure_at": data["departure_at"],
            "seats": data["seats"],
            "round_trip": data.get("round_trip", False),
            "return_at": data.get("return_at"),
            "contribution": data.get("contribution") or Ride.Contribution.FREE,
            "contribution_amount": data.get("contribution_amount"),
            "note": data.get("note", ""),
            "phone": data.get("phone", ""),
        }

    def add_service_error(self, error: EventError) -> None:
        field = rides.FIELD_OF_CODE.get(error.code)
        if field not in self.fields:
            field = None
        self.add_error(field, str(error.message))


class SeatRequestForm(forms.Form):
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=rides.MAX_SEATS, initial=1)
    message = forms.CharField(
        label=_("Message to the driver (optional)"), max_length=rides.MAX_MESSAGE,
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent by e-mail without your address."),
    )  # fmt: skip


class ProposeForm(forms.Form):
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=rides.MAX_SEATS, initial=1)
    message = forms.CharField(
        label=_("Message (optional)"), max_length=rides.MAX_MESSAGE, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=rides.MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent by e-mail; your address is not shown until the seat is accepted."),
    )  # fmt: skip
