"""An HTTP client for the API, authenticated as a persona by a personal token or the session."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client

from tiers.accounts.models import ApiToken, User

PROBLEM = "application/problem+json"
# A CSRF secret in Django's format (32 letters or digits), sent as cookie and header.
CSRF = "TiersCsrfTokenForTests0123456789"


class Api:
    """JSON in, JSON out, as a script would call the API."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> HttpResponse:
        return self.client.get(path, params or {}, headers=self.headers)

    def _send(self, method: str, path: str, body: Any, raw: str | bytes | None) -> HttpResponse:
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        send = getattr(self.client, method)
        return send(path, data, content_type="application/json", headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None) -> HttpResponse:
        return self._send("post", path, body, raw)

    def patch(self, path: str, body: Any = None, *, raw: str | bytes | None = None) -> HttpResponse:
        return self._send("patch", path, body, raw)

    def put(self, path: str, body: Any = None) -> HttpResponse:
        return self._send("put", path, body, None)

    def delete(self, path: str) -> HttpResponse:
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def api_as(db) -> Callable[[User | None], Api]:
    """`api_as(user)`: an API client with a fresh personal token of `user` (None: anonymous)."""

    def make(user: User | None) -> Api:
        if user is None:
            return Api(Client())
        _token, raw = ApiToken.issue(user=user, name="tests")
        return Api(Client(), {"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def session_api(db) -> Callable[..., Api]:
    """`session_api(user, csrf=True)`: signed in with the browser session, CSRF enforced."""

    def make(user: User, *, csrf: bool = True) -> Api:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
        return Api(client, {"X-CSRFToken": CSRF} if csrf else {})

    return make


@pytest.fixture
def as_persona(request: pytest.FixtureRequest, api_as: Callable[[User | None], Api]):
    """`as_persona("manager_a")`: the API as one of the personas of tests/conftest.py."""

    def make(name: str) -> Api:
        user = None if name == "visitor" else request.getfixturevalue(name)
        return api_as(user)

    return make


def assert_problem(response: HttpResponse, status: int, type_suffix: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and `type` ending so)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if type_suffix is not None:
        assert body["type"].endswith("/" + type_suffix), body["type"]
    return body


def error_fields(response: HttpResponse) -> set[str]:
    body = assert_problem(response, 422, "validation")
    return {error["field"] for error in body["errors"]}
