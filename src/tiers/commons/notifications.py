"""E-mails to the people who watch a page (filled in below)."""

from __future__ import annotations


def page_changed(revision_id: int) -> None:
    """Tell the page's watchers (not its author) that it changed."""


def comment_added(comment_id: int) -> None:
    """Tell the page's watchers (not the message's author) about a new message."""
