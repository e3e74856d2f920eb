"""Every error under /api/v1/ is an RFC 9457 problem; the OpenAPI document covers every path."""

from __future__ import annotations

import json
import re
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from tests.api.conftest import PROBLEM, assert_problem
from tiers.api.urls import api as ninja_api


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/nothing-here"),
        ("post", "/api/v1/nothing-here"),
        ("delete", "/api/v1/places/le-quai/nothing"),
        ("get", "/api/v1/places/"),
        ("get", "/api/v1/memberships/not-a-number"),
        ("get", "/api/v1/places/le%00quai"),
        ("get", "/api/v1/v2/places"),
    ],
)
def test_unknown_paths_are_404_problems(db, method, path) -> None:
    response = getattr(Client(), method)(path)
    body = assert_problem(response, 404, "not-found")
    assert "<html" not in response.content.decode().lower()
    assert body["title"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/places", {"GET", "POST"}),
        ("delete", "/api/v1/places/le-quai", {"GET", "PATCH"}),
        ("post", "/api/v1/networks", {"GET"}),
        ("get", "/api/v1/memberships/1", {"PATCH", "DELETE"}),
    ],
)
def test_wrong_method_is_405_problem(db, method, path, allowed) -> None:
    response = getattr(Client(), method)(path)
    assert_problem(response, 405, "method-not-allowed")
    assert {m.strip() for m in response["Allow"].split(",")} == allowed


def test_problem_shape(api_as, make_user, place_a) -> None:
    response = api_as(make_user()).post("/api/v1/places", {"name": "", "postcode": "x"})
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["type"] == "https://tiers.invalid/problems/validation"
    assert body["status"] == 422
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    assert {e["field"] for e in body["errors"]} == {"name", "postcode"}
    assert all(set(e) >= {"field", "message"} for e in body["errors"])


def test_api_root_points_to_the_documents(db) -> None:
    body = Client().get("/api/v1/").json()
    assert body["openapi"].endswith("/api/v1/openapi.json")
    assert body["docs"].endswith("/api/v1/docs")


def test_docs_page(db) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


# --- the OpenAPI document ------------------------------------------------------------------


def _routes() -> set[tuple[str, str]]:
    """(path, method) of every operation ninja serves, from its URL patterns."""
    routes = set()
    for bound in ninja_api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                if not operation.include_in_schema:
                    continue
                full = "/api/v1/" + (bound.prefix.strip("/") + "/" + path.lstrip("/")).strip("/")
                full = re.sub(r"\{\w+:(\w+)\}", r"{\1}", full)
                for method in operation.methods:
                    routes.add((full, method.lower()))
    return routes


def test_openapi_document_documents_every_path(db) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    expected = {
        ("/api/v1/places", "get"),
        ("/api/v1/places", "post"),
        ("/api/v1/places/{slug}", "get"),
        ("/api/v1/places/{slug}", "patch"),
        ("/api/v1/places/{slug}/memberships", "get"),
        ("/api/v1/places/{slug}/memberships", "post"),
        ("/api/v1/memberships/{membership_id}", "patch"),
        ("/api/v1/memberships/{membership_id}", "delete"),
        ("/api/v1/networks", "get"),
        ("/api/v1/networks/{slug}", "get"),
        ("/api/v1/networks/{slug}", "patch"),
        ("/api/v1/networks/{slug}/places", "post"),
        ("/api/v1/networks/{slug}/places/{place_slug}", "delete"),
    }
    assert expected <= documented
    assert _routes() == documented
    for path, method in documented:
        operation = document["paths"][path][method]
        assert operation.get("summary"), (path, method)
        assert operation["responses"], (path, method)
    # writes declare their security schemes and their problems
    patch = document["paths"]["/api/v1/places/{slug}"]["patch"]
    assert patch["security"]
    assert {"401", "403", "404", "422"} <= set(patch["responses"])
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenAuth"].items()
    assert schemes["SessionAuth"]["in"] == "cookie"


# --- failures on our side -------------------------------------------------------------------


def test_a_locked_database_is_a_503_problem(db) -> None:
    with mock.patch(
        "tiers.api.places.apply_filters", side_effect=OperationalError("database is locked")
    ):
        response = Client().get("/api/v1/places")
    assert_problem(response, 503, "unavailable")
    assert response["Retry-After"] == "2"


def test_an_unexpected_error_is_reported_and_a_500_problem(db, caplog) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("tiers.api.places.apply_filters", side_effect=RuntimeError("bug")):
        response = client.get("/api/v1/places")
    assert_problem(response, 500, "server-error")
    assert "bug" not in response.content.decode()  # no internals shown to the client
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


def test_other_database_errors_are_not_hidden_as_busy(db) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("tiers.api.places.apply_filters", side_effect=OperationalError("no table")):
        response = client.get("/api/v1/places")
    assert_problem(response, 500, "server-error")


def test_openapi_enumerations_are_the_right_ones(db) -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]

    def enum(schema: str, field: str) -> set[str]:
        return set(schemas[schema]["properties"][field]["enum"])

    assert enum("PlaceSummary", "status") == {"open", "project", "closed"}
    assert enum("MembershipOut", "status") == {"resident", "user", "beneficiary"}
    assert enum("MembershipOut", "state") == {"pending", "active", "declined", "ended"}
    assert "coworking" in set(schemas["PlaceSummary"]["properties"]["kinds"]["items"]["enum"])


def test_head_answers_like_get_without_a_body(client, place_a):
    for path in ["/api/v1/places", f"/api/v1/places/{place_a.slug}", "/api/v1/places.geojson",
                 "/api/v1/places.csv"]:  # fmt: skip
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head["Content-Type"] == get["Content-Type"]
        assert b"".join(head.streaming_content if head.streaming else [head.content]) == b""
    assert client.head("/api/v1/places/nowhere").status_code == 404
