"""Pages taken out of the site: Markdown with a front matter, a zip of a tree with its files
and licence notes, a printable view, QR codes and a wall poster."""

from __future__ import annotations

import io
import struct
import zipfile
from xml.etree import ElementTree

import pytest
import segno
import yaml
from django.core.files.base import ContentFile
from django.urls import reverse

from tiers.commons import exports, services
from tiers.commons import remix as remix_module
from tiers.commons.licences import Licence
from tiers.commons.models import Attachment, Page

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SITE = "https://tiers.example.org"
XSS = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def attach(page: Page, name: str, data: bytes, content_type: str = "image/png") -> Attachment:
    attachment = Attachment(page=page, name=name, content_type=content_type, size=len(data))
    attachment.file.save("upload.bin", ContentFile(data), save=False)
    attachment.save()
    services.attachments_changed(page)
    return attachment


@pytest.fixture
def author(make_user):
    return make_user("Alice Autrice")


@pytest.fixture
def page(make_page, author, place_a):
    return make_page(
        "Recette du café", "## Préparer\n\nDu **café** pour tous. Voir [[Outils]].\n",
        author=author, place=place_a, summary="Comment faire le café.", kind="recette",
        tags=["café", "accueil"], facts={"needs": ["Une cafetière", "Du café"],
                                         "duration": "10 min"},
    )  # fmt: skip


@pytest.fixture
def tree(make_page, page, place_a):
    child = make_page("Outils", "Les outils.", place=place_a, parent=page)
    evil = make_page("../../etc/passwd", "Piège.", place=place_a, parent=page)
    deep = make_page("Nettoyage", "Propre.", place=place_a, parent=child)
    return page, child, evil, deep


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    head, _sep, _body = text[4:].partition("\n---\n")
    return yaml.safe_load(head)


# Markdown ------------------------------------------------------------------------------------


