"""Errors of the documentation commons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from tiers.core.errors import DomainError

if TYPE_CHECKING:
    from tiers.commons.models import Page, Revision


class CommonsError(DomainError):
    """A rule of the commons refused the action; `field` names the input at fault, if any."""

    def __init__(self, message: object, *, code: str | None = None, field: str = "") -> None:
        super().__init__(message, code=code)  # type: ignore[arg-type]
        self.field = field


class EditConflict(CommonsError):
    """The page changed since the revision the edit started from. Nothing was saved: the
    editor is shown their text, the current one, and a merge of both."""

    def __init__(self, page: Page, current: Revision, base: int) -> None:
        super().__init__(
            _("This page was changed by someone else while you were editing it."),
            code="edit_conflict",
        )
        self.page = page
        self.current = current
        self.base = base
