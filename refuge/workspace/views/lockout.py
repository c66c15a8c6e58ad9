"""Staff under coercion: "lock me out now" and the organisation's emergency lock (refuge/safety/actions/lockout.py).

Both end the session that sent them, with every other; the answer is the login page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.session_keys import end_session
from refuge.safety.actions.lockout import do_emergency_lock, do_lock_myself_out
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_safety import LockConfirmForm


def _refused(request: StaffRequest, form: LockConfirmForm, which: str) -> HttpResponse:
    context = {
        "lock_form": form if which == "me" else LockConfirmForm(prefix="me"),
        "emergency_form": form if which == "all" else LockConfirmForm(prefix="all"),
    }
    return render(request, "workspace/safety/lock.html", context, status=400)


@staff_view()
def lock_view(request: StaffRequest) -> HttpResponse:
    """The page of both locks, for every member."""
    context = {"lock_form": LockConfirmForm(prefix="me"), "emergency_form": LockConfirmForm(prefix="all")}
    return render(request, "workspace/safety/lock.html", context)


@require_POST
@staff_view()
def lock_me_out_view(request: StaffRequest) -> HttpResponse:
    form = LockConfirmForm(request.POST, prefix="me")
    if not form.is_valid():
        return _refused(request, form, "me")
    do_lock_myself_out(actor=request.member)
    end_session(request)
    messages.info(request, _("Your account is locked and every session has ended. A coordinator can unlock it."))
    return redirect("workspace:login")


@require_POST
@staff_view()
def emergency_lock_view(request: StaffRequest) -> HttpResponse:
    form = LockConfirmForm(request.POST, prefix="all")
    if not form.is_valid():
        return _refused(request, form, "all")
    do_emergency_lock(actor=request.member)
    end_session(request)
    messages.info(request, _("Every account of the organisation is locked and every session has ended."))
    return redirect("workspace:login")
