"""One surface per host name: the portal's host never answers the staff workspace, and the other way round.

Threat: the staff login reachable at the public address (SecureDrop separates its source
and journalist interfaces for the same reason). With REFUGE_PORTAL_HOSTS and
REFUGE_STAFF_HOSTS set, a request for the other surface gets the ordinary 404 page, as
for an address that does not exist; only the static files, the language switch and the
health check answer on every host. With neither set, every host serves both (one machine, one name).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from refuge.core.views import page_not_found

PORTAL_PREFIX = "/r/"
# The language switch serves both surfaces' pages.
EVERY_HOST = ("/static/", "/health/", "/i18n/")


def host_surface(host: str) -> str | None:
    """ "portal", "staff", or None (either list empty: both surfaces); a host in neither list gets neither."""
    portal, staff = settings.REFUGE_PORTAL_HOSTS, settings.REFUGE_STAFF_HOSTS
    if not portal and not staff:
        return None
    if host in portal:
        return "portal"
    if host in staff:
        return "staff"
    return "none"


class SurfaceHostsMiddleware:
    """404 for the surface a host name does not serve."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        surface = host_surface(split_domain_port(request.get_host())[0].lower())
        path = request.path_info
        if surface is None or path.startswith(EVERY_HOST):
            return self.get_response(request)
        is_portal_path = path.startswith(PORTAL_PREFIX)
        if (surface == "portal") != is_portal_path or surface == "none":
            return page_not_found(request)
        return self.get_response(request)
