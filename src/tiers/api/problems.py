"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error under /api/v1/ has the same shape:

    {"type": "https://tiers.invalid/problems/validation", "title": "...", "status": 422,
     "detail": "...", "errors": [{"field": "postcode", "message": "...", "code": "invalid"}]}

`type` is stable (clients may branch on it), `title` and `detail` are for people and are
translated, `errors` lists the fields in error (validation problems only).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.db import OperationalError
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from tiers.api.auth import CsrfFailed, InvalidToken
from tiers.core.errors import DomainError
from tiers.core.middleware import is_database_busy

PROBLEM_BASE = "https://tiers.invalid/problems/"
CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger("django.request")

# The `type` of problems that are not raised by a domain rule.
STATUS_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    422: "validation",
    429: "throttled",
    500: "server-error",
    503: "unavailable",
}

FieldError = dict[str, str]


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    code: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A problem details response. `code` becomes the stable `type` URI; `extra` adds
    members of the problem type (RFC 9457 §3.2), e.g. a domain rule's `code`."""
    code = code or STATUS_CODES.get(status, "error")
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": str(title),
        "status": status,
        "detail": str(detail or title),
    }
    if errors:
        body["errors"] = [{k: str(v) for k, v in error.items()} for error in errors]
    for name, value in (extra or {}).items():
        body.setdefault(name, value)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_problem(errors: list[FieldError], detail: str = "") -> HttpResponse:
    """422 with the fields in error; `detail` defaults to the first message."""
    if not detail:
        detail = (
            f"{errors[0]['field']}: {errors[0]['message']}"
            if len(errors) == 1 and errors[0].get("field")
            else _("Some fields are not valid; see “errors”.")
        )
    return problem(422, _("The request is not valid."), detail, code="validation", errors=errors)


def form_errors(errors: ErrorDict, *, only: Iterable[str] | None = None) -> list[FieldError]:
    """A Django form's errors as [{field, message, code}]; `__all__` for cross-field ones.

    With `only`, errors on other fields are left out (a partial update is not refused
    because of a field it does not touch)."""
    keep = set(only) | {"__all__"} if only is not None else None
    result = []
    for field, items in errors.get_json_data().items():
        if keep is not None and field not in keep:
            continue
        for item in items:
            result.append({"field": field, "message": item["message"], "code": item["code"]})
    return result


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", [])]
        # Drop ninja's own prefixes: where the value came from and the parameter's name.
        if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
            source = loc.pop(0)
            if source == "body" and loc and loc[0] == "payload":
                loc.pop(0)
        errors.append(
            {
                "field": ".".join(loc) or "body",
                "message": str(err.get("msg", "")),
                "code": str(err.get("type", "invalid")),
            }
        )
    return errors


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under /api/v1/ that no endpoint answers."""
    return problem(
        404,
        _("Not found."),
        _("There is no API endpoint at %(path)s.") % {"path": request.path},
        code="not-found",
    )


def with_problem_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one of ninja's path views so that a method it does not serve is a problem too,
    and HEAD answers like GET without the body (link checkers and feed readers use it)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = view(request, *args, **kwargs)
        if head:
            request.method = "HEAD"
            if response.streaming:
                response.streaming_content = []  # type: ignore[attr-defined]
            else:
                response.content = b""
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return problem(
                405,
                _("Method not allowed."),
                _("%(method)s is not allowed here; use %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
                headers={"Allow": allowed},
            )
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_problem(_pydantic_errors(exc))

    @api.exception_handler(DjangoValidationError)
    def django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors: list[FieldError] = []
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                errors.extend({"field": field, "message": m} for m in messages)
        else:
            errors = [{"field": "__all__", "message": m} for m in exc.messages]
        return validation_problem(errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        if isinstance(exc, InvalidToken):
            return problem(
                401,
                _("Authentication required."),
                str(exc),
                code="invalid-token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return problem(
            401,
            _("Authentication required."),
            _(
                "Send a personal API token (Authorization: Bearer …) or sign in "
                "(browser session with its CSRF token)."
            ),
            code="unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem(
            403,
            _("You may not do this."),
            str(exc) or _("Your account does not have the right to do this."),
            code="forbidden",
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, _("Not found."), _("Nothing matches this address."))

    @api.exception_handler(DomainError)
    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        # `code` is also a member of its own, so that clients need not parse `type`.
        return problem(
            exc.status,
            _("The action was refused."),
            str(exc.message),
            code=exc.code,
            extra={"code": exc.code},
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, CsrfFailed):
            return problem(403, _("CSRF check failed."), str(exc), code="csrf")
        if isinstance(exc, Throttled):
            headers = {"Retry-After": str(exc.wait)} if exc.wait else {}
            return problem(429, _("Too many requests."), headers=headers)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # ninja could not parse the body: not JSON, not UTF-8...
            return validation_problem(
                [
                    {
                        "field": "body",
                        "message": _("The body is not valid JSON."),
                        "code": "json_invalid",
                    }
                ]
            )
        return problem(exc.status_code, str(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(413, _("The request is too large."))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return problem(400, _("The request is not valid."))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Reported as Django reports a 500 (signal, log, mail to the admins when configured).
        got_request_exception.send(sender=None, request=request)
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return problem(500, _("Something went wrong on our side."))

    @api.exception_handler(OperationalError)
    def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
        """A database too busy to answer in time is temporary: 503 and Retry-After."""
        if not is_database_busy(exc):
            return server_error(request, exc)
        return problem(
            503,
            _("The service is busy."),
            _("Try again in a moment."),
            headers={"Retry-After": "2"},
        )
