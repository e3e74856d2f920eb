"""“Adapter ce commun pour mon lieu”: copy a page (and, if asked, its sub-pages) into a place,
as new pages that keep a link to their source, its authors and its licence's obligations.

Licence rules (see `licences`): a share-alike page's copy keeps its licence; a permissive
page's copy may take any licence that `licences.adaptation_licences` allows; a non-commercial
page is copied only once the adapter has acknowledged its limits. Each sub-page follows the
same rules on its own licence: a share-alike sub-page keeps it whatever the adapter chose.

Each copy records in `attribution` what its source was at that moment (title, address,
licence, revision, authors, owner, date), and the sources before it (`chain`) when the source
was itself an adaptation. Everything is written in one transaction: when one copy cannot be
made (its title is taken, say), no page is created and no file is left behind.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiers.accounts.models import User
from tiers.commons import exports, licences, permissions, services
from tiers.commons.errors import CommonsError
from tiers.commons.models import MAX_TITLE, Attachment, Page, Revision
from tiers.commons.services import PageData
from tiers.commons.text import clean_title
from tiers.places.models import Place

logger = logging.getLogger(__name__)

MAX_REMIX_PAGES = 100
"""Pages copied in one adaptation (the page and its sub-pages)."""

MAX_CHAIN = 20
"""Earlier sources kept in an adaptation's attribution."""


def default_title(title: str, place: Place) -> str:
    """“<title> (<place name>)”, the title shortened (never the place's name) to fit."""
    suffix = f" ({clean_title(place.name)})"
    if len(title) + len(suffix) <= MAX_TITLE:
        return title + suffix
    room = MAX_TITLE - len(suffix) - 1
    if room < 10:
        return title[:MAX_TITLE]
    return title[:room].rstrip() + "…" + suffix


def allowed_licences(source: Page) -> list[str]:
    return licences.adaptation_licences(source.licence)


def licence_for_copy(page: Page, chosen: str) -> str:
    """The licence of `page`'s copy when the adapter chose `chosen`: the choice where the
    page's licence allows it, the page's own licence otherwise (share-alike)."""
    return chosen if chosen in licences.adaptation_licences(page.licence) else page.licence


def _owner(page: Page) -> dict[str, str]:
    if page.place_id is not None:
        assert page.place is not None
        return {"owner": page.place.name, "owner_kind": "place", "owner_slug": page.place.slug}
    if page.network_id is not None:
        assert page.network is not None
        return {
            "owner": page.network.name, "owner_kind": "network",
            "owner_slug": page.network.slug,
        }  # fmt: skip
    return {"owner": "", "owner_kind": "commons", "owner_slug": ""}


def attribution_of(source: Page) -> dict[str, Any]:
    """What an adaptation keeps of its source, even if the source changes or goes.

    Keys: title, slug, path (the address on this site, without scheme nor host), licence
    (code), licence_name, licence_url, revision, authors (names), owner (name of the place or
    network, empty for the whole commons), owner_kind (place, network, commons),
    owner_slug, date (of the adaptation, YYYY-MM-DD), chain (the source's own sources, the
    nearest first; absent when there are none)."""
    licence = licences.info(source.licence)
    attribution: dict[str, Any] = {
        "title": source.title,
        "slug": source.slug,
        "path": source.get_absolute_url(),
        "licence": licence.code,
        "licence_name": licence.name,
        "licence_url": licence.url,
        "revision": source.revision_number,
        "authors": services.authors(source),
        **_owner(source),
        "date": timezone.localdate().isoformat(),
    }
    earlier = source.attribution or {}
    if earlier.get("title"):
        chain = [{key: value for key, value in earlier.items() if key != "chain"}]
        chain += [item for item in earlier.get("chain") or [] if isinstance(item, dict)]
        attribution["chain"] = chain[:MAX_CHAIN]
    return attribution


def _licence_refusal(page: Page, chosen: str) -> CommonsError | None:
    if chosen not in licences.Licence.values:
        return CommonsError(
            gettext_lazy("Unknown licence."), code="invalid_licence", field="licence"
        )
    if chosen in licences.adaptation_licences(page.licence):
        return None
    source = licences.info(page.licence)
    if source.share_alike:
        message = gettext_lazy(
            "This page is under %(licence)s: its adaptations stay under %(licence)s "
            "(share-alike). It cannot be adapted under another licence."
        ) % {"licence": source.name}
    else:
        message = gettext_lazy(
            "This page is under %(licence)s, which asks to credit its authors: its adaptations "
            "cannot be placed under %(chosen)s."
        ) % {"licence": source.name, "chosen": licences.info(chosen).name}
    return CommonsError(message, code="licence_incompatible", field="licence")


