"""Security headers that every response carries (DESIGN.md §6, issue: security baseline)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# No third-party origin anywhere: a page that loads nothing from elsewhere leaks
# nothing to elsewhere (Tor users, blocked CDNs, tracking).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "connect-src 'self'",
    ]
)


# The requester portal's static files (refuge/requester/static/requester/).
PORTAL_STATIC = "/static/requester/"


class SecurityHeadersMiddleware:
    """Add CSP, permissions and cache headers; hide server details."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Also on static files, which WhiteNoise answers before Django's own middleware.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.path.startswith("/static/") or request.path.startswith(PORTAL_STATIC):
            # Pages hold case content: never keep them in a shared or browser cache. Nor the
            # portal's own files: a stylesheet in a seized phone's cache shows the portal was visited.
            response.headers["Cache-Control"] = "no-store"
        else:
            # Staff pages' files may stay in the member's browser, never in a shared cache.
            response.headers["Cache-Control"] = "private, max-age=60"
        response.headers.pop("Server", None)
        response.headers.pop("X-Powered-By", None)
        return response
