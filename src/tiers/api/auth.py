"""Who is calling: a personal API token, or the browser session (with its CSRF token).

A token is not an ambient credential (the browser never sends it by itself), so requests
authenticated by a token need no CSRF token. The session cookie is sent by the browser on
every request, so the session only authenticates an unsafe method (POST, PATCH, DELETE...)
when the request also carries the CSRF token, exactly as Django's forms do.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from tiers.accounts.models import ApiToken, User


class InvalidToken(AuthenticationError):
    """A bearer token was sent but is unknown, revoked, or its owner deactivated."""

    def __init__(self) -> None:
        super().__init__(401, _("This API token is not valid (unknown or revoked)."))


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(
            403,
            _(
                "A request authenticated by the browser session needs the CSRF token "
                "(X-CSRFToken header); scripts should use a personal API token instead."
            ),
        )


class TokenAuth(HttpBearer):
    """`Authorization: Bearer tiers_…`: a personal token created in the profile."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = ApiToken.authenticate(token.strip())
        if user is None:
            # An explicit but wrong token is an error, even if a session cookie is also sent.
            raise InvalidToken
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session; unsafe methods also need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # Nobody signed in: not a CSRF question, just not authenticated (401, not 403).
            return None
        return super().__call__(request)

    def _get_key(self, request: HttpRequest) -> str | None:
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise CsrfFailed
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user


def token_or_session() -> list[Any]:
    """The authentication of every endpoint that needs a signed-in person."""
    return [TokenAuth(), SessionAuth()]


# Kept for the other routers written against the first version of this module.
SessionOrToken = token_or_session


def caller(request: HttpRequest) -> User:
    """The authenticated person (only on endpoints with `token_or_session()`)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user
