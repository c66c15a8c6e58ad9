"""One error body for every error the API gives (docs/api.md, "Errors").

Every refusal, whatever raised it, is answered with the same JSON shape:

    {"code": "not_found", "message": "There is nothing here, ...", "fields": []}

- an action's `UserError`, a key the member does not hold (`KeyNotHeld`) and stored data
  that does not open (`CryptoError`) go through the workspace's own mapping,
  `refuge.core.refusals.refusal_of`: the same code, message and status a page would show;
- `Http404` from an `access_*` function is the same body for missing and forbidden;
- a body that does not match the schema is a 400 naming each field;
- no or a bad token is 401, a scope the token lacks 403, too many calls 429, a method the
  address does not take 405, and anything unexpected a 500 that says nothing about why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from refuge.api.bodies import error_response, not_found
from refuge.core.errors import UserError
from refuge.core.refusals import refusal_of
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld

log = logging.getLogger(__name__)


class FieldError(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    """The one shape of every error answer."""

    code: str
    message: str
    fields: list[FieldError] = []


class ApiError(Exception):
    """A refusal of the API surface itself (token, scope, rate), answered with `status`."""

    def __init__(
        self, status: int, code: str, message: str | Promise, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


# The errors each kind of endpoint may answer, for the OpenAPI document (one body for all).
READ_ERRORS: dict[int, type[ErrorBody]] = dict.fromkeys((400, 401, 403, 404, 429), ErrorBody)
WRITE_ERRORS: dict[int, type[ErrorBody]] = {**READ_ERRORS, **dict.fromkeys((409, 413, 422), ErrorBody)}


def _on_api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error_response(error.status, error.code, error.message, headers=error.headers)


def _on_refusal(request: HttpRequest, error: Any) -> HttpResponse:
    refusal = refusal_of(error)
    # A well-formed request that the rules refuse (a stage the case cannot reach, a task already
    # done) is 422, so that 400 always means "does not match the schema" (docs/api.md, "Errors").
    status = 422 if refusal.status == 400 else refusal.status
    if isinstance(error, CryptoError):
        # Altered data or a tampered wrap: worth an operator's look. The address only, never content.
        log.error("%s did not decrypt; it may have been tampered with", request.path)
    fields = [(error.field, refusal.message)] if isinstance(error, UserError) and error.field else []
    return error_response(status, refusal.code, refusal.message, fields)


def _on_not_found(request: HttpRequest, error: Any) -> HttpResponse:
    return not_found()


def _field_name(location: Iterable[Any]) -> str:
    # ("body", "referral", "urgency") -> "urgency"; ("query", "page") -> "page"
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts[1:] if len(parts) > 1 and parts[0] in {"referral", "change", "task"} else parts)


def _on_schema_error(request: HttpRequest, error: SchemaError) -> HttpResponse:
    fields = [(_field_name(item.get("loc", ())), _message_of(item)) for item in error.errors]
    return error_response(400, "invalid", _("Some values are missing or not valid; see fields."), fields)


def _message_of(item: dict[str, Any]) -> str:
    # pydantic's own English words name the rule broken; the field name says where.
    kind = str(item.get("type", ""))
    if kind == "missing":
        return _("This is required.")
    if kind.startswith("string_too_long") or kind == "too_long":
        return _("This is too long.")
    if kind == "value_error":
        return str(item.get("msg", "")).removeprefix("Value error, ")
    return _("This value is not valid here.")


def _on_unauthenticated(request: HttpRequest, error: Any) -> HttpResponse:
    return error_response(
        401,
        "unauthenticated",
        _("Send a valid API token as 'Authorization: Bearer <token>'. It may have expired or been revoked."),
        headers={"WWW-Authenticate": "Bearer"},
    )


def _on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # ninja's own refusals (a body that is not JSON at all, for one).
    return error_response(error.status_code, "bad_request", _("The request could not be understood."))


def _on_unexpected(request: HttpRequest, error: Any) -> HttpResponse:
    log.error("the API failed on %s", request.path, exc_info=error)
    return error_response(
        500,
        "server_error",
        _("Something went wrong. If you were changing something, read it again to see whether it was saved."),
    )


def install(api: NinjaAPI) -> None:
    """Answer every exception the API's endpoints raise with the one error body."""
    api.add_exception_handler(Exception, _on_unexpected)
    api.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    api.add_exception_handler(UserError, _on_refusal)
    api.add_exception_handler(KeyNotHeld, _on_refusal)
    api.add_exception_handler(CryptoError, _on_refusal)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(SchemaError, _on_schema_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, _on_unauthenticated)
    api.add_exception_handler(HttpError, _on_http_error)  # type: ignore[arg-type]
