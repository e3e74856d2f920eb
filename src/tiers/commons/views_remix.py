"""Adapting a page for one's place, and taking pages out of the site: Markdown, a zip archive
with the attachments, a printable view (“PDF” is the browser's print to PDF), QR codes and a
poster to stick on the wall next to what the page documents.

Every page is public, so every export is too; only adapting needs an account and a place.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from tiers.accounts.models import User
from tiers.commons import exports, licences, permissions, services
from tiers.commons import facts as facts_module
from tiers.commons import remix as remix_module
from tiers.commons.errors import CommonsError
from tiers.commons.forms_remix import RemixForm
from tiers.commons.models import Page, PageAlias
from tiers.core.ratelimit import RateLimitExceeded

QR_SCALE_DEFAULT = 8
QR_SCALE_MAX = 20
QR_MAX_AGE = 24 * 3600
"""A page's QR code changes only if its address does: browsers and proxies may keep it."""


def _page(request: HttpRequest, slug: str, view: str) -> Page | HttpResponse:
    """The page with this slug, or a redirection to the page an old title now leads to."""
    if "\x00" in slug:  # no column holds one (PostgreSQL refuses it outright)
        raise Http404(_("No page has this address."))
    page = Page.objects.select_related("place", "network").filter(slug=slug).first()
    if page is not None:
        return page
    alias = PageAlias.objects.select_related("page").filter(slug=slug).first()
    if alias is None:
        raise Http404(_("No page has this address."))
    url = reverse(view, args=[alias.page.slug])
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return redirect(url, permanent=True)


# Adapt ---------------------------------------------------------------------------------------


def _flagged(tree: exports.Tree) -> bool:
    return any(licences.is_flagged(page.licence) for page in tree.pages())


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def remix(request: HttpRequest, slug: str) -> HttpResponse:
    found = _page(request, slug, "commons:remix")
    if isinstance(found, HttpResponse):
        return found
    source = found
    user = request.user
    assert isinstance(user, User)
    places = permissions.places_to_write_in(user)
    tree = exports.page_tree(source, limit=remix_module.MAX_REMIX_PAGES + 1)
    children = len(tree.nodes()) - 1
    context: dict[str, Any] = {
        "page": source,
        "licence": licences.info(source.licence),
        "places": places,
        "can_write": permissions.can_comment(user),
        "children": children,
        "flagged": _flagged(tree),
        "source_flagged": licences.is_flagged(source.licence),
    }
    if not places:
        # nowhere to adapt it to: the page says why (and a POST is refused)
        context["form"] = None
        status = 403 if request.method == "POST" else 200
        return render(request, "commons/remix.html", context, status=status)
    form = RemixForm(
        request.POST if request.method == "POST" else None,
        source=source, places=places, children=children, flagged=context["flagged"],
        initial={"place": request.GET.get("lieu") or places[0].slug},
    )  # fmt: skip
    context["form"] = form
    if request.method != "POST":
        return render(request, "commons/remix.html", context)
    if not form.is_valid():
        return render(request, "commons/remix.html", context, status=422)
    try:
        copy = remix_module.remix(user, source, **form.service_arguments())
    except RateLimitExceeded as exc:
        form.add_error(None, str(exc.message))
        response = render(request, "commons/remix.html", context, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except CommonsError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(str(exc.message)) from None
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc.message))
        return render(request, "commons/remix.html", context, status=422)
    copied = copy.children.count()
    messages.success(
        request,
        ngettext(
            "The page is adapted for %(place)s, with a link to its source.",
            "The page and its sub-pages are adapted for %(place)s, with a link to their sources.",
            copied + 1,
        )
        % {"place": copy.place.name if copy.place else ""},
    )
    return redirect(copy.get_absolute_url())


# Markdown and zip ----------------------------------------------------------------------------


@require_safe
def export_markdown(request: HttpRequest, slug: str) -> HttpResponse:
    found = _page(request, slug, "commons:export_markdown")
    if isinstance(found, HttpResponse):
        return found
    text = exports.page_markdown(found)
    response = HttpResponse(text.encode(), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=exports.markdown_filename(found))
        or "attachment"
    )
    return response


