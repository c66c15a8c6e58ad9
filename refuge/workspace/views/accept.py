"""Accepting a request: a case opens, the chosen team holds its keys, intake lets go.

Intake members and coordinators only (`access_request` answers 404 to everyone else).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Priority
from refuge.intake.access import access_request
from refuge.intake.models import HelpRequest, RequesterStatus, Urgency
from refuge.workspace.decorators import LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_people import AcceptForm
from refuge.workspace.submit import submit
from refuge.workspace.views.inbox import intake_context


def _candidates(user: User) -> QuerySet[User]:
    """Who can be on a case team: the organisation's active coordinators, caseworkers and intake."""
    return User.objects.filter(organisation_id=user.organisation_id, is_active=True, role__in=CASE_ROLES).order_by(
        "role", "username"
    )


# The priority offered first follows what the requester said about their danger; the member
# confirms or changes it.
PRIORITY_FROM_URGENCY = {
    Urgency.DANGER_NOW: Priority.EMERGENCY,
    Urgency.WEEKS: Priority.URGENT,
    Urgency.NOT_URGENT: Priority.NORMAL,
}


def _accept_form(request: StaffRequest, help_request: HelpRequest) -> AcceptForm:
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {"team": [request.member.pk]}
    priority = PRIORITY_FROM_URGENCY.get(help_request.urgency)  # type: ignore[call-overload]
    if priority is not None:
        initial["priority"] = priority.value
    return AcceptForm(data, candidates=_candidates(request.member), initial=initial)


def _render(request: StaffRequest, request_id: uuid.UUID, form: AcceptForm, *, status: int) -> HttpResponse:
    help_request = access_request(request.member, request_id)
    context = intake_context(request.member) | {
        "help_request": help_request,
        "form": form,
        "accepted": help_request.status == RequesterStatus.ACCEPTED,
    }
    return render(request, "workspace/people/accept.html", context, status=status)


def _accept_page(request: StaffRequest, refusal: Refusal, request_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """The boundary's page: the form again, saying why nothing was accepted."""
    form = _accept_form(request, access_request(request.member, request_id))
    form.is_valid()
    if refusal.code in {LOCKED, UNREADABLE}:
        # Nothing was written: the member does not hold the intake key (yet), or it was altered.
        form.add_error(None, _("You cannot open this request yet, so it cannot be accepted. Ask a coordinator."))
        return _render(request, request_id, form, status=400)
    form.add_error(None, refusal.message)
    return _render(request, request_id, form, status=refusal.status)


@staff_view(page=_accept_page)
def accept_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    user = request.member
    help_request = access_request(user, request_id)
    form = _accept_form(request, help_request)
    if request.method != "POST":
        return _render(request, request_id, form, status=200)
    act = lambda data: do_accept_request(  # noqa: E731
        actor=user,
        keyring=request.keyring,
        request=help_request,
        team=list(data["team"]),
        priority=data["priority"],
        lead=data["lead"],
    )
    accepted = submit(form, act)
    if accepted is None:
        return _render(request, request_id, form, status=400)
    case = accepted.value
    messages.success(
        request, _("The case %(reference)s is open. Its team holds its keys.") % {"reference": case.reference}
    )
    if any(chosen.pk == user.pk for chosen in form.cleaned_data["team"]):
        return redirect("workspace:case_detail", case.pk)
    # Not on the team: the case is not theirs to open; back to the requests left.
    return redirect("workspace:intake_inbox")
