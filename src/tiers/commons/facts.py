"""Structured facts per kind of page: a few optional fields shown as a box beside the text.

Nothing is required: a page without facts is a page. Facts are kept in each revision, so they
have history like the text. A "fiche commun" also lists the places that use the commons
(`PageUse` rows, not a fact typed by hand).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiers.core.errors import DomainError


class Kind(models.TextChoices):
    RECIPE = "recette", _("Recipe / social code")
    COMMONS = "commun", _("Commons sheet")
    PLACE = "fiche-lieu", _("Tiers-lieu sheet")
    GUIDE = "guide", _("Guide")
    MINUTES = "compte-rendu", _("Minutes")
    PAGE = "page", _("Page")


@dataclass(frozen=True)
class Fact:
    name: str
    label: Promise
    type: str  # "lines" (one item per line), "text" (one line) or "date"
    help: Promise | str = ""


FACTS: dict[str, list[Fact]] = {
    Kind.RECIPE: [
        Fact("needs", _("What you need"), "lines", _("One item per line.")),
        Fact("steps", _("Steps"), "lines", _("One step per line, in order.")),
        Fact("duration", _("Time it takes"), "text"),
        Fact("people", _("Who it takes"), "text"),
    ],
    Kind.COMMONS: [
        Fact("maintainers", _("Who looks after it"), "text"),
        Fact("where", _("Where to find it"), "text", _("An address on the web or a place.")),
    ],
    Kind.PLACE: [
        Fact("opened", _("Opened in"), "text"),
        Fact("legal_form", _("Legal form"), "text"),
        Fact("area", _("Area"), "text"),
        Fact("economic_model", _("Economic model"), "text"),
    ],
    Kind.GUIDE: [
        Fact("audience", _("For whom"), "text"),
        Fact("level", _("Level"), "text"),
    ],
    Kind.MINUTES: [
        Fact("date", _("Date of the meeting"), "date"),
        Fact("participants", _("Participants"), "lines", _("One name per line.")),
        Fact("decisions", _("Decisions"), "lines", _("One decision per line.")),
    ],
    Kind.PAGE: [],
}

MAX_LINES = 100
MAX_LENGTH = 300


def fields_for(kind: str) -> list[Fact]:
    return FACTS.get(kind, [])


def clean(kind: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """The facts of `kind` found in `data`, trimmed; empty ones dropped, unknown ones ignored.
    "lines" facts accept a list or a text with one item per line."""
    cleaned: dict[str, Any] = {}
    for fact in fields_for(kind):
        value = (data or {}).get(fact.name)
        if value in (None, "", []):
            continue
        if fact.type == "lines":
            items = value.splitlines() if isinstance(value, str) else value
            if not isinstance(items, list):
                raise DomainError(_("“%(fact)s” must be a list.") % {"fact": fact.label},
                                  code="invalid_facts")  # fmt: skip
            lines = [str(item).strip() for item in items if str(item).strip()]
            if len(lines) > MAX_LINES or any(len(line) > MAX_LENGTH for line in lines):
                raise DomainError(
                    _("“%(fact)s”: at most %(lines)d lines of %(length)d characters.")
                    % {"fact": fact.label, "lines": MAX_LINES, "length": MAX_LENGTH},
                    code="invalid_facts",
                )
            if lines:
                cleaned[fact.name] = lines
        elif fact.type == "date":
            try:
                day = datetime.date.fromisoformat(str(value).strip())
            except ValueError:
                raise DomainError(
                    _("“%(fact)s” must be a date (YYYY-MM-DD).") % {"fact": fact.label},
                    code="invalid_facts",
                ) from None
            cleaned[fact.name] = day.isoformat()
        else:
            text = " ".join(str(value).split())
            if len(text) > MAX_LENGTH:
                raise DomainError(
                    _("“%(fact)s”: at most %(length)d characters.")
                    % {"fact": fact.label, "length": MAX_LENGTH},
                    code="invalid_facts",
                )
            if text:
                cleaned[fact.name] = text
    return cleaned


def shown(kind: str, facts: dict[str, Any]) -> list[tuple[Fact, Any]]:
    """(fact, value) pairs to show, in the kind's order."""
    return [(fact, facts[fact.name]) for fact in fields_for(kind) if facts.get(fact.name)]
