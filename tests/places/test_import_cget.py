"""Importing the 2019 census of tiers-lieux: all its 1,512 rows, with their quirks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tiers.places.models import Place
from tiers.places.opendata import readers
from tiers.places.opendata.importer import ImportReport, places_import
from tiers.places.services import unique_slug

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CENSUS = DATA / "cget-2019" / "tiers-lieux-2019.csv"
CENSUS_ROWS = 1512

pytestmark = pytest.mark.django_db


def import_bytes(content: bytes, **options) -> ImportReport:
    places_file = readers.read(content, format=options.pop("format", ""))
    return places_import(places_file=places_file, file_stem="tiers-lieux-2019", **options)


def import_census(**options) -> ImportReport:
    return import_bytes(CENSUS.read_bytes(), **options)


def kinds_count() -> Counter[str]:
    return Counter(Place.kinds.through.objects.values_list("placekind_id", flat=True))


def test_the_census_file_is_recognised():
    places_file = readers.read(CENSUS.read_bytes())
    assert places_file.format == readers.CGET
    assert len(places_file.rows) == CENSUS_ROWS


def test_every_row_of_the_census_is_imported():
    report = import_census()

    assert report.total == CENSUS_ROWS
    assert report.created == CENSUS_ROWS
    # The census has no unusable row: none is rejected (each would be listed with its line).
    assert report.rejected == []
    assert Place.objects.filter(source="cget-2019").count() == CENSUS_ROWS
    assert len(set(Place.objects.values_list("source_id", flat=True))) == CENSUS_ROWS


def test_census_typologies_become_kinds_and_are_kept():
    import_census()

    # TYPO has three values: coworking (1,118 rows), fablab (345), empty (49).
    assert kinds_count() == Counter({"coworking": 1118, "fablab": 345, "other": 49})
    ade = Place.objects.get(source="cget-2019", source_id="1")
    assert ade.name == "ADE Coworking"
    assert ade.kind_codes() == ["coworking"]
    assert ade.standard_fields["cget_typo"] == "Tiers lieux à dominante coworking"
    untyped = Place.objects.filter(kinds__code="other").first()
    assert untyped is not None
    assert "cget_typo" not in untyped.standard_fields


def test_importing_the_census_twice_creates_no_duplicate():
    import_census()
    report = import_census()

    assert report.created == 0
    assert report.updated == 0
    assert report.unchanged == CENSUS_ROWS
    assert Place.objects.count() == CENSUS_ROWS
    assert sum(kinds_count().values()) == CENSUS_ROWS


def test_census_quirks_are_normalised():
    report = import_census()

    ade = Place.objects.get(source_id="1")
    assert ade.website == "https://www.ade-coworking.net"  # "www.ade-coworking.net"
    assert ade.postcode == "44300"
    assert ade.insee_code == "44109"
    assert (ade.latitude, ade.longitude) == (47.245935, -1.505602)
    # CP "0" means unknown: the place is kept, without postcode, and the line is reported.
    moulins = Place.objects.get(source_id="26")
    assert moulins.postcode == ""
    assert moulins.insee_code == ""
    assert moulins.town == "Moulins"
    assert any(w.number == 27 and w.message == "No postcode." for w in report.warnings)
    # A non-breaking space after the name is trimmed; odd capitals are left as they are.
    assert Place.objects.get(source_id="1496").name == "Schoolab"
    assert Place.objects.filter(name="1624 COWORKIN'LILLE").exists()
    # Bare handles become addresses; a cell of prose is no address.
    wigwam = Place.objects.get(name="Coworking Wigwam")
    assert wigwam.links == [
        "https://twitter.com/CoworkingWigwam",
        "https://www.facebook.com/groups/wigwam.lannion",
    ]
    tuilerie = Place.objects.get(source_id="240")  # WEB "en cours"
    assert tuilerie.website == ""
    assert any(w.number == 241 and "en cours" in w.message for w in report.warnings)


def test_overseas_places_get_their_time_zone():
    import_census()

    reunion = Place.objects.get(source_id="1291")
    assert reunion.postcode.startswith("974")
    assert reunion.time_zone == "Indian/Reunion"
    assert Place.objects.get(source_id="1").time_zone == "Europe/Paris"


def test_slugs_are_unique_and_follow_unique_slug(make_place):
    existing = make_place("La Cordée", slug="la-cordee")
    expected_next = unique_slug("La Cordée")

    import_census()

    slugs = list(Place.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == CENSUS_ROWS + 1
    cordees = Place.objects.filter(name="La Cordée").exclude(pk=existing.pk)
    assert sorted(p.slug for p in cordees) == [
        expected_next,
        "la-cordee-3",
        "la-cordee-4",
        "la-cordee-5",
    ]


def test_imported_places_have_the_search_text_save_would_give():
    import_census()

    for place in Place.objects.filter(source_id__in=["1", "26", "1496", "1291"]):
        stored = place.search_text
        place.save()
        place.refresh_from_db()
        assert place.search_text == stored
    assert Place.objects.search("cordee").count() >= 4


def test_a_reimport_updates_changed_rows_and_keeps_local_edits():
    import_census()
    edited = Place.objects.get(source_id="2")
    edited.description = "Written in Tiers, not in the census."
    edited.save(update_fields=["description"])
    changed = CENSUS.read_bytes().replace(
        b"2,Anticaf\xc3\xa9,", b"2,Anticaf\xc3\xa9 R\xc3\xa9publique,", 1
    )

    report = import_bytes(changed)

    assert (report.created, report.updated, report.unchanged) == (0, 1, CENSUS_ROWS - 1)
    edited.refresh_from_db()
    assert edited.name == "Anticafé République"
    assert edited.description == "Written in Tiers, not in the census."
    assert "republique" in edited.search_text


def test_the_census_imports_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    # Batched: a few queries per 500 rows (SQLite splits bulk inserts), never one per row.
    with django_assert_max_num_queries(150):
        report = import_census()
    assert report.created == CENSUS_ROWS


def test_typologies_map_to_kinds():
    from tiers.places.opendata.formats import cget_kind

    assert cget_kind("Tiers lieux à dominante coworking") == "coworking"
    assert cget_kind("Tiers lieux à dominante fablab") == "fablab"
    assert cget_kind("Tiers-lieu mixte coworking / fablab") == "hybrid"
    assert cget_kind("Makerspace") == "fablab"
    assert cget_kind("") == "other"
    assert cget_kind("Ferme urbaine") == "other"
