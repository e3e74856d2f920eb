"""Importing GeoJSON: any FeatureCollection of points, and this site's own places.geojson."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiers.places.models import Place
from tiers.places.opendata import readers
from tiers.places.opendata.importer import ImportReport, places_import

GEOJSON = Path(__file__).resolve().parents[1] / "data" / "places.geojson"

pytestmark = pytest.mark.django_db


def import_bytes(content: bytes, *, file_stem: str = "places", **options) -> ImportReport:
    places_file = readers.read(content, format=options.pop("format", ""))
    return places_import(places_file=places_file, file_stem=file_stem, **options)


def test_a_geojson_file_is_imported():
    report = import_bytes(GEOJSON.read_bytes())

    assert (report.format, report.unit) == (readers.GEOJSON, "feature")
    assert report.created == 3
    reasons = {issue.number: issue.message for issue in report.rejected}
    assert sorted(reasons) == [4, 5, 6, 7]
    assert "Polygon" in reasons[4]
    assert "not numbers" in reasons[5]
    assert "name is missing" in reasons[6]
    assert "out of range" in reasons[7]

    atelier = Place.objects.get(source_id="atelier-partage")
    assert atelier.source == "geojson:places"
    assert atelier.name == "L'Atelier partagé"
    assert (atelier.latitude, atelier.longitude) == (48.1173, -1.6778)
    assert sorted(atelier.kind_codes()) == ["fablab", "workshop"]
    assert atelier.website == ""  # `url` is the page elsewhere, not the place's website

    cafe = Place.objects.get(source_id="42")  # an id among the properties
    assert (cafe.town, cafe.postcode, cafe.address) == ("Marseille", "13001", "1 La Canebière")
    assert cafe.opening_hours == "Mo-Sa 08:00-20:00"
    assert cafe.website == "https://cafe.example.org"
    assert cafe.services == ["Accès internet et matériel informatique"]
    assert cafe.kind_codes() == ["other"]

    # No identifier: the name stands for one; no geometry: no marker on the map.
    unmapped = Place.objects.get(name="Tiers-lieu sans carte")
    assert unmapped.source_id == "tiers-lieu-sans-carte"
    assert unmapped.postcode == "29000"  # a number in the file
    assert unmapped.latitude is None and unmapped.longitude is None


def test_a_geojson_file_imported_twice_creates_nothing_new():
    import_bytes(GEOJSON.read_bytes())
    report = import_bytes(GEOJSON.read_bytes())

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Place.objects.count() == 3


def test_features_without_id_keep_theirs_across_imports():
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
                "properties": {"nom": "Le Lieu"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [4.83, 45.76]},
                "properties": {"nom": "Le Lieu"},
            },
        ],
    }
    content = json.dumps(collection).encode()

    first = import_bytes(content)
    second = import_bytes(content)

    assert (first.created, second.created, second.unchanged) == (2, 0, 2)
    assert sorted(Place.objects.values_list("slug", flat=True)) == ["le-lieu", "le-lieu-2"]


def test_this_sites_own_geojson_is_imported(client, place_a, place_b, network):
    response = client.get("/api/v1/places.geojson")
    original = {
        p.slug: (p.name, p.town, p.postcode, p.latitude, p.longitude, p.kind_codes())
        for p in Place.objects.all()
    }
    Place.objects.all().delete()

    report = import_bytes(response.content, file_stem="places")

    assert (report.created, report.rejected) == (2, [])
    imported = {
        p.source_id: (p.name, p.town, p.postcode, p.latitude, p.longitude, p.kind_codes())
        for p in Place.objects.all()
    }
    assert imported == original
    assert set(Place.objects.values_list("slug", flat=True)) == set(original)


def test_control_characters_are_never_stored():
    # PostgreSQL refuses NUL in text: it must not reach the database.
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "nul\u0000",
                "geometry": None,
                "properties": {"name": "Le\u0000 Lieu\u0007", "description": "a\u0000b\nc"},
            }
        ],
    }

    report = import_bytes(json.dumps(collection).encode())

    assert report.created == 1
    place = Place.objects.get()
    assert (place.name, place.source_id, place.description) == ("Le Lieu", "nul", "ab\nc")
