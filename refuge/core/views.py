"""Error pages: translated, no stack traces, no secrets, nothing about what exists."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from refuge.core.health import database_reachable


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "errors/error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood. Please try again."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # 403 is only used for CSRF and similar; access to objects always answers 404.
    return _error(request, 403, _("Not allowed"), _("This action is not allowed."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The same page for "missing" and "not yours": it must not reveal what exists.
    return _error(request, 404, _("Not found"), _("There is nothing here, or you do not have access to it."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Something went wrong"),
        _(
            "Please try again in a moment. If you were saving something, open the page again first "
            "to see whether it was saved."
        ),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("Form expired"),
        _("This form was open too long or was sent twice. Go back, reload the page and send it again."),
    )


@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For the load balancer and monitoring: 200 when this process reaches the database, else 503.

    Says nothing else (no version, no counts): it answers on every host name.
    """
    if not database_reachable():
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
