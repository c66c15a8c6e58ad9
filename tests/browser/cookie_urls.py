"""A two-view URLconf for the browser layer's cookie test (never installed in production)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def set_cookie(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("set", content_type="text/plain")
    response.set_cookie("__Host-probe", "kept", secure=True, httponly=True, samesite="Strict", path="/")
    return response


def read_cookie(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"cookie={request.COOKIES.get('__Host-probe', 'missing')}", content_type="text/plain")


urlpatterns = [
    path("set-cookie/", set_cookie),
    path("read-cookie/", read_cookie),
]
