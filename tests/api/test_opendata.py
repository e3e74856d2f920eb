"""Open data exports: /api/v1/places.geojson (RFC 7946) and /api/v1/places.csv (the national
"lieux de médiation numérique" standard, validated with frictionless against its schema)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

import frictionless
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiers.places.models import Place
from tiers.places.opendata import readers, standard
from tiers.places.opendata.importer import places_import

SCHEMA_PATH = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "mediation-numerique"
    / "schema.json"
)
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
SIRET = "43493312300029"
LONG_SUMMARY = ("Un tiers-lieu « ouvert », où l'on vient travailler, réparer, apprendre. " * 5)[
    :300
]

pytestmark = pytest.mark.django_db


# --- the standard module agrees with the schema file ------------------------------------------


def test_columns_are_the_schemas_in_its_order():
    assert list(standard.COLUMNS) == [f["name"] for f in SCHEMA["fields"]]
    required = {f["name"] for f in SCHEMA["fields"] if f["constraints"].get("required")}
    assert required == standard.REQUIRED


def test_vocabularies_are_the_schemas_patterns():
    fields = {f["name"]: f for f in SCHEMA["fields"]}
    for column, values in standard.VOCABULARIES.items():
        pattern = re.compile(fields[column]["constraints"]["pattern"])
        for value in values:
            assert pattern.match(value), (column, value)
        assert pattern.match("|".join(values))
        assert not pattern.match(values[0] + "|Not in the list")


def test_the_pivot_placeholder_and_phones_fit_the_schema():
    fields = {f["name"]: f for f in SCHEMA["fields"]}
    assert re.match(fields["pivot"]["constraints"]["pattern"], standard.PIVOT_UNKNOWN)
    assert fields["telephone"]["constraints"]["pattern"] == standard.PHONE_PATTERN.pattern
    assert standard.phone("02 99 71 12 34") == "+33299711234"
    assert standard.phone("+33 (0)2 99 71 12 34") == "+33299711234"
    assert standard.phone("0033 299711234") == "+33299711234"
    assert standard.phone("0590 12 34 56") == "+590590123456"
    assert standard.phone("+44 20 7946 0958") == ""
    assert standard.phone("02 99 71 12 34 poste 5") == ""


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def varied_places(make_place) -> dict[str, Place]:
    quai = make_place(
        "Le Quai des Possibles", kinds=["coworking", "hybrid"], slug="le-quai-des-possibles",
        address="4 quai Jean Bart", insee_code="35236", latitude=47.6519, longitude=-2.084,
        legal_id=SIRET, phone="02 99 71 12 34", email="bonjour@quai.example.org",
        website="https://quai.example.org/", links=["https://social.example.org/@quai"],
        opening_hours="Mo-Fr 09:00-18:00; Sa 10:00-13:00",
        services=["Aide aux démarches administratives", "Wi-Fi"],
        short_description=LONG_SUMMARY,
        description='Un lieu « ouvert » :\n- "café" le jeudi\r\n- atelier bois, métal; soudure | forge',
    )  # fmt: skip
    ecluse = make_place(
        "Association L'Écluse", kinds=["epn"], slug="association-lecluse", town="Châteaulin",
        postcode="29150", address="1 rue de l'Aulne", legal_id="W353012345",
        phone="+44 20 7946 0958", services=["Accès internet et matériel informatique"],
        standard_fields={
            "typologie": "BIB", "itinerance": "Fixe",
            "publics_specifiquement_adresses": "Seniors|Chats",
            "courriels": "accueil@ecluse.example.org|ca@ecluse.example.org",
        },
        email="accueil@ecluse.example.org",
    )  # fmt: skip
    fablab = make_place(
        'Le "Petit" Fab, Lab', kinds=["fablab"], slug="le-petit-fab-lab", town="Basse-Terre",
        postcode="97100", address="2 rue du Port", latitude=16.0, longitude=0.00001,
        phone="0590 12 34 56",
    )  # fmt: skip
    # Stored before the hours were checked: not exported.
    Place.objects.filter(pk=fablab.pk).update(opening_hours="whenever")
    no_postcode = make_place("Lieu sans code postal", postcode="", address="3 rue X")
    no_address = make_place("Lieu sans adresse", postcode="35000", address="")
    closed = make_place("Lieu fermé", address="5 rue Y", status=Place.Status.CLOSED)
    return {
        "quai": quai, "ecluse": ecluse, "fablab": fablab, "no_postcode": no_postcode,
        "no_address": no_address, "closed": closed,
    }  # fmt: skip


def get_csv(client, query: str = "") -> tuple[object, str]:
    response = client.get("/api/v1/places.csv" + query)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode("utf-8")


def rows_of(body: str) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(body, newline=""))}


def validate(body: str) -> frictionless.Report:
    schema = frictionless.Schema.from_descriptor(SCHEMA)
    resource = frictionless.Resource(
        data=body.encode("utf-8"), format="csv", encoding="utf-8", schema=schema
    )
    return frictionless.validate(resource)


# --- /api/v1/places.csv -------------------------------------------------------------------


def test_the_csv_is_streamed_with_the_standards_header(client, varied_places):
    response, body = get_csv(client)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="\d{8}_tiers_lieux-de-mediation-numerique\.csv"',
        response["Content-Disposition"],
    )
    header = next(csv.reader(io.StringIO(body)))
    assert header == [f["name"] for f in SCHEMA["fields"]]


def test_places_the_standard_cannot_describe_are_counted_out(client, varied_places):
    response, body = get_csv(client)

    assert set(rows_of(body)) == {
        "le-quai-des-possibles",
        "association-lecluse",
        "le-petit-fab-lab",
    }
    assert response["X-Excluded-Count"] == "2"  # no postcode, no address (closed: not listed)


def test_the_csv_is_valid_against_the_schema(client, varied_places):
    _, body = get_csv(client)

    report = validate(body)

    assert report.flatten(["rowNumber", "fieldName", "type", "note"]) == []
    assert report.valid
    assert report.tasks[0].stats["rows"] == 3


def test_the_validation_catches_what_breaks_the_standard(client, varied_places):
    # The check above is not a formality: a row outside the standard makes it fail.
    _, body = get_csv(client)
    broken = body.replace("+33299711234", "02 99 71 12 34").replace(SIRET, "SIRET?")

    report = validate(broken)

    assert not report.valid
    assert {e[0] for e in report.flatten(["fieldName"])} == {"telephone", "pivot"}


def test_the_csv_values(client, varied_places):
    _, body = get_csv(client)
    rows = rows_of(body)
    today = timezone.localdate().isoformat()

    quai = rows["le-quai-des-possibles"]
    assert quai["nom"] == "Le Quai des Possibles"
    assert quai["pivot"] == SIRET
    assert quai["telephone"] == "+33299711234"
    assert quai["courriels"] == "bonjour@quai.example.org"
    assert quai["site_web"] == "https://quai.example.org/|https://social.example.org/@quai"
    assert quai["horaires"] == "Mo-Fr 09:00-18:00; Sa 10:00-13:00"
    assert quai["services"] == "Aide aux démarches administratives"  # Wi-Fi is not in the list
    assert quai["typologie"] == "TIERS_LIEUX"
    assert (quai["latitude"], quai["longitude"]) == ("47.6519", "-2.084")
    assert len(quai["presentation_resume"]) <= 280
    assert quai["presentation_resume"].endswith("…")
    assert quai["presentation_detail"] == varied_places["quai"].description
    assert quai["source"] == "Tiers"
    assert quai["date_maj"] == today

    ecluse = rows["association-lecluse"]
    assert ecluse["pivot"] == "W353012345"
    assert ecluse["typologie"] == "BIB|TIERS_LIEUX|ASSO"
    assert ecluse["telephone"] == ""  # not a French number
    assert ecluse["courriels"] == "accueil@ecluse.example.org|ca@ecluse.example.org"
    assert ecluse["itinerance"] == "Fixe"
    assert ecluse["publics_specifiquement_adresses"] == "Seniors"
    assert (ecluse["latitude"], ecluse["longitude"]) == ("", "")

    fablab = rows["le-petit-fab-lab"]
    assert fablab["nom"] == 'Le "Petit" Fab, Lab'
    assert fablab["pivot"] == standard.PIVOT_UNKNOWN
    assert fablab["longitude"] == "0.00001"
    assert fablab["telephone"] == "+590590123456"
    assert fablab["horaires"] == ""


def test_the_csv_takes_the_directorys_filters(client, varied_places, network):
    network.places.add(varied_places["ecluse"])

    _, fablabs = get_csv(client, "?kind=fablab")
    _, members = get_csv(client, "?network=reseau-ouest")
    _, found = get_csv(client, "?q=ecluse")

    assert set(rows_of(fablabs)) == {"le-petit-fab-lab"}
    assert "association-lecluse" in rows_of(members)
    assert "le-quai-des-possibles" not in rows_of(members)
    assert set(rows_of(found)) == {"association-lecluse"}


def test_bad_csv_filters_are_a_problem(client, varied_places):
    response = client.get("/api/v1/places.csv?kind=castle")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "kind"


def export_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        get_csv(client)
    return len(queries.captured_queries)


def test_the_csv_export_does_not_query_per_place(client, make_place):
    for n in range(3):
        make_place(f"Lieu {n}", address="1 rue A")
    few = export_queries(client)
    for n in range(3, 60):
        make_place(f"Lieu {n}", address="1 rue A")

    assert export_queries(client) == few


def test_export_then_import_gives_the_same_places(client, varied_places):
    fields = [
        "name", "town", "postcode", "insee_code", "address", "latitude", "longitude",
        "legal_id", "email", "website", "links", "opening_hours", "description",
    ]  # fmt: skip
    exported = ["le-quai-des-possibles", "association-lecluse", "le-petit-fab-lab"]
    before = {slug: Place.objects.values(*fields).get(slug=slug) for slug in exported}
    _, body = get_csv(client)
    Place.objects.all().delete()

    report = places_import(places_file=readers.read(body.encode("utf-8")))

    assert (report.created, report.rejected) == (3, [])
    after = {p["source_id"]: p for p in Place.objects.values("source_id", "slug", *fields)}
    for slug in exported:
        assert after[slug]["slug"] == slug
        assert {f: after[slug][f] for f in fields} == {
            **before[slug],
            "opening_hours": "" if slug == "le-petit-fab-lab" else before[slug]["opening_hours"],
        }
    quai = Place.objects.get(source_id="le-quai-des-possibles")
    assert quai.source == "mednum:tiers"
    assert quai.services == ["Aide aux démarches administratives"]
    assert quai.phone == "+33299711234"
    assert quai.short_description == rows_of(body)["le-quai-des-possibles"]["presentation_resume"]
    ecluse = Place.objects.get(source_id="association-lecluse")
    assert ecluse.standard_fields["courriels"] == "accueil@ecluse.example.org|ca@ecluse.example.org"
    assert ecluse.standard_fields["typologie"] == "BIB|TIERS_LIEUX|ASSO"
    assert ecluse.standard_fields["publics_specifiquement_adresses"] == "Seniors"
    # Exporting the imported places gives the same file, but for the source column.
    _, again = get_csv(client)
    assert again.replace("mednum:tiers", "Tiers") == body


# --- /api/v1/places.geojson -------------------------------------------------------------------


def test_the_geojson_is_an_rfc_7946_feature_collection(client, place_a, place_b, make_place):
    make_place("Sans coordonnées", kinds=["cafe"])
    make_place("Fermé", latitude=48.0, longitude=2.0, status=Place.Status.CLOSED)

    response = client.get("/api/v1/places.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {"le-quai", "la-fabrique"}
    quai = features["le-quai"]
    assert quai["type"] == "Feature"
    assert quai["geometry"] == {"type": "Point", "coordinates": [-2.084, 47.6519]}
    assert quai["properties"] == {
        "name": "Le Quai",
        "town": "Redon",
        "postcode": "35600",
        "status": "open",
        "url": "http://testserver/lieux/le-quai/",
        "kinds": ["coworking"],
    }
    assert features["la-fabrique"]["properties"]["kinds"] == ["fablab"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"le-quai", "la-fabrique", "le-jardin"}),
        ("?kind=fablab", {"la-fabrique"}),
        ("?kind=coworking,cafe", {"le-jardin"}),
        ("?q=fabrique", {"la-fabrique"}),
        ("?q=STRASBOURG", {"la-fabrique"}),
        ("?bbox=7.5,48.4,8.0,48.7", {"la-fabrique"}),
        ("?bbox=-3,47,-1,48", {"le-quai", "le-jardin"}),
        ("?network=reseau-ouest", {"le-quai"}),
        ("?near=47.65,-2.08&radius_km=5", {"le-quai", "le-jardin"}),
    ],
)
def test_the_geojson_takes_the_directorys_filters(
    client, place_a, place_b, network, make_place, query, expected
):
    make_place("Le Jardin", kinds=["coworking", "cafe"], latitude=47.66, longitude=-2.09)

    response = client.get("/api/v1/places.geojson" + query)

    assert response.status_code == 200
    assert {f["id"] for f in response.json()["features"]} == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?kind=castle", "kind"),
        ("?bbox=1,2,3", "bbox"),
        ("?bbox=a,b,c,d", "bbox"),
        ("?bbox=3,2,1,0", "bbox"),
        ("?near=91,0", "near"),
        ("?radius_km=-1", "radius_km"),
        ("?status=burning", "status"),
    ],
)
def test_bad_geojson_filters_are_a_422_problem(client, place_a, query, field):
    response = client.get("/api/v1/places.geojson" + query)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"].endswith("/validation")
    assert problem["title"]
    assert problem["errors"][0]["field"] == field


def test_the_geojson_needs_two_queries_whatever_the_number_of_places(
    client, make_place, django_assert_num_queries
):
    for n in range(50):
        make_place(f"Lieu {n}", kinds=["coworking", "fablab"], latitude=45 + n / 100, longitude=2.0)

    # the directory's version (3 small queries), then places and their kinds
    with django_assert_num_queries(5):
        response = client.get("/api/v1/places.geojson")

    features = response.json()["features"]
    assert len(features) == 50
    assert all(f["properties"]["kinds"] == ["coworking", "fablab"] for f in features)
    # served again from the cache: only the version is read
    with django_assert_num_queries(3):
        again = client.get("/api/v1/places.geojson")
    assert again.json() == response.json()


def test_the_geojson_is_revalidated_with_its_etag(client, make_place):
    make_place("Le Quai", latitude=47.65, longitude=-2.08)
    first = client.get("/api/v1/places.geojson")
    assert first["Cache-Control"] == "public, max-age=60"
    etag = first["ETag"]
    unchanged = client.get("/api/v1/places.geojson", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    other_filter = client.get("/api/v1/places.geojson?kind=fablab", HTTP_IF_NONE_MATCH=etag)
    assert other_filter.status_code == 200
    # the same filters written otherwise are the same document
    ignored = client.get("/api/v1/places.geojson?utm_source=x", HTTP_IF_NONE_MATCH=etag)
    assert ignored.status_code == 304
    a = client.get("/api/v1/places.geojson?kind=fablab&kind=coworking")["ETag"]
    b = client.get("/api/v1/places.geojson?kind=coworking,fablab")["ETag"]
    assert a == b


def test_the_cached_geojson_follows_changes_to_the_directory(client, make_place, network):
    # the network fixture holds "Le Quai"
    place = make_place("Le Port", latitude=47.66, longitude=-2.09)

    def names(response):
        return sorted(f["properties"]["name"] for f in response.json()["features"])

    etag = client.get("/api/v1/places.geojson")["ETag"]
    place.name = "Le Port renommé"
    place.save()
    renamed = client.get("/api/v1/places.geojson", HTTP_IF_NONE_MATCH=etag)
    assert renamed.status_code == 200
    assert "Le Port renommé" in names(renamed)

    assert names(client.get("/api/v1/places.geojson?network=reseau-ouest")) == ["Le Quai"]
    network.places.add(place)
    in_network = client.get("/api/v1/places.geojson?network=reseau-ouest")
    assert names(in_network) == ["Le Port renommé", "Le Quai"]

    make_place("La Forge", latitude=48.57, longitude=7.78)
    assert names(client.get("/api/v1/places.geojson")) == ["La Forge", "Le Port renommé", "Le Quai"]
    place.delete()
    assert names(client.get("/api/v1/places.geojson")) == ["La Forge", "Le Quai"]


def test_a_change_of_kinds_reaches_the_cached_geojson(client, make_place):
    from tiers.places.services import place_set_kinds

    place = make_place("Le Quai", kinds=["coworking"], latitude=47.65, longitude=-2.08)
    assert client.get("/api/v1/places.geojson?kind=fablab").json()["features"] == []
    place_set_kinds(place=place, kinds=["fablab"])
    features = client.get("/api/v1/places.geojson?kind=fablab").json()["features"]
    assert [f["properties"]["kinds"] for f in features] == [["fablab"]]


def test_the_geojson_is_compressed_for_clients_that_accept_it(client, make_place):
    make_place("Le Quai", latitude=47.65, longitude=-2.08)
    response = client.get("/api/v1/places.geojson", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    document = json.loads(gzip.decompress(response.content))
    assert document["features"][0]["properties"]["name"] == "Le Quai"
