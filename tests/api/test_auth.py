"""Authentication: personal tokens, and the browser session with its CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import CSRF, Api, assert_problem
from tiers.accounts.models import ApiToken

QUAI = "/api/v1/places/le-quai"


def bearer(raw: str) -> Api:
    return Api(Client(), {"Authorization": f"Bearer {raw}"})


def test_a_valid_token_authenticates(manager_a, place_a) -> None:
    token, raw = ApiToken.issue(user=manager_a, name="script")
    response = bearer(raw).patch(QUAI, {"town": "Redon (35)"})
    assert response.status_code == 200, response.content
    place_a.refresh_from_db()
    assert place_a.town == "Redon (35)"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_acts_as_its_owner_only(manager_b, place_a) -> None:
    _token, raw = ApiToken.issue(user=manager_b, name="script")
    assert_problem(bearer(raw).patch(QUAI, {"town": "Ailleurs"}), 403, "forbidden")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tiers_unknown",
        "Bearer ",
        "Bearer " + "x" * 5000,
    ],
)
def test_an_unknown_token_is_401(place_a, header) -> None:
    response = Api(Client(), {"Authorization": header}).patch(QUAI, {"town": "X"})
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert body["type"].endswith(("invalid-token", "unauthenticated"))
    place_a.refresh_from_db()
    assert place_a.town == "Redon"


def test_a_revoked_token_is_401(manager_a, place_a) -> None:
    token, raw = ApiToken.issue(user=manager_a, name="script")
    assert bearer(raw).patch(QUAI, {"town": "Un"}).status_code == 200
    token.delete()  # revoked in the profile
    response = bearer(raw).patch(QUAI, {"town": "Deux"})
    assert_problem(response, 401, "invalid-token")
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    place_a.refresh_from_db()
    assert place_a.town == "Un"


def test_the_token_of_a_deactivated_person_is_401(manager_a, place_a) -> None:
    _token, raw = ApiToken.issue(user=manager_a, name="script")
    manager_a.is_active = False
    manager_a.save(update_fields=["is_active"])
    assert_problem(bearer(raw).patch(QUAI, {"town": "X"}), 401, "invalid-token")


def test_another_scheme_is_not_a_token(place_a) -> None:
    response = Api(Client(), {"Authorization": "Basic bWFuYWdlcjpwYXNz"}).patch(QUAI, {})
    assert_problem(response, 401, "unauthenticated")


def test_a_wrong_token_is_401_even_with_a_session(manager_a, place_a) -> None:
    client = Client()
    client.force_login(manager_a)
    response = Api(client, {"Authorization": "Bearer tiers_wrong"}).patch(QUAI, {"town": "X"})
    assert_problem(response, 401, "invalid-token")


def test_a_token_needs_no_csrf_token(manager_a, place_a) -> None:
    _token, raw = ApiToken.issue(user=manager_a, name="script")
    client = Client(enforce_csrf_checks=True)
    response = Api(client, {"Authorization": f"Bearer {raw}"}).patch(QUAI, {"town": "Y"})
    assert response.status_code == 200


# --- the browser session ----------------------------------------------------------------


def test_session_with_csrf_token_may_write(session_api, manager_a, place_a) -> None:
    response = session_api(manager_a).patch(QUAI, {"town": "Redon centre"})
    assert response.status_code == 200, response.content
    place_a.refresh_from_db()
    assert place_a.town == "Redon centre"


@pytest.mark.parametrize("method", ["patch", "post_membership", "delete_membership"])
def test_session_without_csrf_token_is_403(session_api, manager_a, member_a, place_a, method):
    from tiers.places.models import Membership

    api = session_api(manager_a, csrf=False)
    membership = Membership.objects.get(user=member_a)
    if method == "patch":
        response = api.patch(QUAI, {"town": "Piraté"})
    elif method == "post_membership":
        response = api.post("/api/v1/places/la-fabrique/memberships", {})
    else:
        response = api.delete(f"/api/v1/memberships/{membership.pk}")
    assert_problem(response, 403, "csrf")
    place_a.refresh_from_db()
    membership.refresh_from_db()
    assert place_a.town == "Redon"
    assert membership.state == "active"
    assert Membership.objects.filter(user=manager_a).count() == 1


def test_session_with_a_wrong_csrf_token_is_403(session_api, manager_a, place_a) -> None:
    api = session_api(manager_a)
    api.headers = {"X-CSRFToken": CSRF[::-1]}
    assert_problem(api.patch(QUAI, {"town": "Piraté"}), 403, "csrf")
    place_a.refresh_from_db()
    assert place_a.town == "Redon"


def test_session_reads_need_no_csrf_token(session_api, manager_a, place_a) -> None:
    response = session_api(manager_a, csrf=False).get("/api/v1/places/le-quai/memberships")
    assert response.status_code == 200


def test_anonymous_write_is_401_not_a_csrf_error(place_a) -> None:
    client = Client(enforce_csrf_checks=True)
    response = Api(client).patch(QUAI, {"town": "X"})
    assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == "Bearer"
