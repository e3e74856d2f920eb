"""Files attached to a page: images shown inline (`[[Fichier:plan.png|description]]`) and
documents offered for download.

A file is accepted for what it is, not for what its name says: its extension names the type
the person meant, and its content must be of that type (an image must open as that image, a
PDF must start like a PDF, a text must be UTF-8, an office document must be the right kind of
zip). SVG is refused: it can carry scripts. Whatever is accepted is served with its checked
type, `nosniff`, and as a download unless it is an image.
"""

from __future__ import annotations

import os
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import User
from tiers.commons import permissions, services
from tiers.commons.errors import CommonsError
from tiers.commons.models import Attachment, Page

MAX_NAME = 120
MAX_PIXELS = 60_000_000
"""An image larger than this (say 8000 x 7500) is refused before it is decoded."""

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
TEXT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
ODF_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
OOXML_TYPES = {
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "word/document.xml",
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xl/workbook.xml",
    ),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ppt/presentation.xml",
    ),
}
IMAGE_EXTENSIONS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
ALLOWED_EXTENSIONS = sorted(
    {*IMAGE_EXTENSIONS, "pdf", "markdown", *TEXT_TYPES, *ODF_TYPES, *OOXML_TYPES}
)


@dataclass(frozen=True)
class Checked:
    content_type: str
    width: int | None = None
    height: int | None = None


def _refuse(message: Any, code: str) -> CommonsError:
    return CommonsError(message, code=code, field="file")


def max_bytes() -> int:
    return int(settings.COMMONS_ATTACHMENT_MAX_MB) * 1024 * 1024


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def clean_name(name: str) -> str:
    """A safe file name: no folder, ASCII letters, digits, `-`, `_` and one `.extension`."""
    base = os.path.basename((name or "").replace("\\", "/"))
    stem, ext = os.path.splitext(base)
    ext = slugify(ext.lstrip("."))[:10].replace("-", "")
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = slugify(stem)[: MAX_NAME - 11].strip("-_") or "fichier"
    return f"{stem}.{ext}" if ext else stem


def unique_name(page: Page, name: str) -> str:
    """`plan.png`, else `plan-2.png`, `plan-3.png`… among the page's attachments."""
    taken = {n.lower() for n in Attachment.objects.filter(page=page).values_list("name", flat=True)}
    if name.lower() not in taken:
        return name
    stem, ext = os.path.splitext(name)
    number = 2
    while f"{stem}-{number}{ext}".lower() in taken:
        number += 1
    return f"{stem}-{number}{ext}"


def _head(file: IO[bytes], size: int) -> bytes:
    file.seek(0)
    data = file.read(size)
    file.seek(0)
    return data


def _check_image(file: IO[bytes], expected: str) -> Checked:
    from PIL import Image

    wrong = _refuse(
        _("This file is not a valid %(type)s image.") % {"type": expected}, "invalid_content"
    )
    try:
        file.seek(0)
        with Image.open(file) as image:
            found, (width, height) = image.format, image.size
            if width * height > MAX_PIXELS:
                raise _refuse(
                    _("This image is too large (%(width)d x %(height)d pixels).")
                    % {"width": width, "height": height},
                    "too_large",
                )
            image.verify()
    except CommonsError:
        raise
    except Exception:  # Pillow raises many kinds of errors on a broken or fake image
        raise wrong from None
    finally:
        file.seek(0)
    if found != expected:
        raise wrong
    return Checked(IMAGE_FORMATS[found], width, height)


