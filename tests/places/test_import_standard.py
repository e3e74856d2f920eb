"""Importing CSV files of the "lieux de médiation numérique" standard."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tiers.places.models import Place
from tiers.places.opendata import readers
from tiers.places.opendata.importer import ImportReport, places_import

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EXAMPLE = DATA / "mediation-numerique" / "exemple-valide.csv"
FOREIGN = Path(__file__).resolve().parents[1] / "data" / "mednum-foreign.csv"

pytestmark = pytest.mark.django_db


def import_bytes(content: bytes, **options) -> ImportReport:
    places_file = readers.read(content, format=options.pop("format", ""))
    return places_import(places_file=places_file, file_stem="lieux", **options)


def rejected(report: ImportReport) -> dict[int, str]:
    return {issue.number: issue.message for issue in report.rejected}


def warnings_of(report: ImportReport, line: int) -> list[str]:
    return [issue.message for issue in report.warnings if issue.number == line]


def test_the_standard_example_is_imported():
    report = import_bytes(EXAMPLE.read_bytes())

    assert report.format == readers.MEDNUM
    assert (report.created, report.rejected) == (1, [])
    place = Place.objects.get()
    assert (place.source, place.source_id) == ("mednum:hubik", "structure-1")
    assert place.name == "Anonymal"
    assert (place.town, place.postcode, place.insee_code) == ("Reims", "51100", "51454")
    assert place.address == "12 BIS RUE DE LECLERCQ"
    assert (place.latitude, place.longitude) == (43.52609, 5.41423)
    assert place.legal_id == "43493312300029"
    assert place.phone == "+33180059880"
    assert place.email == "contact@laquincaillerie.tl"
    assert place.website == "https://www.laquincaillerie.tl/"
    assert place.links == ["https://m.facebook.com/laquincaillerienumerique/"]
    assert place.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert place.short_description.startswith("Notre association propose")
    assert place.description.startswith("Notre parcours d'initiation")
    assert place.services == [
        "Maîtrise des outils numériques du quotidien",
        "Insertion professionnelle via le numérique",
        "Loisirs et créations numériques",
    ]
    assert place.kind_codes() == ["epn"]
    extra = place.standard_fields
    assert extra["courriels"] == "contact@laquincaillerie.tl|responsable@laquincaillerie.tl"
    assert extra["complement_adresse"] == "Le patio du bois de l'Aulne"
    assert extra["typologie"] == "TIERS_LIEUX|ASSO"
    assert extra["publics_specifiquement_adresses"] == "Jeunes|Femmes"
    assert extra["modalites_accompagnement"] == (
        "Dans un atelier collectif|À distance|En autonomie|Accompagnement individuel"
    )
    assert extra["prise_rdv"] == "https://www.rdv-solidarites.fr/"


def test_a_foreign_file_is_read_whatever_its_form():
    # Semicolons, a byte order mark, columns in another order, optional ones missing.
    content = FOREIGN.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")

    report = import_bytes(content)

    assert report.format == readers.MEDNUM
    assert report.created == 3
    assert Place.objects.count() == 3
    assert sorted(rejected(report)) == [5, 6, 7, 8, 9, 10, 12]
    reasons = rejected(report)
    assert reasons[5] == "The name is missing."
    assert "ABCDE" in reasons[6] and "postcode" in reasons[6]
    assert "north" in reasons[7] and "not a number" in reasons[7]
    assert "123.4" in reasons[8] and "out of range" in reasons[8]
    assert "med-1" in reasons[9] and "line 2" in reasons[9]
    assert reasons[10] == "The identifier (id) is missing."
    assert reasons[12] == "This line has 3 values; the header has 17."


def test_foreign_file_values():
    report = import_bytes(FOREIGN.read_bytes())

    ecume = Place.objects.get(source_id="med-1")
    assert ecume.source == "mednum:reseau-finistere"
    assert ecume.name == "Médiathèque « L'Écume »"
    assert ecume.description == (
        'Des ateliers « pas à pas » ;\nle samedi, une permanence "sans rendez-vous".'
    )
    # Values of the vocabulary written without accents are spelled as the standard spells them.
    assert ecume.services == [
        "Maîtrise des outils numériques du quotidien",
        "Accès internet et matériel informatique",
    ]
    assert ecume.website == "https://www.ecume.example.org"
    assert ecume.standard_fields["modalites_acces"] == "Se présenter|Téléphoner"

    lac = Place.objects.get(source_id="med-2")
    assert (lac.latitude, lac.longitude) == (45.8992, 6.1294)  # decimal commas
    assert lac.legal_id == ""  # the placeholder 00000000000000
    # Opening hours that are not understood are dropped; the place is kept.
    assert lac.opening_hours == ""
    assert any("sometimes" in w for w in warnings_of(report, 4))

    vallee = Place.objects.get(source_id="cb-9")
    assert vallee.source == "mednum:hubik"
    assert vallee.postcode == "05000"
    assert vallee.legal_id == ""
    assert any("1234567890123" in w for w in warnings_of(report, 11))
    # Services outside the standard stay free services of the place.
    assert vallee.services == ["Loisirs et créations numériques", "Impression 3D"]
    assert vallee.standard_fields["modalites_acces"] == "Prendre un RDV en ligne"
    assert any("Venir à cheval" in w for w in warnings_of(report, 11))


def test_a_foreign_file_imported_twice_creates_nothing_new():
    import_bytes(FOREIGN.read_bytes())
    report = import_bytes(FOREIGN.read_bytes())

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Place.objects.count() == 3


def test_a_changed_row_updates_its_place():
    import_bytes(FOREIGN.read_bytes())
    changed = FOREIGN.read_bytes().replace(b"2 rue de Siam", b"12 rue de Siam")

    report = import_bytes(changed)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert Place.objects.get(source_id="med-1").address == "12 rue de Siam"


def reordered_example(delimiter: str, keep: list[str]) -> bytes:
    rows = list(csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keep, delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_optional_columns_may_be_missing_and_come_in_any_order(delimiter):
    columns = ["date_maj", "adresse", "code_postal", "commune", "nom", "pivot", "id"]
    report = import_bytes(reordered_example(delimiter, columns))

    assert (report.format, report.created, report.rejected) == (readers.MEDNUM, 1, [])
    place = Place.objects.get()
    assert (place.name, place.town, place.postcode) == ("Anonymal", "Reims", "51100")
    assert place.source == "mednum:standard"  # no `source` column
    assert place.latitude is None


def test_the_source_can_be_forced():
    report = import_bytes(EXAMPLE.read_bytes(), source="mon-reseau")

    assert report.sources == ["mon-reseau"]
    assert Place.objects.get().source == "mon-reseau"


def test_missing_required_columns_are_reported_but_the_rows_imported():
    report = import_bytes(reordered_example(",", ["id", "nom", "commune", "code_postal"]))

    assert report.created == 1
    assert any("adresse" in w and "pivot" in w for w in report.file_warnings)


def test_a_windows_1252_file_is_read_with_a_warning():
    text = EXAMPLE.read_text(encoding="utf-8").replace("«", '"').replace("»", '"')
    report = import_bytes(text.encode("cp1252"))

    assert report.created == 1
    assert any("Windows-1252" in w for w in report.file_warnings)
    assert Place.objects.get().services[0] == "Maîtrise des outils numériques du quotidien"


def test_a_nul_character_far_in_the_file_is_dropped():
    # Only the start of a file is checked for binary content; NUL further on is removed.
    long_text = "x" * 9000
    content = (
        "id,nom,commune,code_postal,adresse,presentation_detail\r\n"
        f"a,Premier lieu,Brest,29200,1 rue A,{long_text}\r\n"
        "b,Second\x00 lieu,Brest,29200,2 rue\x00 B,\r\n"
    ).encode()

    report = import_bytes(content)

    assert (report.created, report.rejected) == (2, [])
    second = Place.objects.get(source_id="b")
    assert (second.name, second.address) == ("Second lieu", "2 rue B")
