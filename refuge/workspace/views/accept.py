"""Accepting a request: a case opens, the chosen team holds its keys, intake lets go.

Intake members and coordinators only (`access_request` answers 404 to everyone else).
"""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES
from refuge.cases.actions import do_accept_request
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.crypto import CryptoError
from refuge.intake.access import access_request
from refuge.intake.models import RequesterStatus
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.workspace.decorators import member, staff_view
from refuge.workspace.forms_people import AcceptForm


def _candidates(user: User) -> QuerySet[User]:
    """Who can be on a case team: the organisation's active coordinators, caseworkers and intake."""
    return User.objects.filter(organisation_id=user.organisation_id, is_active=True, role__in=CASE_ROLES).order_by(
        "role", "username"
    )


@staff_view()
def accept_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    help_request = access_request(user, request_id)
    data = request.POST if request.method == "POST" else None
    form = AcceptForm(data, candidates=_candidates(user), initial={"team": [user.pk]})
    if data is not None and form.is_valid():
        try:
            case = do_accept_request(
                actor=user,
                keyring=cast(Keyring, request.keyring),  # type: ignore[attr-defined]
                request=help_request,
                team=list(form.cleaned_data["team"]),
                priority=form.cleaned_data["priority"],
                lead=form.cleaned_data["lead"],
            )
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            # Nothing was written: the member does not hold the intake key (yet), or it was altered.
            form.add_error(None, _("You cannot open this request yet, so it cannot be accepted. Ask a coordinator."))
        else:
            messages.success(
                request, _("The case %(reference)s is open. Its team holds its keys.") % {"reference": case.reference}
            )
            if any(chosen.pk == user.pk for chosen in form.cleaned_data["team"]):
                return redirect("workspace:case_detail", case.pk)
            # Not on the team: the case is not theirs to open; back to the requests left.
            return redirect("workspace:intake_inbox")
    context = {"help_request": help_request, "form": form, "accepted": help_request.status == RequesterStatus.ACCEPTED}
    return render(request, "workspace/people/accept.html", context, status=400 if form.errors else 200)