def restrictions_message(page: Page, *, sub_page: bool = False) -> Any:
    licence = licences.info(page.licence)
    if sub_page:
        return gettext_lazy(
            "The sub-page “%(title)s” is under %(licence)s: it may not be used for commercial "
            "purposes, and its adaptation stays under the same licence. Confirm that you have "
            "read this limit."
        ) % {"title": page.title, "licence": licence.name}
    return gettext_lazy(
        "This page is under %(licence)s: it may not be used for commercial purposes, and its "
        "adaptation stays under the same licence. Confirm that you have read this limit."
    ) % {"licence": licence.name}


def _copy_attachments(source: Page, copy: Page, user: User, saved: list[Attachment]) -> None:
    """New files in the storage for the copy (never shared with the source: deleting one
    page's file must not break the other)."""
    copied = False
    for original in source.attachments.all():
        try:
            handle = original.file.open("rb")
        except Exception:  # a lost file must not stop the adaptation
            logger.warning("attachment %s cannot be read; not copied", original.pk)
            continue
        attachment = Attachment(
            page=copy, name=original.name, content_type=original.content_type,
            size=original.size, width=original.width, height=original.height,
            alt=original.alt, uploaded_by=user,
        )  # fmt: skip
        with handle:
            attachment.file.save(exports.safe_filename(original.name), File(handle), save=False)
        saved.append(attachment)
        attachment.save()
        copied = True
    if copied:
        services.attachments_changed(copy)


def remix(
    user: User, source: Page, place: Place, *, title: str = "", licence: str = "",
    include_children: bool = False, acknowledge_restrictions: bool = False,
) -> Page:  # fmt: skip
    """Adapt `source` (and its sub-pages if `include_children`) into `place`; returns the
    copy of `source`. `title` empty gives “<source title> (<place name>)”; `licence` empty
    keeps the source's."""
    if not permissions.can_write_in(user, place):
        raise CommonsError(
            gettext_lazy("You may not create pages in this place."), code="forbidden"
        )
    services.check_rate(user)
    chosen = licence or source.licence
    refusal = _licence_refusal(source, chosen)
    if refusal is not None:
        raise refusal
    tree = exports.page_tree(source, limit=MAX_REMIX_PAGES, children=include_children)
    if tree.truncated:
        raise CommonsError(
            gettext_lazy(
                "This page has too many sub-pages to be adapted at once (at most %(max)d pages)."
            ) % {"max": MAX_REMIX_PAGES},
            code="too_many_pages", field="include_children",
        )  # fmt: skip
    if not acknowledge_restrictions:
        for node in tree.nodes():
            if licences.is_flagged(node.page.licence):
                raise CommonsError(
                    restrictions_message(node.page, sub_page=node is not tree.root),
                    code="licence_restrictions", field="acknowledge_restrictions",
                )  # fmt: skip

    root_title = clean_title(title) or default_title(source.title, place)
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            copies: dict[int, Page] = {}
            for node in tree.nodes():
                page = node.page
                is_root = node is tree.root
                data = PageData.of_page(
                    page,
                    comment=_("Adapted from “%(title)s” (revision %(number)d)")
                    % {"title": page.title, "number": page.revision_number},
                )
                data.title = root_title if is_root else default_title(page.title, place)
                data.licence = chosen if is_root else licence_for_copy(page, chosen)
                parent = None if is_root else copies[page.parent_id or 0]
                try:
                    copy = services.create_page(
                        user, data, place=place, parent=parent, action=Revision.Action.REMIX,
                        remixed_from=page, attribution=attribution_of(page), check=False,
                    )  # fmt: skip
                except CommonsError as exc:
                    if is_root:
                        raise
                    raise CommonsError(
                        gettext_lazy("The sub-page “%(title)s” cannot be copied: %(error)s")
                        % {"title": page.title, "error": exc.message},
                        code=exc.code, field="include_children",
                    ) from exc  # fmt: skip
                copies[page.pk] = copy
                _copy_attachments(page, copy, user, saved)
    except BaseException:
        for attachment in saved:
            try:
                attachment.file.storage.delete(attachment.file.name)
            except Exception:
                logger.warning("copied file %s could not be removed", attachment.file.name)
        raise
    root = copies[source.pk]
    services.watch(user, root)
    return root


def adapted_by(page: Page) -> list[Place]:
    """The places that adapted `page` (each once), by name."""
    return list(
        Place.objects.filter(pages__remixed_from=page).distinct().order_by("name")
    )  # fmt: skip
