"""Checking in, and "help now" (refuge/safety/actions/check_ins.py).

Threat: an observer of the screen, a seized phone, an enumerating stranger. The check-in
page is the same for everyone; its answer is the same page for a normal check-in and a
duress one, and for a request with a schedule or without (a next check-in is always shown,
refuge/safety/actions/check_ins.py, UNSCHEDULED_NEXT). A wrong receipt gets the same
answers as "Check a request you sent".
"""

from __future__ import annotations

import contextlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.intake.access import access_by_receipt
from refuge.requester.forms_check_in import CheckInForm
from refuge.requester.session import keep_portal_session, open_portal_session
from refuge.requester.views.common import portal_view, render_portal
from refuge.requester.views.request import session_ended
from refuge.safety.actions.check_ins import CheckInAnswer, do_check_in


@portal_view
@sensitive_post_parameters("receipt", "message")
@sensitive_variables("form", "access")
def check_in_view(request: HttpRequest) -> HttpResponse:
    form = CheckInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            access = access_by_receipt(form.cleaned_data["receipt"])
            answer = do_check_in(access=access, message=form.cleaned_data["message"])
        except UserError as error:
            add_user_error(form, error)
            if error.code == "busy":
                form.forget_receipt()
        else:
            return _received(request, answer)
    return render_portal(request, "requester/check_in.html", {"form": form}, status=400 if form.errors else 200)


@portal_view
@require_POST
def help_now_view(request: HttpRequest) -> HttpResponse:
    """ "I need help now", from the request page: an alarm, openly."""
    session = open_portal_session(request)
    if session is None:
        return session_ended(request)
    # Too many check-ins this hour: the alarms already raised stand; the answer is the same.
    with contextlib.suppress(UserError):
        do_check_in(access=session, message="", help_now=True)
    response = redirect("requester:help_sent")
    keep_portal_session(response, session)
    return response


@portal_view
def help_sent_view(request: HttpRequest) -> HttpResponse:
    session = open_portal_session(request)
    if session is None:
        return session_ended(request)
    response = render_portal(request, "requester/help_sent.html")
    keep_portal_session(response, session)
    return response


def _received(request: HttpRequest, answer: CheckInAnswer) -> HttpResponse:
    context = {"received_at": answer.received_at, "next_due_at": answer.next_due_at}
    return render_portal(request, "requester/check_in_done.html", context)


@portal_view
def safety_guide_view(request: HttpRequest) -> HttpResponse:
    """Keeping the receipt and the duress word safe, and what to do if the phone is taken."""
    return render_portal(request, "requester/safety_guide.html")
