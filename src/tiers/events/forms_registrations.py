"""Forms of registration: the visitor's (name, e-mail, places, the event's questions), the
organiser's (add someone, write to the registrants). They parse and check shapes only; the
rules (open, full, duplicate...) are the services' (`registrations.py`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.events.models import MAX_SEATS_PER_REGISTRATION, Event

ANSWER_MAX_LENGTH = 500


def _seat_choices(maximum: int) -> list[tuple[int, str]]:
    return [(n, str(n)) for n in range(1, max(1, maximum) + 1)]


class RegistrationForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("Shown to the organisers only."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send the confirmation and the link to cancel to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    seats = forms.TypedChoiceField(
        label=_("Places"),
        coerce=int,
        initial=1,
        help_text=_("A family or a group registers once for several places."),
    )

    def __init__(self, *args: Any, event: Event, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.user = user
        self.fields["seats"].choices = _seat_choices(  # type: ignore[attr-defined]
            event.max_seats_per_registration
        )
        self.fields["seats"].error_messages["invalid_choice"] = _(
            "A registration has between 1 and %(max)s places."
        ) % {"max": event.max_seats_per_registration}
        if event.max_seats_per_registration <= 1:
            self.fields["seats"].widget = forms.HiddenInput()
            self.fields["seats"].help_text = ""
        if user is not None:
            self.fields["email"].disabled = True
            self.fields["email"].initial = user.email
            self.fields["email"].help_text = _("The address of your account.")
            self.fields["name"].initial = user.display_name
        self.question_fields: list[tuple[str, str]] = []
        for index, question in enumerate(event.questions or []):
            label = str(question.get("label", "")).strip()
            if not label:
                continue
            key = f"question_{index}"
            self.fields[key] = forms.CharField(
                label=label,
                required=bool(question.get("required")),
                max_length=ANSWER_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.question_fields.append((key, label))

    def answers(self) -> dict[str, str]:
        return {label: self.cleaned_data.get(key, "") for key, label in self.question_fields}

    def question_bound_fields(self) -> list[forms.BoundField]:
        return [self[key] for key, _label in self.question_fields]

    def field_for_answer(self, label: str) -> str | None:
        for key, question in self.question_fields:
            if question == label:
                return key
        return None


class AttendeeAddForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("The person receives the confirmation and the link to cancel."),
    )
    seats = forms.TypedChoiceField(
        label=_("Places"), coerce=int, initial=1, choices=_seat_choices(MAX_SEATS_PER_REGISTRATION)
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seats"].choices = _seat_choices(  # type: ignore[attr-defined]
            event.max_seats_per_registration
        )


class MessageForm(forms.Form):
    AUDIENCES = [
        ("registered", _("Registered people")),
        ("waitlisted", _("The waiting list (and the people offered a place)")),
        ("all", _("Everyone: registered and waiting")),
    ]

    audience = forms.ChoiceField(
        label=_("To"), choices=AUDIENCES, initial="registered", widget=forms.RadioSelect
    )
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Sent as plain text. Each person also gets the link to their registration; "
            "replies come to your e-mail address."
        ),
    )
