"""A URLconf whose one view crashes, to look at the 500 page (tests only)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_IN_THE_CRASH = "this-must-not-reach-the-visitor-7f3a"


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_IN_THE_CRASH)


urlpatterns = [path("crash/", crash)]

handler404 = "refuge.core.views.page_not_found"
handler500 = "refuge.core.views.server_error"