@require_safe
def export_zip(request: HttpRequest, slug: str) -> HttpResponseBase:
    found = _page(request, slug, "commons:export_zip")
    if isinstance(found, HttpResponse):
        return found
    children = request.GET.get("arbre", "1") != "0"
    archive = exports.zip_file(found, children=children)
    name = exports.safe_filename(found.slug, fallback="page", max_length=120) + ".zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


# Printable -----------------------------------------------------------------------------------


def _printed(tree: exports.Tree) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    authors = tree.authors()
    for node in tree.nodes():
        page = node.page
        info = exports.PageInfo.of(page, authors[page.pk])
        items.append(
            {
                "page": page,
                "depth": node.depth,
                # sanitised by render (nh3); the title above is h1 for the first page, h2 after
                "html": mark_safe(  # noqa: S308
                    exports.rebase_headings(
                        exports.absolute_links(services.page_html(page)), 2 if not items else 3
                    )
                ),
                "info": info,
                "facts": facts_module.shown(page.kind, page.facts or {}),
                "tags": list(page.tags.all()),
            }
        )
    return items


@require_safe
def printable(request: HttpRequest, slug: str) -> HttpResponse:
    found = _page(request, slug, "commons:print")
    if isinstance(found, HttpResponse):
        return found
    whole = request.GET.get("arbre") == "1"
    tree = exports.page_tree(found, children=whole)
    context = {
        "page": found,
        "items": _printed(tree),
        "whole": whole,
        "truncated": tree.truncated,
        "has_children": whole or found.children.exists(),
    }
    return render(request, "commons/print.html", context)


# QR codes and poster -------------------------------------------------------------------------


def _qr(page: Page) -> segno.QRCode:
    return segno.make(exports.page_url(page), error="m", micro=False)


def _scale(request: HttpRequest) -> int:
    value = request.GET.get("taille", "")
    try:
        scale = int(value)
    except (TypeError, ValueError):
        return QR_SCALE_DEFAULT
    return scale if 1 <= scale <= QR_SCALE_MAX else QR_SCALE_DEFAULT


def _cached(response: HttpResponse, page: Page) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=QR_MAX_AGE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"qr-{exports.safe_filename(page.slug, 'page', 120)}"
        + (".svg" if response["Content-Type"].startswith("image/svg") else ".png"),
    ) or "inline"  # fmt: skip
    return response


@require_safe
def qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    found = _page(request, slug, "commons:qr_svg")
    if isinstance(found, HttpResponse):
        return found
    out = io.BytesIO()
    _qr(found).save(out, kind="svg", scale=_scale(request), light="#fff", xmldecl=True,
                    title=exports.page_url(found))  # fmt: skip
    return _cached(HttpResponse(out.getvalue(), content_type="image/svg+xml"), found)


@require_safe
def qr_png(request: HttpRequest, slug: str) -> HttpResponse:
    found = _page(request, slug, "commons:qr_png")
    if isinstance(found, HttpResponse):
        return found
    out = io.BytesIO()
    _qr(found).save(out, kind="png", scale=_scale(request))
    return _cached(HttpResponse(out.getvalue(), content_type="image/png"), found)


@require_safe
def poster(request: HttpRequest, slug: str) -> HttpResponse:
    found = _page(request, slug, "commons:poster")
    if isinstance(found, HttpResponse):
        return found
    qr = _qr(found)
    # The SVG is drawn by segno from the address only (no text of the page goes in it).
    svg = qr.svg_inline(scale=1, omitsize=True, light="#fff", svgclass="poster-qr-code")
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    context = {
        "page": found,
        "qr_svg": mark_safe(svg),  # noqa: S308
        "url": exports.page_url(found),
        "short_url": exports.short_url(found),
        "licence": licences.info(found.licence),
        "owner": found.owner,
    }
    return render(request, "commons/poster.html", context)
