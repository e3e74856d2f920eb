"""Titles and slugs: how a title becomes the key that wiki links and addresses use."""

from __future__ import annotations

from django.utils.text import slugify

from tiers.commons.models import MAX_TITLE

MAX_SLUG = 200


def clean_title(title: str) -> str:
    """A title on one line, single-spaced."""
    return " ".join((title or "").split())


def slug_of(title: str) -> str:
    """The key of a title: "Café réparation" and "cafe_Reparation" give "cafe-reparation".

    Underscores count as spaces (as in MediaWiki). A title in a script without Latin letters
    keeps its own letters. Empty when the title has no letter nor digit.
    """
    text = clean_title(title.replace("_", " "))[:MAX_TITLE]
    slug = slugify(text) or slugify(text, allow_unicode=True)
    return slug[:MAX_SLUG].strip("-")
