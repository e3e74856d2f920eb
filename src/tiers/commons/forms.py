"""The forms of the commons: a page (create and edit, with its facts), a discussion message,
an attachment. Forms read what a person typed; the rules are the services' (`clean`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tiers.commons import facts as facts_module
from tiers.commons import licences
from tiers.commons.facts import Kind
from tiers.commons.merge import has_markers
from tiers.commons.models import MAX_TITLE, Page
from tiers.commons.services import MAX_COMMENT, PageData
from tiers.commons.text import slug_of
from tiers.places.models import Network, Place

MAX_TAGS_TEXT = 2_000
MAX_PARENT_CHOICES = 500
"""Above this many pages of the same owner, the parent is typed by its title."""

BODY_HELP = _(
    "Markdown: **bold**, *italics*, # Heading, - lists, | tables |. "
    "Links to other pages: [[Title]] or [[Title|text shown]]; a page that does not exist yet "
    "shows as a page to create. Files of the page: [[Fichier:plan.png|description]]. "
    "Footnotes: text[^1] then [^1]: the note. Task lists: - [ ] to do, - [x] done."
)


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, single-spaced, empty ones dropped (the service checks the rest)."""
    return [" ".join(name.split()) for name in (text or "").split(",") if name.strip()]


def fact_field_name(kind: str, name: str) -> str:
    return f"fact_{kind}_{name}".replace("-", "_")


def licence_choices() -> list[tuple[str, str]]:
    return [(code, f"{info.name} — {info.long_name}") for code, info in licences.INFO.items()]


class ParentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


