"""The JSON API v1: one NinjaAPI, its routers, its error body, and its addresses (docs/api.md).

django-ninja builds each endpoint from its typed signature: pydantic validates what comes
in and what goes out, and the same types generate the OpenAPI document served at
/api/v1/openapi.json and checked into docs/openapi.json (tests/api/test_openapi.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.parser import Parser

from refuge.api import errors
from refuge.api.auth import TokenAuth
from refuge.api.views import applications, cases, exports, referrals, tasks

# A referral's longest texts, escaped as JSON (\uXXXX is six bytes a character), fit with room.
MAX_API_BODY_BYTES = 1024 * 1024

DESCRIPTION = """\
Refuge's JSON API for integrations and scripts. Authenticate with a member's API token
(`Authorization: Bearer refuge_...`), made on the member's account page in the workspace.
A token bound to a key pair opens encrypted content when the request also carries the
script's X25519 private key as `Refuge-Unlock: <base64>` (docs/keys.md, "API tokens").
Every error has one body: `{"code", "message", "fields"}`. See docs/api.md.
"""


class ObjectParser(Parser):
    """A body is one JSON object. ninja would otherwise hand a bare string to a schema, whose
    attribute reader calls methods of it (`"AAA".title()` became a task's title: found by schemathesis)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data


api = NinjaAPI(
    title="Refuge API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    # No interactive docs page: it would load scripts from another host (docs/architecture.md).
    docs_url=None,
    openapi_url="/openapi.json",
    parser=ObjectParser(),
)
errors.install(api)
for module in (cases, tasks, applications, exports, referrals):
    api.add_router("", module.router)


def _with_json_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja's own 405 answered with the one error body; bodies up to MAX_API_BODY_BYTES, refused as JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            refused = errors.error_response(405, "method_not_allowed", _("This address does not take this method."))
            refused["Allow"] = response["Allow"]
            return refused
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # token auth: no cookie, no CSRF
    wrapper.max_body_bytes = MAX_API_BODY_BYTES  # type: ignore[attr-defined]
    # The body middleware's refusal reaches TokenAuth, which answers it as JSON.
    wrapper.shows_body_errors = True  # type: ignore[attr-defined]
    return wrapper


def _patterns() -> list[URLPattern | URLResolver]:
    patterns, _app, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLPattern):
            # ninja's root (kept for its name: ninja reverses it) raises a 404 that Django would render as a page.
            view = errors.not_found_view if entry.name == "api-root" else entry.callback
            entry = URLPattern(entry.pattern, _with_json_refusals(view), entry.default_args, entry.name)
        wrapped.append(entry)
    return wrapped


# Included by refuge/urls.py under api/v1/, namespace "api".
urls = (_patterns(), "api", "api")
# Every other address under /api/, whatever the method or body: the API's own 404.
not_found_view = _with_json_refusals(errors.not_found_view)
