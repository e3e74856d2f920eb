"""Malformed input to the place forms: clear errors, nothing stored, never a 500."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tiers.places.models import Place, PlacePhoto


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_no_injected_markup(html: str) -> None:
    """No element carries an event handler, and every script is ours (a file or JSON-LD)."""
    parser = TagCollector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src") or attrs.get("type") == "application/ld+json", attrs
        if tag == "img":
            assert attrs.get("src") != "x", attrs


BASE = {"name": "Le Quai", "status": "open", "kinds": ["coworking"]}


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", "abc"),
        ("latitude", "95"),
        ("longitude", "-200"),
        ("latitude", "nan"),
        ("postcode", "7500"),
        ("postcode", "ABCDE"),
        ("postcode", "00123"),
        ("insee_code", "123"),
        ("opening_hours", "tous les jours 9h-18h"),
        ("opening_hours", "Mo-Fr 25:00-26:00"),
        ("legal_id", "12345678901234"),
        ("legal_id", "W12"),
        ("website", "javascript:alert(1)"),
        ("email", "pas-un-email"),
        ("phone", "12"),
        ("status", "flying"),
        ("kinds", "spaceport"),
        ("name", ""),
        ("name", "x" * 201),
        ("links", "not a url"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(client_for, manager_a, place_a, field, value):
    before = Place.objects.values().get(pk=place_a.pk)
    data = {**BASE, field: value}
    if field == "latitude":
        data["longitude"] = "2"
    if field == "longitude":
        data["latitude"] = "45"
    response = client_for(manager_a).post(f"/lieux/{place_a.slug}/modifier/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    after = Place.objects.values().get(pk=place_a.pk)
    assert after == before


def test_latitude_without_longitude_is_refused(client_for, manager_a, place_a):
    response = client_for(manager_a).post(
        f"/lieux/{place_a.slug}/modifier/", {**BASE, "latitude": "45", "longitude": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_valid_siret_rna_and_osm_hours_are_accepted(client_for, manager_a, place_a):
    data = {
        **BASE, "legal_id": "732 829 320 00074", "opening_hours": "Mo-Fr 08:30-12:00,13:30-17:30; PH off",
        "website": "www.example.org", "phone": "01 23 45 67 89", "postcode": "20000",
    }  # fmt: skip
    response = client_for(manager_a).post(f"/lieux/{place_a.slug}/modifier/", data)
    assert response.status_code == 302, response.context["form"].errors
    place_a.refresh_from_db()
    assert place_a.website == "https://www.example.org"
    assert place_a.phone == "0123456789"


def test_script_in_text_fields_is_stored_as_text_and_escaped(
    client_for, manager_a, place_a, client
):
    vector = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data = {**BASE, "name": f"Quai {vector}", "short_description": vector, "description": vector,
            "accessibility": vector, "services": vector, "town": vector}  # fmt: skip
    response = client_for(manager_a).post(f"/lieux/{place_a.slug}/modifier/", data)
    assert response.status_code == 302
    for url in [f"/lieux/{place_a.slug}/", "/", f"/lieux/{place_a.slug}/modifier/"]:
        page = client_for(manager_a) if "modifier" in url else client
        html = page.get(url).content.decode()
        assert_no_injected_markup(html)
        assert "&lt;script&gt;" in html


def test_photo_upload_accepts_an_image(client_for, manager_a, place_a):
    upload = SimpleUploadedFile("salle.png", png_bytes(), content_type="image/png")
    response = client_for(manager_a).post(
        f"/lieux/{place_a.slug}/photos/", {"image": upload, "alt": "La grande salle"}
    )
    assert response.status_code == 302
    assert PlacePhoto.objects.get(place=place_a).alt == "La grande salle"


def test_photo_upload_refuses_a_non_image(client_for, manager_a, place_a):
    upload = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = client_for(manager_a).post(
        f"/lieux/{place_a.slug}/photos/", {"image": upload, "alt": "x"}
    )
    assert response.status_code == 200
    assert "image" in response.context["form"].errors
    assert not PlacePhoto.objects.exists()


def test_photo_upload_refuses_an_oversized_image(client_for, manager_a, place_a, settings):
    settings.MAX_IMAGE_SIZE = 1000
    upload = SimpleUploadedFile("big.png", png_bytes((400, 400)), content_type="image/png")
    response = client_for(manager_a).post(
        f"/lieux/{place_a.slug}/photos/", {"image": upload, "alt": "x"}
    )
    assert response.status_code == 200
    assert "image" in response.context["form"].errors
    assert not PlacePhoto.objects.exists()


def test_photo_needs_a_description(client_for, manager_a, place_a):
    upload = SimpleUploadedFile("salle.png", png_bytes(), content_type="image/png")
    response = client_for(manager_a).post(f"/lieux/{place_a.slug}/photos/", {"image": upload})
    assert "alt" in response.context["form"].errors
    assert not PlacePhoto.objects.exists()


def test_removing_a_photo_of_another_place_is_404(client_for, manager_a, place_a, place_b):
    photo = PlacePhoto.objects.create(
        place=place_b, image=SimpleUploadedFile("b.png", png_bytes()), alt="B"
    )
    response = client_for(manager_a).post(f"/lieux/{place_a.slug}/photos/{photo.pk}/supprimer/")
    assert response.status_code == 404
    assert PlacePhoto.objects.filter(pk=photo.pk).exists()
