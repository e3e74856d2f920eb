"""The organisers' forms (an event, its cancellation, a session of its programme) and the
filters of the event lists. Dates and times are typed on the event's clock in plain
`datetime-local` fields (no JavaScript); the forms turn them into aware datetimes and check
what a person can get wrong (end before start, an image without its description...). The
rules that hold whatever the door (rooms, sessions inside their event) are the services'."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiers.bookings.models import Resource
from tiers.events.models import Event, EventSeries, Session
from tiers.events.services import MAX_OCCURRENCES
from tiers.places.forms import https_urls, validate_image_size
from tiers.places.models import Place

MAX_TAGS = 20
MAX_QUESTIONS = 10
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MIN_YEAR, MAX_YEAR = 1970, 2999


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read and shown on a given clock (the event's), whatever the
    time zone of the request. A time the clock skips or repeats (daylight saving) is refused
    with Django's clear message."""

    def __init__(self, *args: Any, tz: ZoneInfo | None = None, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)
        )
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)
        self.tz = tz or ZoneInfo("Europe/Paris")

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(self.tz):
            return super().prepare_value(value)

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(self.tz):
            try:
                result = super().to_python(value)
            except OverflowError as exc:
                raise ValidationError(_("This date is out of range."), code="invalid") from exc
        # far years overflow once moved to UTC or shifted by a series: refused here, as the
        # API does
        if result is not None and not MIN_YEAR <= result.year <= MAX_YEAR:
            raise ValidationError(_("This date is out of range."), code="invalid")
        return result


