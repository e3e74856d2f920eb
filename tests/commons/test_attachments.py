"""Files on a page: the content is checked against the type its name says (a text renamed
.png is refused), sizes are bounded, SVG is refused; images are shown inline in the text,
other files are downloaded; names are made safe and unique per page."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from tiers.commons import services
from tiers.commons.attachments import attach, clean_name, delete_attachment
from tiers.commons.errors import CommonsError
from tiers.commons.models import Attachment, Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def png(
    width: int = 12, height: int = 8, name: str = "plan.png", fmt: str = "PNG"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 60)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def office(name: str, entries: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, content in entries.items():
            archive.writestr(entry, content)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def page(make_page) -> Page:
    return make_page("Atelier", "Le plan : [[Fichier:plan.png|Plan de l'atelier]]")


def refused(user, page, file, code: str) -> str:
    # in English, whatever language an earlier request left active (messages are made then)
    with translation.override("en"), pytest.raises(CommonsError) as caught:
        attach(user, page, file, "")
    assert caught.value.code == code, caught.value.message
    assert not Attachment.objects.filter(page=page).exists()
    return str(caught.value.message)


def test_a_png_is_accepted_with_its_size_and_shown_inline(client_for, member_a, page):
    client_for(None).get(page.get_absolute_url())  # renders (and keeps) the HTML once
    attachment = attach(member_a, page, png(12, 8), "Plan de l'atelier")

    assert (attachment.name, attachment.content_type) == ("plan.png", "image/png")
    assert (attachment.width, attachment.height) == (12, 8)
    assert attachment.uploaded_by == member_a
    text = client_for(None).get(page.get_absolute_url()).content.decode()
    src = reverse("commons:attachment", args=[page.slug, "plan.png"])
    assert f'<img src="{src}" alt="Plan de l\'atelier" width="12" height="8"' in text

    response = client_for(None).get(src)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("fmt,name,content_type", [
    ("JPEG", "photo.jpg", "image/jpeg"), ("GIF", "anim.gif", "image/gif"),
    ("WEBP", "image.webp", "image/webp"),
])  # fmt: skip
def test_other_images(member_a, page, fmt, name, content_type):
    attachment = attach(member_a, page, png(5, 4, name, fmt), "")
    assert attachment.content_type == content_type and attachment.width == 5


def test_a_text_renamed_png_is_refused(member_a, page):
    fake = SimpleUploadedFile("plan.png", b"Hello, I am text", content_type="image/png")
    assert "not a valid PNG image" in refused(member_a, page, fake, "invalid_content")


def test_a_jpeg_named_png_is_refused(member_a, page):
    assert "PNG" in refused(member_a, page, png(name="plan.png", fmt="JPEG"), "invalid_content")


def test_an_exe_is_refused(member_a, page):
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 100)
    assert "not accepted" in refused(member_a, page, exe, "type_refused")


def test_svg_is_refused(member_a, page):
    svg = SimpleUploadedFile(
        "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    assert "SVG" in refused(member_a, page, svg, "type_refused")


def test_too_large_is_refused(member_a, page, settings):
    settings.COMMONS_ATTACHMENT_MAX_MB = 1
    big = SimpleUploadedFile("gros.txt", b"a" * (1024 * 1024 + 1))
    assert "at most 1 MB" in refused(member_a, page, big, "too_large")
    assert attach(member_a, page, SimpleUploadedFile("juste.txt", b"a" * 1024 * 1024), "")


def test_empty_file_is_refused(member_a, page):
    refused(member_a, page, SimpleUploadedFile("vide.pdf", b""), "empty")


def test_documents_are_checked_by_content(member_a, page):
    assert (
        attach(member_a, page, SimpleUploadedFile("doc.pdf", b"%PDF-1.7\n..."), "").content_type
        == "application/pdf"
    )
    refused_pdf = SimpleUploadedFile("faux.pdf", b"<html>not a pdf</html>")
    with pytest.raises(CommonsError):
        attach(member_a, page, refused_pdf, "")

    csv = attach(
        member_a, page, SimpleUploadedFile("budget.csv", "poste;montant\nCafé;12".encode()), ""
    )
    assert csv.content_type == "text/csv; charset=utf-8"
    with pytest.raises(CommonsError, match="UTF-8"):
        attach(member_a, page, SimpleUploadedFile("latin.txt", "Café".encode("latin-1")), "")

    odt = office(
        "cr.odt", {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}
    )
    assert attach(member_a, page, odt, "").content_type == "application/vnd.oasis.opendocument.text"
    wrong_odt = office("cr2.odt", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    with pytest.raises(CommonsError):
        attach(member_a, page, wrong_odt, "")
    docx = office("note.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert "wordprocessingml" in attach(member_a, page, docx, "").content_type
    with pytest.raises(CommonsError):
        attach(member_a, page, SimpleUploadedFile("tableur.xlsx", b"PK not really"), "")


def test_names_are_safe_and_unique_per_page(member_a, page, make_page):
    assert clean_name("../../etc/Plan Été.PNG") == "plan-ete.png"
    assert clean_name("C:\\Users\\x\\<script>.png") == "script.png"
    assert clean_name("...") == "fichier"
    first = attach(member_a, page, png(name="plan.png"), "")
    second = attach(member_a, page, png(name="Plan.png"), "")
    third = attach(member_a, page, png(name="plan.png"), "")
    assert [first.name, second.name, third.name] == ["plan.png", "plan-2.png", "plan-3.png"]
    other = make_page("Autre page")
    assert attach(member_a, other, png(name="plan.png"), "").name == "plan.png"


def test_documents_are_downloaded_never_shown(client_for, member_a, page):
    attach(member_a, page, SimpleUploadedFile("notes.txt", b"<script>alert(1)</script>"), "")
    response = client_for(None).get(reverse("commons:attachment", args=[page.slug, "notes.txt"]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        client_for(None)
        .get(reverse("commons:attachment", args=[page.slug, "absent.txt"]))
        .status_code
        == 404
    )


def test_only_editors_attach_and_remove(member_a, manager_b, make_page, place_a):
    page = make_page("Du Quai", place=place_a)
    with pytest.raises(CommonsError) as caught:
        attach(manager_b, page, png(), "")
    assert caught.value.code == "forbidden"
    attachment = attach(member_a, page, png(), "")
    with pytest.raises(CommonsError):
        delete_attachment(manager_b, page, attachment)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_the_files_page_uploads_and_removes(client_for, member_a, manager_b, page,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    url = reverse("commons:attachments", args=[page.slug])
    assert "Add a file" not in client_for(None).get(url).content.decode()

    response = client_for(member_a).post(url, {"file": png(), "alt": "Le plan"})
    assert response.status_code == 302
    attachment = Attachment.objects.get(page=page)
    assert attachment.alt == "Le plan"
    stored = attachment.file.path

    response = client_for(member_a).post(url, {"file": SimpleUploadedFile("virus.exe", b"MZ")})
    assert response.status_code == 422
    assert "This type of file is not accepted" in response.content.decode()
    assert Attachment.objects.filter(page=page).count() == 1

    page_html = client_for(None).get(page.get_absolute_url()).content.decode()
    assert "<img" in page_html
    delete_url = reverse("commons:attachment_delete", args=[page.slug, "plan.png"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member_a).post(delete_url)
    assert response.status_code == 302
    assert not Attachment.objects.filter(page=page).exists()
    import os

    assert not os.path.exists(stored)
    # the page shows the file as missing now (its HTML was rendered again)
    assert (
        "missing file: plan.png" in client_for(None).get(page.get_absolute_url()).content.decode()
    )


def test_a_non_editor_posting_a_file_is_403(client_for, manager_b, make_page, place_a):
    page = make_page("Du Quai", place=place_a)
    response = client_for(manager_b).post(
        reverse("commons:attachments", args=[page.slug]), {"file": png()}
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_attaching_renders_the_page_again(member_a, page):
    services.page_html(page)
    assert "missing file" in Page.objects.get(pk=page.pk).html
    attach(member_a, page, png(), "")
    assert Page.objects.get(pk=page.pk).html == ""
