from __future__ import annotations

import io
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordResetForm,
)
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from tiers.accounts.models import ApiToken, User

# Avatars are re-encoded: at most this many pixels a side, without the photo's metadata (a
# phone photo's EXIF may hold where it was taken).
AVATAR_SIDE = 512
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def normalise_email(value: str) -> str:
    return value.strip().lower()


class SignupForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["display_name", "email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].help_text = _("The name others see. It can be a first name.")
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["display_name"].widget.attrs["autocomplete"] = "nickname"

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account already uses this e-mail address."), code="email-taken"
            )
        return email


class LoginForm(AuthenticationForm):
    def clean_username(self) -> str:
        return normalise_email(self.cleaned_data.get("username") or "")


class AvatarField(forms.ImageField):
    """An image checked by Pillow, refused when too large, and re-encoded (see `AVATAR_SIDE`)."""

    default_error_messages = {
        "too_large": _("This image is too large (%(max)s MB at most)."),
        "too_many_pixels": _("This image has too many pixels; send a smaller one."),
        "format": _("Send a JPEG, PNG, WebP or GIF image."),
    }

    def to_python(self, data: Any) -> Any:
        if data in self.empty_values:
            return None
        if getattr(data, "size", 0) > settings.MAX_IMAGE_SIZE:
            raise ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"max": f"{settings.MAX_IMAGE_SIZE / (1024 * 1024):g}"},
            )
        upload = super().to_python(data)  # Pillow checks that it is an image
        image = upload.image  # type: ignore[union-attr]
        if image.format not in AVATAR_FORMATS:
            raise ValidationError(self.error_messages["format"], code="format")
        width, height = image.size
        if width * height > AVATAR_MAX_PIXELS:
            raise ValidationError(self.error_messages["too_many_pixels"], code="too_many_pixels")
        return _reencode(upload)  # type: ignore[arg-type]


def _reencode(upload: UploadedFile) -> ContentFile[bytes]:
    upload.seek(0)
    try:
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened) or opened
            image.thumbnail((AVATAR_SIDE, AVATAR_SIDE))
            transparent = image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info
            )
            out = io.BytesIO()
            if transparent:
                image.convert("RGBA").save(out, "PNG", optimize=True)
                extension = "png"
            else:
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                extension = "jpg"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            forms.ImageField.default_error_messages["invalid_image"], code="invalid_image"
        ) from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def _model_field(name: str) -> forms.Field:
    model_field = User._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    field = model_field.formfield()
    assert field is not None
    return field


class ProfileForm(forms.Form):
    """Not a ModelForm: an invalid submission must not change the signed-in person in memory."""

    display_name = _model_field("display_name")
    bio = _model_field("bio")
    skills = _model_field("skills")
    avatar = AvatarField(
        label=_("Avatar"),
        required=False,
        help_text=_("A JPEG, PNG, WebP or GIF image. It is shown small, next to your name."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "display_name": user.display_name,
                "bio": user.bio,
                "skills": user.skills,
                "language": user.language,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["bio"].widget.attrs["rows"] = 4
        self.fields["display_name"].help_text = _("The name others see. It can be a first name.")
        if not user.avatar:
            del self.fields["remove_avatar"]

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise ValidationError(_("Give a name others can see."), code="required")
        return name

    def clean_skills(self) -> str:
        skills = [s.strip() for s in self.cleaned_data["skills"].split(",") if s.strip()]
        return ", ".join(dict.fromkeys(skills))


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the new token"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("What it is for, e.g. “booking script” or “spreadsheet export”."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Give the token a name."), code="required")
        return name


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("This password is not correct."), code="password_incorrect")
        return password


class ResetForm(PasswordResetForm):
    """Django's reset form, sending each person the e-mail in their own language."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = getattr(context.get("user"), "language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )
