"""A locked database answers 503 with Retry-After, never a 500."""

from unittest import mock

from django.db.utils import OperationalError


def test_locked_database_gives_a_503_page(client, db):
    with mock.patch(
        "tiers.places.views.apply_filters", side_effect=OperationalError("database is locked")
    ):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"


def test_locked_database_gives_a_503_problem_in_the_api(client, db):
    with mock.patch(
        "tiers.api.opendata.apply_filters", side_effect=OperationalError("database is locked")
    ):
        response = client.get("/api/v1/places.geojson")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"


def test_other_database_errors_are_not_hidden(client, db):
    client.raise_request_exception = True
    with mock.patch(
        "tiers.places.views.apply_filters", side_effect=OperationalError("no such table")
    ):
        try:
            client.get("/")
        except OperationalError:
            return
    raise AssertionError("the error should propagate")
