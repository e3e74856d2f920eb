"""Small filters for the history pages: a size change with its sign, and its class."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

MINUS = "\u2212"


def size_text(delta: int) -> str:
    """The size change with its sign ("+12 bytes", a true minus sign for a loss), or "same
    size": the sign tells the change without relying on colour."""
    if delta == 0:
        return _("same size")
    signed = f"+{delta}" if delta > 0 else f"{MINUS}{-delta}"
    return ngettext("%(delta)s byte", "%(delta)s bytes", abs(delta)) % {"delta": signed}


@register.filter
def size_change(delta: int | None) -> str:
    return size_text(int(delta or 0))


@register.filter
def size_class(delta: int | None) -> str:
    delta = int(delta or 0)
    return "size-up" if delta > 0 else "size-down" if delta < 0 else "size-same"