def _check_text(file: IO[bytes], ext: str) -> Checked:
    file.seek(0)
    data = file.read()
    file.seek(0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(_("A text file must be encoded in UTF-8."), "invalid_content") from None
    if "\x00" in text:
        raise _refuse(_("This file is not a text file."), "invalid_content")
    return Checked(TEXT_TYPES["md" if ext == "markdown" else ext])


def _check_office(file: IO[bytes], ext: str) -> Checked:
    wrong = _refuse(
        _("This file is not a valid .%(ext)s document.") % {"ext": ext}, "invalid_content"
    )
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if ext in ODF_TYPES:
                if "mimetype" not in names:
                    raise wrong
                mimetype = archive.read("mimetype")[:200].decode("ascii", "replace").strip()
                if mimetype != ODF_TYPES[ext]:
                    raise wrong
                return Checked(ODF_TYPES[ext])
            content_type, main_part = OOXML_TYPES[ext]
            if "[Content_Types].xml" not in names or main_part not in names:
                raise wrong
            return Checked(content_type)
    except CommonsError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        raise wrong from None
    finally:
        file.seek(0)


def check_file(file: IO[bytes], name: str, size: int) -> Checked:
    """The checked type of an uploaded file, or CommonsError (field "file") saying why not."""
    ext = extension(name)
    if size <= 0:
        raise _refuse(_("This file is empty."), "empty")
    if size > max_bytes():
        raise _refuse(
            _("This file is too large: at most %(max)d MB.")
            % {"max": settings.COMMONS_ATTACHMENT_MAX_MB},
            "too_large",
        )
    if ext == "svg" or ext == "svgz":
        raise _refuse(
            _("SVG images are not accepted (they may contain scripts): export it as PNG."),
            "type_refused",
        )
    if ext in IMAGE_EXTENSIONS:
        return _check_image(file, IMAGE_EXTENSIONS[ext])
    if ext == "pdf":
        if not _head(file, 5).startswith(b"%PDF-"):
            raise _refuse(_("This file is not a valid PDF document."), "invalid_content")
        return Checked("application/pdf")
    if ext in TEXT_TYPES or ext == "markdown":
        return _check_text(file, ext)
    if ext in ODF_TYPES or ext in OOXML_TYPES:
        return _check_office(file, ext)
    raise _refuse(
        _("This type of file is not accepted. Accepted: %(types)s.")
        % {"types": ", ".join(ALLOWED_EXTENSIONS)},
        "type_refused",
    )


def attach(user: User, page: Page, uploaded_file: UploadedFile, alt: str = "") -> Attachment:
    """Check and store a file on `page` under a safe name unique to the page (a file counts
    as a change in the rate limit of `services.check_rate`)."""
    if not permissions.can_edit(user, page):
        raise CommonsError(_("You may not add files to this page."), code="forbidden")
    services.check_rate(user)
    alt = " ".join((alt or "").split())
    if "\x00" in alt:
        raise CommonsError(_("The text contains a NUL character."), code="invalid", field="alt")
    if len(alt) > 300:
        raise CommonsError(
            _("A description has at most 300 characters."), code="too_long", field="alt"
        )
    name = clean_name(uploaded_file.name or "")
    size = uploaded_file.size or 0
    checked = check_file(uploaded_file, name, size)
    for _attempt in range(5):
        attachment = Attachment(
            page=page, name=unique_name(page, name), content_type=checked.content_type,
            size=size, width=checked.width, height=checked.height, alt=alt,
            uploaded_by=user,
        )  # fmt: skip
        uploaded_file.seek(0)
        attachment.file.save(attachment.name, uploaded_file, save=False)
        try:
            with transaction.atomic():
                attachment.save()
        except IntegrityError:
            # the same name was taken at the same instant: try the next one
            attachment.file.delete(save=False)
            continue
        services.attachments_changed(page)
        return attachment
    raise _refuse(_("The file could not be saved; please try again."), "busy")


def delete_attachment(user: User, page: Page, attachment: Attachment) -> None:
    if not permissions.can_edit(user, page):
        raise CommonsError(_("You may not remove files from this page."), code="forbidden")
    if attachment.page_id != page.pk:
        raise CommonsError(_("This file does not exist."), code="not_found")
    storage, path = attachment.file.storage, attachment.file.name
    attachment.delete()
    services.attachments_changed(page)
    if path:
        transaction.on_commit(lambda: storage.delete(path))