def set_clock(form: forms.BaseForm, tz: ZoneInfo, names: list[str]) -> None:
    for name in names:
        field = form.fields.get(name)
        if isinstance(field, LocalDateTimeField):
            field.tz = tz


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, cleaned, without duplicates (by their short name)."""
    from django.utils.text import slugify

    seen, tags = set(), []
    for raw in text.split(","):
        name = " ".join(raw.split())[:60]
        slug = slugify(name)
        if slug and slug not in seen:
            seen.add(slug)
            tags.append(name)
    return tags


def parse_questions(text: str) -> list[dict[str, Any]]:
    """One question per line; a trailing `*` marks it as required."""
    questions = []
    for line in text.splitlines():
        label = line.strip()
        required = label.endswith("*")
        label = label.rstrip("*").strip()
        if not label:
            continue
        if len(label) > 200:
            raise ValidationError(
                _("Each question has at most 200 characters."), code="question_too_long"
            )
        questions.append({"label": label, "required": required})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(
            _("Ask at most %(max)s questions.") % {"max": MAX_QUESTIONS}, code="too_many"
        )
    return questions


def questions_text(questions: Any) -> str:
    if not isinstance(questions, list):
        return ""
    return "\n".join(
        f"{q.get('label', '')}{' *' if q.get('required') else ''}"
        for q in questions
        if isinstance(q, dict)
    )


def room_choices(place: Place | None) -> Any:
    """A place's active resources, meeting rooms first."""
    if place is None:
        return Resource.objects.none()
    return (
        Resource.objects.filter(place=place, is_active=True)
        .annotate(
            room_first=Case(
                When(kind=Resource.Kind.MEETING_ROOM, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("room_first", "name", "pk")
    )


class RoomField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class EventForm(forms.ModelForm):
    """An event of a place (with its rooms) or of a network. At creation it also asks
    whether it is published at once and whether it repeats; when an occurrence of a series
    is changed, whether the change applies to the following ones."""

    SCOPE_THIS = "this"
    SCOPE_FOLLOWING = "following"
    SCOPE_ALL = "all"

    start = LocalDateTimeField(label=_("Starts"))
    end = LocalDateTimeField(label=_("Ends"))
    registration_opens_at = LocalDateTimeField(
        label=_("Registration opens"), required=False,
        help_text=_("Leave empty to open it now."),
    )  # fmt: skip
    registration_closes_at = LocalDateTimeField(
        label=_("Registration closes"), required=False,
        help_text=_("Leave empty to close it when the event starts."),
    )  # fmt: skip
    tags_text = forms.CharField(
        label=_("Tags"), required=False, max_length=600,
        help_text=_("Separated by commas: digital, garden, repair…"),
    )  # fmt: skip
    questions_text = forms.CharField(
        label=_("Questions to registrants"), required=False, max_length=2500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; end a line with * when an answer is required."),
    )  # fmt: skip
    publish = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Event.Status.DRAFT, _("Draft: only the organisers see it")),
            (Event.Status.PUBLISHED, _("Published: everyone sees it")),
        ],
        initial=Event.Status.PUBLISHED,
        widget=forms.RadioSelect,
    )
    repeat = forms.ChoiceField(
        label=_("Repeats"),
        choices=[("", _("Only once")), *list(EventSeries.Frequency.choices)],
        required=False,
        widget=forms.RadioSelect,
    )
    occurrences = forms.IntegerField(
        label=_("Number of dates"), min_value=2, max_value=MAX_OCCURRENCES, required=False,
        help_text=_("In all, this one included (2 to %(max)s).") % {"max": MAX_OCCURRENCES},
    )  # fmt: skip
    skip_conflicts = forms.BooleanField(
        label=_("Skip the dates when the room is taken"), required=False,
        help_text=_("Otherwise nothing is created if one date cannot be used."),
    )  # fmt: skip
    scope = forms.ChoiceField(
        label=_("Apply the changes to"),
        choices=[
            (SCOPE_THIS, _("This date only")),
            (SCOPE_FOLLOWING, _("This date and the following ones")),
            (SCOPE_ALL, _("All the dates of the series")),
        ],
        initial=SCOPE_THIS,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Event
        fields = [
            "title", "kind", "summary", "description", "start", "end", "image", "image_alt",
            "audience", "accessibility", "price_mode", "price_amount", "online_url",
            "location", "room", "registration_open", "capacity", "registration_opens_at",
            "registration_closes_at", "max_seats_per_registration", "waitlist_enabled",
            "offer_hours", "rides_enabled",
        ]  # fmt: skip
        formfield_callback = https_urls
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "accessibility": forms.Textarea(attrs={"rows": 3}),
            "image": forms.ClearableFileInput(attrs={"accept": "image/*"}),
        }
        help_texts = {
            "description": _("Markdown: **bold**, *italic*, lists, [links](https://…)."),
            "price_amount": _("For a suggested or fixed price."),
            "room": _("The room is held in the bookings for the event's time."),
        }

    def __init__(
        self,
        *args: Any,
        place: Place | None,
        creating: bool,
        in_series: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.place = place
        self.tz = place.tz if place is not None else self.instance.tz
        set_clock(
            self, self.tz, ["start", "end", "registration_opens_at", "registration_closes_at"]
        )
        self.fields["image"].validators.append(validate_image_size)
        if place is None:
            del self.fields["room"]
        else:
            self.fields["room"] = RoomField(
                queryset=room_choices(place), required=False, label=_("Room"),
                empty_label=_("No room to hold"), help_text=self.Meta.help_texts["room"],
            )  # fmt: skip
        if creating:
            del self.fields["scope"]
        else:
            for name in ("publish", "repeat", "occurrences", "skip_conflicts"):
                del self.fields[name]
            if not in_series:
                del self.fields["scope"]
            self.fields["tags_text"].initial = ", ".join(
                tag.name for tag in self.instance.tags.all()
            )
            self.fields["questions_text"].initial = questions_text(self.instance.questions)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give the event a title."), code="required")
        return title

    def clean_tags_text(self) -> list[str]:
        tags = parse_tags(self.cleaned_data.get("tags_text") or "")
        if len(tags) > MAX_TAGS:
            raise ValidationError(_("%(max)s tags at most.") % {"max": MAX_TAGS}, code="too_many")
        return tags

    def clean_questions_text(self) -> list[dict[str, Any]]:
        return parse_questions(self.cleaned_data.get("questions_text") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        image = data.get("image")
        if image and not (data.get("image_alt") or "").strip():
            self.add_error("image_alt", _("Describe the image for people who cannot see it."))
        mode = data.get("price_mode")
        if (
            mode in (Event.PriceMode.SUGGESTED, Event.PriceMode.FIXED)
            and data.get("price_amount") is None
            and "price_amount" not in self.errors
        ):
            self.add_error("price_amount", _("Give the price."))
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes_at", _("Registration must close after it opens."))
        if closes and end and closes > end:
            self.add_error(
                "registration_closes_at", _("Registration must close before the event ends.")
            )
        if data.get("repeat") and not data.get("occurrences"):
            self.add_error("occurrences", _("Say how many dates in all."))
        # not model fields of the form: set here, before the instance is checked
        if "questions_text" in data:
            self.instance.questions = data["questions_text"]
        if data.get("publish"):
            self.instance.status = data["publish"]
        return data

    @property
    def tags(self) -> list[str]:
        return list(self.cleaned_data.get("tags_text") or [])


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The registrants receive this reason by e-mail; it is shown on the page."),
    )  # fmt: skip
    scope = forms.ChoiceField(
        label=_("Cancel"),
        choices=[
            ("this", _("This date only")),
            ("following", _("This date and the following ones")),
        ],
        initial="this",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, in_series: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not in_series:
            del self.fields["scope"]

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(
                _("Say why the event is cancelled: registrants are told."), code="required"
            )
        return reason


class SessionForm(forms.ModelForm):
    start = LocalDateTimeField(label=_("Starts"))
    end = LocalDateTimeField(label=_("Ends"))

    class Meta:
        model = Session
        fields = [
            "title", "description", "speakers", "track", "start", "end", "room", "room_name",
            "capacity",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "speakers": _("Separated by commas."),
            "track": _("A theme that groups sessions (optional)."),
            "description": _("Markdown: **bold**, *italic*, lists, [links](https://…)."),
        }

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        set_clock(self, event.tz, ["start", "end"])
        if event.place_id is None:
            del self.fields["room"]
        else:
            self.fields["room"] = RoomField(
                queryset=room_choices(event.place), required=False, label=_("Room"),
                empty_label=_("The event's room, or the room named below"),
                help_text=_("Another room than the event's is held in the bookings."),
            )  # fmt: skip

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("Give the session a title."), code="required")
        return title

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", _("The end must be after the start."))
            elif start < self.event.start or end > self.event.end:
                tz = self.event.tz
                self.add_error(
                    "start",
                    _("A session takes place within its event (%(start)s to %(end)s).")
                    % {
                        "start": f"{self.event.start.astimezone(tz):%d/%m/%Y %H:%M}",
                        "end": f"{self.event.end.astimezone(tz):%d/%m/%Y %H:%M}",
                    },
                )
        return data


class FilterForm(forms.Form):
    """The filters of the event lists (GET). A value not understood is reported and
    ignored; the list is still shown."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Event.Kind.choices]
    )
    audience = forms.ChoiceField(
        label=_("For"),
        required=False,
        choices=[("", _("Everyone and all ages")), *Event.Audience.choices],
    )
    tag = forms.SlugField(label=_("Tag"), required=False, max_length=60)
    place = forms.SlugField(label=_("Place"), required=False, max_length=80)
    town = forms.CharField(label=_("Town"), required=False, max_length=120)
    date_from = forms.DateField(
        label=_("From"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip
    date_to = forms.DateField(
        label=_("Until"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip

    # the query string names (French paths, plain words)
    PARAMS = {"date_from": "du", "date_to": "au"}

    def add_prefix(self, field_name: str) -> str:
        return self.PARAMS.get(field_name, field_name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The last day is before the first one."))
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not dt.date(1900, 1, 1) <= day <= dt.date(9000, 1, 1):
                self.add_error(name, _("This date is out of range."))
        return data

    def values(self) -> dict[str, Any]:
        """The filters that were understood."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name not in self.errors
        }
