"""The URL configuration's order: the portal is resolved first, and that changes no answer."""

from __future__ import annotations

from django.urls import URLResolver, get_resolver, resolve

from tests.access.routes import url_routes

PORTAL = "/r/"


def test_no_route_outside_the_portal_takes_an_address_under_the_portals_prefix() -> None:
    # refuge/urls.py tries the portal's routes before the workspace's; if another route could
    # match an address under /r/, moving the portal first would have changed which view answers.
    outside = [route for route in url_routes() if not route.path.startswith(PORTAL)]
    assert outside, "the walk found no route"
    # Each begins with a literal word (no converter, no regular expression that could match "r/").
    beginnings = {route.path: route.path.lstrip("/").removeprefix("^") for route in outside}
    assert [path for path, bare in beginnings.items() if bare.startswith("r/") or not bare[:1].isalnum()] == [
        "/"  # the home page: only the empty address
    ]


def test_the_portals_routes_are_tried_before_the_workspaces() -> None:
    includes = [str(entry.pattern) for entry in get_resolver().url_patterns if isinstance(entry, URLResolver)]
    assert includes.index("r/") < includes.index("")
    assert resolve("/r/some-organisation/ask/").view_name == "requester:ask"
    assert resolve("/requests/").view_name == "workspace:intake_inbox"
