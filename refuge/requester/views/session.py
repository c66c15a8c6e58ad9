"""Entering a request with the receipt, and leaving it (the portal session, refuge/requester/session.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.intake.access import access_by_receipt
from refuge.requester.forms import ReceiptForm, ReplyForm
from refuge.requester.session import (
    end_portal_session,
    forget_portal_cookie,
    keep_portal_session,
    open_portal_session,
)
from refuge.requester.views.common import portal_view, render_portal
from refuge.requester.views.request import render_request_page


@portal_view
@sensitive_post_parameters("receipt", "body")
@sensitive_variables("form", "access", "unsent")
def status_view(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            access = access_by_receipt(form.cleaned_data["receipt"])
        except UserError as error:
            add_user_error(form, error)
            if error.code == "busy":
                # It may be the right receipt: the page must not carry it back.
                form.forget_receipt()
        else:
            unsent = form.cleaned_data["body"]
            if unsent:
                # The message typed before the session ended: shown again, ready to send.
                return render_request_page(request, access, ReplyForm(initial={"body": unsent}), unsent=True)
            response = redirect("requester:request")
            keep_portal_session(response, access)
            return response
    context = {"form": form, "has_session": open_portal_session(request) is not None}
    return render_portal(request, "requester/status.html", context, status=400 if form.errors else 200)


@portal_view
def leave_view(request: HttpRequest) -> HttpResponse:
    """End the portal session (the button posts; the page after it confirms)."""
    response: HttpResponse
    if request.method == "POST":
        response = redirect("requester:leave")
        end_portal_session(request, response)
    else:
        response = render_portal(request, "requester/left.html")
        forget_portal_cookie(response)
    return response


@portal_view
def quick_exit_view(request: HttpRequest) -> HttpResponse:
    """ "Leave quickly": end the session on the server, then go on to an ordinary site.

    A plain link, so it works without JavaScript. A GET that ends a session is safe
    here: the portal cookie is SameSite=Strict, so only a click on the portal's own
    page carries it; from anywhere else there is nothing to end.
    """
    response = HttpResponseRedirect(settings.REFUGE_QUICK_EXIT_URL)
    end_portal_session(request, response)
    return response
