"""The form of “Adapter ce commun pour mon lieu”. It reads the choices; `remix.remix` checks
the rules (permission, licence, acknowledgement of a non-commercial licence)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tiers.commons import licences
from tiers.commons.models import MAX_TITLE, Page
from tiers.places.models import Place


class RemixForm(forms.Form):
    place = forms.ChoiceField(label=_("Place to adapt it for"))
    title = forms.CharField(
        label=_("Title of the adaptation (optional)"), max_length=MAX_TITLE, required=False,
    )  # fmt: skip
    licence = forms.ChoiceField(label=_("Licence of the adaptation"), widget=forms.RadioSelect)
    include_children = forms.BooleanField(required=False, initial=True)
    acknowledge_restrictions = forms.BooleanField(
        label=_("I have read this limit: the adaptation will not be used for commercial purposes "
                "and stays under the same licence."),
        required=False,
    )  # fmt: skip

    def __init__(self, *args: Any, source: Page, places: list[Place], children: int,
                 flagged: bool, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.source = source
        self.places = {place.slug: place for place in places}
        place_field = self.fields["place"]
        assert isinstance(place_field, forms.ChoiceField)
        place_field.choices = [(place.slug, place.name) for place in places]
        # Django shows help texts as HTML: the title (anyone's text) is escaped here.
        self.fields["title"].help_text = format_html(
            "{}",
            _("Leave empty to name it “%(title)s (name of the place)”.") % {"title": source.title},
        )
        allowed = licences.adaptation_licences(source.licence)
        self.fixed_licence = licences.info(allowed[0]) if len(allowed) == 1 else None
        if self.fixed_licence is not None:
            del self.fields["licence"]
        else:
            licence_field = self.fields["licence"]
            assert isinstance(licence_field, forms.ChoiceField)
            licence_field.choices = [(code, licences.info(code).name) for code in allowed]
            self.fields["licence"].initial = source.licence
        if children:
            self.fields["include_children"].label = ngettext_lazy(
                "Also adapt its sub-page", "Also adapt its %(count)d sub-pages", children
            ) % {"count": children}
        else:
            del self.fields["include_children"]
        if not flagged:
            del self.fields["acknowledge_restrictions"]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "place": self.places[data["place"]],
            "title": data.get("title") or "",
            "licence": self.fixed_licence.code if self.fixed_licence else data["licence"],
            "include_children": bool(data.get("include_children")),
            "acknowledge_restrictions": bool(data.get("acknowledge_restrictions")),
        }