class PageForm(forms.Form):
    """A page's content. `owner_pages` are the pages that may be its parent (same owner);
    `page` is the page edited (None when creating)."""

    title = forms.CharField(
        label=_("Title"), max_length=MAX_TITLE,
        error_messages={"required": _("A page needs a title.")},
    )  # fmt: skip
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=300,
        help_text=_("One sentence shown under the title and in the lists."),
    )  # fmt: skip
    kind = forms.ChoiceField(label=_("Kind of page"), choices=Kind.choices, initial=Kind.PAGE)
    licence = forms.ChoiceField(
        label=_("Licence"), initial=licences.DEFAULT,
        help_text=_("Under which terms others may reuse and adapt the page."),
    )  # fmt: skip
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=MAX_TAGS_TEXT,
        help_text=_("Separated by commas, e.g. governance, concierge."),
    )  # fmt: skip
    body = forms.CharField(
        label=_("Text"), required=False, strip=False, help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 20, "class": "page-body", "spellcheck": "true"}),
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Edit summary"), required=False, max_length=MAX_COMMENT,
        help_text=_("What you changed, in a few words (shown in the history)."),
    )  # fmt: skip
    base = forms.CharField(required=False, widget=forms.HiddenInput)
    merged = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, page: Page | None = None, place: Place | None = None,
        network: Network | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.page = page
        licence = self.fields["licence"]
        assert isinstance(licence, forms.ChoiceField)
        licence.choices = licence_choices()
        owned = Page.objects.filter(place=place, network=network)
        if page is not None:
            owned = owned.exclude(pk=page.pk)
        if place is not None or network is not None:
            owned = owned.only("pk", "title", "slug").order_by("title")
            if owned[: MAX_PARENT_CHOICES + 1].count() <= MAX_PARENT_CHOICES:
                self.fields["parent"] = ParentField(
                    label=_("Parent page"), queryset=owned, required=False,
                    empty_label=_("(none: at the top of the documentation)"),
                    help_text=_("The page is shown under this one in the documentation tree."),
                    error_messages={"invalid_choice": _("Choose a page of the same place or network.")},
                )  # fmt: skip
        if "parent" not in self.fields:
            self.owner_pages = owned
            self.fields["parent"] = forms.CharField(
                label=_("Parent page"), required=False, max_length=MAX_TITLE,
                help_text=_("The title of the page this one belongs under (leave empty for none)."),
            )  # fmt: skip
        self.fact_fields: dict[str, list[str]] = {}
        for kind in Kind.values:
            names = []
            for fact in facts_module.fields_for(kind):
                name = fact_field_name(kind, fact.name)
                common: dict[str, Any] = {
                    "label": fact.label, "help_text": fact.help, "required": False,
                }  # fmt: skip
                if fact.type == "lines":
                    field = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
                elif fact.type == "date":
                    field = forms.CharField(
                        widget=forms.DateInput(attrs={"type": "date"}), max_length=40, **common
                    )
                else:
                    field = forms.CharField(max_length=facts_module.MAX_LENGTH, **common)
                self.fields[name] = field
                names.append(name)
            self.fact_fields[kind] = names

    @classmethod
    def initial_of(cls, data: PageData, *, base: int | None) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": data.title, "summary": data.summary, "kind": data.kind,
            "licence": data.licence, "tags": ", ".join(data.tags), "body": data.body,
            "comment": data.comment, "base": "" if base is None else str(base),
        }  # fmt: skip
        for fact in facts_module.fields_for(data.kind):
            value = data.facts.get(fact.name)
            if value:
                initial[fact_field_name(data.kind, fact.name)] = (
                    "\n".join(value) if isinstance(value, list) else value
                )
        return initial

    def set_parent_initial(self, parent: Page | None) -> None:
        field = self.fields["parent"]
        if isinstance(field, forms.ModelChoiceField):
            self.initial["parent"] = parent.pk if parent else None
        else:
            self.initial["parent"] = parent.title if parent else ""

    def fact_groups(self) -> list[dict[str, Any]]:
        """The facts of each kind, the chosen kind's open, for the template."""
        current = (self.data.get("kind") if self.is_bound else None) or self.initial.get(
            "kind", Kind.PAGE
        )
        return [
            {
                "kind": kind,
                "label": label,
                "open": kind == current,
                "fields": [self[name] for name in self.fact_fields[kind]],
            }
            for kind, label in Kind.choices
            if self.fact_fields[kind]
        ]

    def clean_base(self) -> int | None:
        value = (self.cleaned_data.get("base") or "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 9:
            raise ValidationError(
                _("This form is out of date or damaged: open the page's edit form again."),
                code="invalid_base",
            )
        return int(value)

    def clean_parent(self) -> Page | None:
        value = self.cleaned_data.get("parent")
        if isinstance(value, Page) or value is None:
            return value
        title = " ".join(str(value).split())
        if not title:
            return None
        slug = slug_of(title)
        parent = (
            self.owner_pages.filter(Q(slug=slug) | Q(aliases__slug=slug)).distinct().first()
            if slug
            else None
        )
        if parent is None:
            raise ValidationError(
                _("No page titled “%(title)s” here to put this page under.") % {"title": title},
                code="invalid_parent",
            )
        return parent

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("merged") and has_markers(cleaned.get("body") or ""):
            self.add_error(
                "body",
                _(
                    "The text still holds conflict markers (<<<<<<<, =======, >>>>>>>): keep "
                    "the lines you want and remove the markers."
                ),
            )
        return cleaned

    def page_data(self) -> PageData:
        data = self.cleaned_data
        kind = data["kind"]
        facts = {
            fact.name: data.get(fact_field_name(kind, fact.name)) or ""
            for fact in facts_module.fields_for(kind)
        }
        return PageData(
            title=data["title"], body=data.get("body") or "", summary=data.get("summary") or "",
            kind=kind, licence=data["licence"], tags=parse_tags(data.get("tags") or ""),
            facts=facts, comment=data.get("comment") or "",
        )  # fmt: skip

    def add_service_error(self, field: str, message: Any) -> None:
        """A service's refusal on the field it names (facts and unknown fields: the form)."""
        if field == "facts":
            kind = self.cleaned_data.get("kind") or ""
            names = self.fact_fields.get(kind) or []
            self.add_error(names[0] if len(names) == 1 else None, str(message))
            return
        self.add_error(field if field in self.fields else None, str(message))


class CommentForm(forms.Form):
    topic = forms.CharField(
        label=_("Topic"), required=False, max_length=200,
        help_text=_("Optional: what the message is about."),
    )  # fmt: skip
    body = forms.CharField(
        label=_("Message"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown is accepted."), error_messages={"required": _("Write a message.")},
    )  # fmt: skip


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("Images (PNG, JPEG, GIF, WebP), PDF, text (TXT, CSV, Markdown), "
                    "office documents (ODT, ODS, ODP, DOCX, XLSX, PPTX)."),
        error_messages={"required": _("Choose a file."),
                        "empty": _("This file is empty.")},
    )  # fmt: skip
    alt = forms.CharField(
        label=_("Description of the image"), required=False, max_length=300,
        help_text=_("For people who cannot see it: what the image shows."),
    )  # fmt: skip


class UseForm(forms.Form):
    note = forms.CharField(label=_("How we use it"), required=False, max_length=300)
