"""The API's one error body and the wrapper of its views, without django-ninja or pydantic.

Kept apart from `errors.py` and `main.py` so that refuge/urls.py can answer every address
under /api/ that is no endpoint, and set the API's body limit, without importing the API:
ninja, pydantic and the endpoints load on the first request to /api/v1/ (refuge/api/urls.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _

# The largest request body the API reads: a referral's longest texts, escaped as JSON (\uXXXX is
# six bytes a character), fit in it with room.
MAX_API_BODY_BYTES = 1024 * 1024


def error_response(
    status: int,
    code: str,
    message: str | Promise,
    fields: Iterable[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": str(message), "fields": [{"field": f, "message": m} for f, m in fields]}
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def not_found() -> HttpResponse:
    # The same words as the workspace's 404 page: it must not reveal what exists.
    return error_response(404, "not_found", _("There is nothing here, or you do not have access to it."))


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every address under /api/ that is no endpoint: the same body as an object not found."""
    return not_found()


def with_json_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja's own 405 answered with the one error body; bodies up to MAX_API_BODY_BYTES, refused as JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            refused = error_response(405, "method_not_allowed", _("This address does not take this method."))
            refused["Allow"] = response["Allow"]
            return refused
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # token auth: no cookie, no CSRF
    wrapper.max_body_bytes = MAX_API_BODY_BYTES  # type: ignore[attr-defined]
    # The body middleware's refusal reaches TokenAuth, which answers it as JSON.
    wrapper.shows_body_errors = True  # type: ignore[attr-defined]
    return wrapper


# Every other address under /api/, whatever the method or body: the API's own 404 (refuge/urls.py).
missing_address = with_json_refusals(not_found_view)
