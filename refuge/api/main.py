"""The JSON API v1: one NinjaAPI, its routers, its error body, and its addresses (docs/api.md).

django-ninja builds each endpoint from its typed signature: pydantic validates what comes
in and what goes out, and the same types generate the OpenAPI document served at
/api/v1/openapi.json and checked into docs/openapi.json (tests/api/test_openapi.py).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.parser import Parser

from refuge.api import errors
from refuge.api.auth import TokenAuth
from refuge.api.bodies import not_found_view, with_json_refusals
from refuge.api.views import applications, cases, exports, referrals, tasks

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


def _patterns() -> list[URLPattern | URLResolver]:
    patterns, _app, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLPattern):
            # ninja's root (kept for its name: ninja reverses it) raises a 404 that Django would render as a page.
            view = not_found_view if entry.name == "api-root" else entry.callback
            entry = URLPattern(entry.pattern, with_json_refusals(view), entry.default_args, entry.name)
        wrapped.append(entry)
    return wrapped


# Included by refuge/urls.py under api/v1/, namespace "api", when the first request reaches it (refuge/api/urls.py).
urlpatterns = _patterns()