def test_markdown_export_has_a_front_matter_then_the_body(page, client_for):
    response = client_for(None).get(reverse("commons:export_markdown", args=[page.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="recette-du-cafe.md"'
    text = response.content.decode("utf-8")
    meta = front_matter(text)
    assert meta["title"] == "Recette du café"
    assert meta["summary"] == "Comment faire le café."
    assert meta["kind"] == "recette"
    assert meta["licence"] == "CC BY-SA 4.0"
    assert meta["licence_url"].startswith("https://creativecommons.org/licenses/by-sa/4.0/")
    assert meta["authors"] == ["Alice Autrice"]
    assert meta["source"] == SITE + page.get_absolute_url()
    assert meta["revision"] == 1
    assert meta["date"].startswith(str(page.updated_at.year))
    assert sorted(meta["tags"]) == ["accueil", "café"]
    assert meta["facts"] == {"needs": ["Une cafetière", "Du café"], "duration": "10 min"}
    assert text.endswith("\n---\n\n## Préparer\n\nDu **café** pour tous. Voir [[Outils]].\n")


def test_markdown_front_matter_survives_hostile_titles(make_page):
    page = make_page('Titre: "quoté"\n--- [x] #tag', "Corps.", summary="a: b\n---")
    meta = front_matter(exports.page_markdown(page))
    assert meta["title"] == 'Titre: "quoté" --- [x] #tag'
    assert meta["summary"] == "a: b ---"


def test_an_adaptation_names_its_source_in_the_front_matter(page, member_a, place_b, manager_b):
    copy = remix_module.remix(manager_b, page, place_b, title="", licence="",
                              include_children=False, acknowledge_restrictions=False)  # fmt: skip
    meta = front_matter(exports.page_markdown(copy))
    assert meta["adapted_from"]["title"] == "Recette du café"
    assert meta["adapted_from"]["source"] == SITE + page.get_absolute_url()
    assert meta["adapted_from"]["authors"] == ["Alice Autrice"]
    assert meta["authors"] == ["Manager B"]


# Zip -----------------------------------------------------------------------------------------


def _zip(response) -> zipfile.ZipFile:
    content = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(content))


def test_zip_holds_the_tree_the_files_and_the_licence_notes(tree, client_for):
    root, child, evil, deep = tree
    attach(root, "plan du café.png", b"\x89PNG root")
    attach(child, "a/../../b.png", b"\x89PNG slashes")
    attach(child, "..\\..\\windows.txt", b"text", content_type="text/plain")
    response = client_for(None).get(reverse("commons:export_zip", args=[root.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="recette-du-cafe.zip"' in response["Content-Disposition"]
    archive = _zip(response)
    names = archive.namelist()
    for name in names:
        assert not name.startswith("/") and "\\" not in name
        assert ".." not in name.split("/")
        assert name.startswith("recette-du-cafe/")
    assert "recette-du-cafe/index.md" in names
    assert "recette-du-cafe/LICENCE.md" in names
    assert "recette-du-cafe/recette-du-cafe.md" in names
    assert f"recette-du-cafe/recette-du-cafe/{child.slug}.md" in names
    assert f"recette-du-cafe/recette-du-cafe/{child.slug}/{deep.slug}.md" in names
    assert f"recette-du-cafe/recette-du-cafe/{evil.slug}.md" in names
    assert "recette-du-cafe/fichiers/recette-du-cafe/plan du café.png" in names
    child_files = [n for n in names if n.startswith(f"recette-du-cafe/fichiers/{child.slug}/")]
    assert len(child_files) == 2
    assert archive.read("recette-du-cafe/fichiers/recette-du-cafe/plan du café.png") == (
        b"\x89PNG root"
    )
    assert {archive.read(name) for name in child_files} == {b"\x89PNG slashes", b"text"}
    # the pages know where their files are, relative to themselves
    child_md = archive.read(f"recette-du-cafe/recette-du-cafe/{child.slug}.md").decode()
    files = front_matter(child_md)["files"]
    assert set(files) == {"a/../../b.png", "..\\..\\windows.txt"}
    for path in files.values():
        assert path.startswith("../fichiers/")
        resolved = f"recette-du-cafe/recette-du-cafe/{path}".replace("recette-du-cafe/../", "")
        assert resolved in names
    index = archive.read("recette-du-cafe/index.md").decode()
    assert "[Outils]" in index and "[Nettoyage]" in index and "[../../etc/passwd]" in index
    licence = archive.read("recette-du-cafe/LICENCE.md").decode()
    assert "Alice Autrice" in licence and "CC BY-SA 4.0" in licence
    assert SITE + root.get_absolute_url() in licence


def test_zip_of_the_page_alone(tree, client_for):
    root, *_rest = tree
    response = client_for(None).get(reverse("commons:export_zip", args=[root.slug]) + "?arbre=0")
    names = _zip(response).namelist()
    assert sorted(names) == [
        "recette-du-cafe/LICENCE.md", "recette-du-cafe/index.md",
        "recette-du-cafe/recette-du-cafe.md",
    ]  # fmt: skip


def test_zip_of_a_page_with_a_lost_file_says_so(page, client_for):
    attachment = attach(page, "plan.png", b"data")
    attachment.file.storage.delete(attachment.file.name)
    archive = _zip(client_for(None).get(reverse("commons:export_zip", args=[page.slug])))
    assert "plan.png" in archive.read("recette-du-cafe/index.md").decode()


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "a/b\\c", "..", ".hidden", "con.txt", "\x00\x01.png", "", "é" * 300],
)
def test_safe_filename_never_leaves_its_folder(name):
    safe = exports.safe_filename(name)
    assert safe and "/" not in safe and "\\" not in safe
    assert not safe.startswith(".") and ".." not in safe
    assert len(safe) <= 100
    assert all(ord(ch) >= 32 for ch in safe)
    assert safe.split(".")[0].lower() != "con"


# Printable -----------------------------------------------------------------------------------


def test_printable_view_shows_the_page_and_its_credits(page, client_for):
    response = client_for(None).get(reverse("commons:print", args=[page.slug]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "commons/print.css" in html
    assert "<h1" in html and "Recette du café" in html
    assert "Comment faire le café." in html
    assert "Alice Autrice" in html and "CC BY-SA 4.0" in html
    assert SITE + page.get_absolute_url() in html
    # links made absolute so that the printed addresses can be typed
    assert f'href="{SITE}/communs/' in html
    assert "Save as PDF" in html


def test_printable_tree_has_every_sub_page(tree, client_for):
    root, child, evil, deep = tree
    url = reverse("commons:print", args=[root.slug])
    alone = client_for(None).get(url, **EN).content.decode()
    assert "Nettoyage" not in alone
    assert "With its sub-pages" in alone
    whole = client_for(None).get(url + "?arbre=1", **EN).content.decode()
    for sub in (child, evil, deep):
        assert f'id="print-title-{sub.pk}"' in whole
    assert whole.index("Outils</h2>") < whole.index("Nettoyage</h2>")
    assert whole.count('class="print-page"') == 4


# QR codes ------------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_qr_png_encodes_the_page_address(page, client_for):
    url = reverse("commons:qr_png", args=[page.slug])
    response = client_for(None).get(url + "?taille=5")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    expected = segno.make(SITE + page.get_absolute_url(), error="m", micro=False)
    width, height = _png_size(response.content)
    assert width == height == expected.symbol_size(scale=5)[0]
    out = io.BytesIO()
    expected.save(out, kind="png", scale=5)
    assert response.content == out.getvalue()


@pytest.mark.parametrize("size", ["0", "21", "-3", "abc", "1e3", "9" * 50, "", "%00"])
def test_qr_png_bad_sizes_fall_back_to_the_default(page, client_for, size):
    response = client_for(None).get(reverse("commons:qr_png", args=[page.slug]), {"taille": size})
    assert response.status_code == 200
    expected = segno.make(SITE + page.get_absolute_url(), error="m", micro=False)
    assert _png_size(response.content)[0] == expected.symbol_size(scale=8)[0]


def test_qr_svg_is_xml_for_the_page_address(page, client_for):
    response = client_for(None).get(reverse("commons:qr_svg", args=[page.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"]
    root = ElementTree.fromstring(response.content)  # noqa: S314  (our own response)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    expected = segno.make(SITE + page.get_absolute_url(), error="m", micro=False)
    assert int(root.get("width")) == expected.symbol_size(scale=8)[0]
    out = io.BytesIO()
    expected.save(out, kind="svg", scale=8, light="#fff", xmldecl=True,
                  title=SITE + page.get_absolute_url())  # fmt: skip
    assert response.content == out.getvalue()


def test_unknown_pages_are_404_everywhere(client_for, db):
    for name in ("export_markdown", "export_zip", "print", "qr_svg", "qr_png", "poster"):
        assert client_for(None).get(reverse(f"commons:{name}", args=["nope"])).status_code == 404


def test_an_old_title_leads_to_the_renamed_page(page, author):
    data = services.PageData.of_page(page)
    data.title = "Café"
    services.edit_page(author, page, data, base=1, check=False)
    from django.test import Client

    response = Client().get(reverse("commons:qr_png", args=["recette-du-cafe"]) + "?taille=3")
    assert response.status_code == 301
    assert response["Location"] == reverse("commons:qr_png", args=["cafe"]) + "?taille=3"


# Poster --------------------------------------------------------------------------------------


def test_poster_has_the_title_the_summary_the_qr_code_and_the_licence(page, client_for):
    response = client_for(None).get(reverse("commons:poster", args=[page.slug]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Recette du café</h1>" in html
    assert "Comment faire le café." in html
    assert '<svg aria-hidden="true"' in html and 'class="poster-qr-code"' in html
    assert "tiers.example.org" + page.get_absolute_url() in html
    assert "CC BY-SA 4.0" in html
    assert "Le Quai" in html
    assert "commons/print.css" in html


# Escaping ------------------------------------------------------------------------------------


def test_user_text_is_escaped_in_printable_and_poster_pages(make_page, place_a, client_for,
                                                             make_user):  # fmt: skip
    author = make_user("Eve" + XSS)
    root = make_page("T" + XSS, "Texte " + XSS + " [a](javascript:alert(3))", author=author,
                     place=place_a, summary="S" + XSS, tags=["x" + XSS])  # fmt: skip
    make_page("Sous" + XSS, XSS, place=place_a, parent=root)
    for url in (
        reverse("commons:print", args=[root.slug]) + "?arbre=1",
        reverse("commons:poster", args=[root.slug]),
        reverse("commons:remix", args=[root.slug]),
    ):
        client = client_for(make_user()) if "adapter" in url else client_for(None)
        html = client.get(url, **EN).content.decode()
        assert "<script>alert(2)</script>" not in html, url
        assert "<img src=x onerror" not in html, url
        assert 'href="javascript:' not in html, url
        assert "&lt;script&gt;" in html, url


def test_hostile_titles_stay_inside_the_zip(make_page, client_for):
    root = make_page("../../../root", "Texte.")
    make_page("/etc/shadow", "x", parent=root)
    attach(root, "../" * 5 + "evil.sh", b"#!", content_type="text/plain")
    archive = _zip(client_for(None).get(reverse("commons:export_zip", args=[root.slug])))
    for name in archive.namelist():
        assert ".." not in name.split("/") and not name.startswith("/")
    assert any(name.endswith("evil.sh") for name in archive.namelist())


def test_licence_is_shown_for_each_printed_page(tree, client_for):
    root, child, *_rest = tree
    Page.objects.filter(pk=child.pk).update(licence=Licence.CC0)
    html = (
        client_for(None)
        .get(reverse("commons:print", args=[root.slug]) + "?arbre=1", **EN)
        .content.decode()
    )
    assert html.count('class="print-credits"') == 4
    assert "CC0 1.0" in html


def test_printed_headings_never_skip_a_level(make_page, client_for):
    root = make_page("Racine", "### Profond\n\n#### Plus profond")
    make_page("Fille", "# Haut\n\n## Moins haut", parent=root)
    html = (
        client_for(None)
        .get(reverse("commons:print", args=[root.slug]) + "?arbre=1", **EN)
        .content.decode()
    )
    assert '<h2 id="profond">' in html and '<h3 id="plus-profond">' in html
    assert '<h3 id="haut">' in html and '<h4 id="moins-haut">' in html
    assert exports.rebase_headings("<p>rien</p>", 2) == "<p>rien</p>"
