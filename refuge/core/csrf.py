"""CSRF protection that works with `Referrer-Policy: no-referrer`.

With no-referrer, browsers send `Origin: null` on same-origin form posts (Fetch
standard), which Django's origin check rejects. We accept a null origin only
when the browser itself vouches the request is same-origin with
`Sec-Fetch-Site: same-origin` (sent by Chromium, Firefox/Tor Browser and Safari);
the CSRF token is still required as always. We keep no-referrer because a
Referer header would tell other sites which Refuge page a person came from.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware


class RefugeCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        # django-stubs does not declare this private method; it exists since Django 4.0.
        return bool(super()._origin_verified(request))  # type: ignore[misc]
