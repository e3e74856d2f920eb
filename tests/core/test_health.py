from unittest import mock

from django.db.utils import OperationalError


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz_checks_the_database(client, db):
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_down(client, db):
    with mock.patch("tiers.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
