"""The documentation commons: pages, their immutable revisions, links, tags, attachments,
discussions, watchlists, and the places that use a commons.

A page belongs to a place, to a network, or to nobody (the whole commons). Titles are unique
across the commons once turned into a slug, so that a wiki link `[[Titre]]` names exactly one
page; old titles and imported redirects stay as aliases.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiers.commons.facts import Kind
from tiers.commons.licences import DEFAULT as DEFAULT_LICENCE
from tiers.commons.licences import Licence
from tiers.places.models import Network, Place

MAX_TITLE = 200
MAX_BODY = 500_000
"""Characters of Markdown in a page's body (a long guide is ~50,000)."""


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("short name in the address"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class PageQuerySet(models.QuerySet["Page"]):
    def of_place(self, place: Place) -> PageQuerySet:
        return self.filter(place=place)

    def of_network(self, network: Network) -> PageQuerySet:
        return self.filter(network=network)

    def of_commons(self) -> PageQuerySet:
        return self.filter(place__isnull=True, network__isnull=True)


class Page(models.Model):
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    slug = models.SlugField(_("short name in the address"), max_length=220, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PAGE)
    licence = models.CharField(
        _("licence"), max_length=20, choices=Licence.choices, default=DEFAULT_LICENCE
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="pages", verbose_name=_("tags"))
    place = models.ForeignKey(
        Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="pages",
        verbose_name=_("place"),
    )  # fmt: skip
    network = models.ForeignKey(
        Network, on_delete=models.SET_NULL, null=True, blank=True, related_name="pages",
        verbose_name=_("network"),
    )  # fmt: skip
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
        verbose_name=_("parent page"),
    )  # fmt: skip
    position = models.PositiveIntegerField(_("position"), default=0)
    body = models.TextField(_("text"), blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    current_revision = models.ForeignKey(
        "Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revision_number = models.PositiveIntegerField(_("revision"), default=0)
    html = models.TextField(editable=False, blank=True, default="")
    """The body rendered to sanitised HTML; empty when it must be rendered again (after an
    edit, or when a page it links to appears or goes)."""
    protected = models.BooleanField(
        _("protected"), default=False,
        help_text=_("Only the page's editors (the place's managers, the network's "
                    "coordinators, moderators) may change it."),
    )  # fmt: skip
    remixed_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="adaptations",
        verbose_name=_("adapted from"),
    )  # fmt: skip
    attribution = models.JSONField(default=dict, blank=True, editable=False)
    """For an adaptation: the source's title, address, licence, revision and authors, kept
    even if the source changes or goes."""
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last change"), default=timezone.now, db_index=True)
    import_key = models.CharField(max_length=200, blank=True, editable=False)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        constraints = [
            models.CheckConstraint(
                condition=Q(place__isnull=True) | Q(network__isnull=True),
                name="page_one_owner",
            ),
            models.UniqueConstraint(
                fields=["import_key"], condition=~Q(import_key=""), name="page_import_key"
            ),
        ]
        indexes = [
            models.Index(fields=["place", "parent", "position"], name="page_place_tree"),
            models.Index(fields=["network", "parent", "position"], name="page_network_tree"),
            models.Index(fields=["kind", "title"], name="page_kind_title"),
            models.Index(fields=["title", "id"], name="page_title"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("commons:page", args=[self.slug])

    def ancestors(self, limit: int = 30) -> list[Page]:
        """The page's parents, the highest first (for the breadcrumbs): titles and slugs,
        three levels a query, at most `limit`, whatever loop the data may hold."""
        chain: list[Page] = []
        seen = {self.pk}
        parent_id = self.parent_id
        while parent_id is not None and parent_id not in seen and len(chain) < limit:
            parent = (
                Page.objects.select_related("parent__parent")
                .only(*(f"{'parent__' * depth}{name}" for depth in range(3)
                        for name in ("title", "slug", "parent")))
                .filter(pk=parent_id)
                .first()
            )  # fmt: skip
            for level in range(3):
                if parent is None or parent.pk in seen or len(chain) >= limit:
                    parent_id = None
                    break
                chain.append(parent)
                seen.add(parent.pk)
                parent_id = parent.parent_id
                if parent_id is None or level == 2:
                    break  # the next query starts from parent_id
                parent = parent.parent
        return chain[::-1]

    @property
    def owner(self) -> Place | Network | None:
        return self.place or self.network


class Revision(models.Model):
    """One save of a page. Never changed once written: a revert is a new revision with the old
    content; a moderator may only hide one (`hidden`), never rewrite it."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        EDIT = "edit", _("edited")
        REVERT = "revert", _("reverted")
        ROLLBACK = "rollback", _("rolled back")
        REMIX = "remix", _("adapted")
        IMPORT = "import", _("imported")

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.EDIT)
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PAGE)
    licence = models.CharField(_("licence"), max_length=20, choices=Licence.choices)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    body = models.TextField(_("text"), blank=True)
    comment = models.CharField(_("edit summary"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="page_revisions", verbose_name=_("author"),
    )  # fmt: skip
    author_name = models.CharField(_("author"), max_length=150, blank=True)
    """The name shown: the author's name at the time, or the user name in an imported wiki."""
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    size = models.PositiveIntegerField(_("size"), default=0)
    size_delta = models.IntegerField(_("size change"), default=0)
    reverted_to = models.PositiveIntegerField(null=True, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    import_key = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="revision_page_number"),
            models.UniqueConstraint(
                fields=["import_key"], condition=~Q(import_key=""), name="revision_import_key"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="revision_recent"),
            models.Index(fields=["author", "-created_at"], name="revision_author"),
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A revision is never changed once written.")
        super().save(*args, **kwargs)


class PageAlias(models.Model):
    """Another title that leads to a page: an old title, or an imported redirect."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="aliases")
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    slug = models.SlugField(max_length=220, unique=True)

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")

    def __str__(self) -> str:
        return self.title


class PageLink(models.Model):
    """A wiki link from a page's current text to a title; `target` is empty while no page
    has that title (a wanted page)."""

    source = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="links")
    target_slug = models.SlugField(max_length=220)
    target_title = models.CharField(max_length=MAX_TITLE)
    target = models.ForeignKey(
        Page, on_delete=models.SET_NULL, null=True, blank=True, related_name="backlinks"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target_slug"], name="pagelink_unique")
        ]
        indexes = [models.Index(fields=["target_slug"], name="pagelink_target_slug")]

    def __str__(self) -> str:
        return self.target_title


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"commons/{instance.page_id}/{secrets.token_hex(4)}-{filename}"


class Attachment(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=150)
    """The name used in the text: `[[Fichier:name]]`."""
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt = models.CharField(_("description of the image"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(fields=["page", "name"], name="attachment_page_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Comment(models.Model):
    """A message in a page's discussion."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="page_comments",
    )  # fmt: skip
    author_name = models.CharField(_("author"), max_length=150, blank=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    body = models.TextField(_("message"), max_length=20_000)
    created_at = models.DateTimeField(default=timezone.now)
    hidden = models.BooleanField(_("hidden"), default=False)
    import_key = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["import_key"], condition=~Q(import_key=""), name="comment_import_key"
            )
        ]

    def __str__(self) -> str:
        return self.topic or self.body[:60]


class Watch(models.Model):
    """A person follows a page. One e-mail per change until they look at the page again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="page_watches"
    )
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="watches")
    email = models.BooleanField(_("e-mail me the changes"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="watch_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.page_id}"


class FeedKey(models.Model):
    """The secret in the address of a person's watchlist feed; replaced on demand."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commons_feed_key"
    )
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.user_id)

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(24)


class PageUse(models.Model):
    """A place says it uses a commons (shown on its "fiche commun")."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="uses")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="commons_used")
    note = models.CharField(_("how we use it"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["place__name"]
        constraints = [models.UniqueConstraint(fields=["page", "place"], name="pageuse_unique")]

    def __str__(self) -> str:
        return f"{self.place_id} → {self.page_id}"
