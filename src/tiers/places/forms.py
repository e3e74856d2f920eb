from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiers.places.models import Kind, Membership, Network, Place, PlacePhoto


def validate_image_size(image: Any) -> None:
    if image and image.size > settings.MAX_IMAGE_SIZE:
        raise ValidationError(
            _("This image is too large (%(max)d MB at most).")
            % {"max": settings.MAX_IMAGE_SIZE // (1024 * 1024)},
            code="too_large",
        )


def https_urls(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Model URL fields take an address typed without a scheme as https (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class LinesField(forms.CharField):
    """A list of URLs typed one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        validator = forms.URLField(assume_scheme="https")
        for line in lines:
            validator.clean(line)
        if len(lines) > 10:
            raise ValidationError(_("Ten links at most."))
        return lines


class PlaceForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("Kinds"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    links = LinesField(label=_("Other links (one per line)"), required=False)
    services = forms.CharField(
        label=_("Services"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: free Wi-Fi, printer, meeting room, coffee…"),
    )  # fmt: skip

    class Meta:
        model = Place
        formfield_callback = https_urls
        fields = [
            "name", "kinds", "status", "short_description", "description", "address", "postcode",
            "town", "insee_code", "latitude", "longitude", "opening_hours", "wheelchair",
            "accessibility", "services", "legal_id", "website", "links", "email", "phone",
        ]  # fmt: skip
        widgets = {
            "short_description": forms.TextInput(),
            "description": forms.Textarea(attrs={"rows": 8}),
            "accessibility": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["kinds"] = self.instance.kind_codes()
            self.initial["services"] = "\n".join(self.instance.services or [])

    def clean_services(self) -> list[str]:
        lines = [s.strip()[:100] for s in self.cleaned_data["services"].splitlines() if s.strip()]
        if len(lines) > 30:
            raise ValidationError(_("Thirty services at most."))
        return lines

    def clean_phone(self) -> str:
        phone = "".join(c for c in self.cleaned_data["phone"] if c.isdigit() or c == "+")
        if phone and not (8 <= len(phone.lstrip("+")) <= 15):
            raise ValidationError(
                _("Enter a phone number, e.g. 01 23 45 67 89 or +33 1 23 45 67 89.")
            )
        return phone


class PhotoForm(forms.ModelForm):
    class Meta:
        model = PlacePhoto
        fields = ["image", "alt"]

    def clean_image(self) -> Any:
        image = self.cleaned_data["image"]
        validate_image_size(image)
        return image


class JoinForm(forms.Form):
    status = forms.ChoiceField(
        label=_("I would come as"), choices=Membership.Status.choices,
        initial=Membership.Status.USER, widget=forms.RadioSelect,
    )  # fmt: skip
    message = forms.CharField(
        label=_("A word for the managers (optional)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    is_visible = forms.BooleanField(label=_("Show my name on the place's page"), required=False)


class MembershipChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Membership.Status.choices)
    is_manager = forms.BooleanField(label=_("Manager"), required=False)
    is_concierge = forms.BooleanField(label=_("Concierge"), required=False)


class NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        formfield_callback = https_urls
        fields = ["name", "description", "website"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
