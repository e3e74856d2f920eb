"""The site administrators' view of the documentation commons.

Pages are written through the services (each change is a revision), so the admin lists and
searches them, lets an administrator protect a page or move it in a tree, and shows the
revisions read-only: a revision is never changed once written."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tiers.commons.models import Attachment, Comment, Page, PageAlias, PageUse, Revision, Tag


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "licence", "place", "network", "protected", "updated_at"]
    list_filter = ["kind", "licence", "protected"]
    search_fields = ["title", "slug", "summary"]
    raw_id_fields = ["place", "network", "parent", "remixed_from", "created_by"]
    fields = ["title", "slug", "kind", "licence", "place", "network", "parent", "position",
              "protected", "revision_number", "updated_at"]  # fmt: skip
    readonly_fields = ["title", "slug", "kind", "licence", "revision_number", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnly):
    list_display = ["page", "number", "action", "author_name", "created_at", "size", "hidden"]
    list_filter = ["action", "hidden"]
    search_fields = ["page__title", "author_name", "comment"]
    raw_id_fields = ["page", "author", "hidden_by"]
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["page", "topic", "author_name", "created_at", "hidden"]
    list_filter = ["hidden"]
    search_fields = ["page__title", "topic", "body", "author_name"]
    raw_id_fields = ["page", "author"]
    fields = ["page", "author_name", "topic", "body", "hidden"]
    readonly_fields = ["page", "author_name", "topic", "body"]


admin.site.register(Tag, search_fields=["name", "slug"])
admin.site.register(PageAlias, ReadOnly, list_display=["title", "slug", "page"])
admin.site.register(Attachment, ReadOnly, list_display=["name", "page", "content_type", "size"])
admin.site.register(PageUse, ReadOnly, list_display=["page", "place", "created_at"])
