"""The case page's team panel: who is on the team, and the acts on it (add, make lead, take off).

Adding a member wraps the case key for them; taking one off deletes their wraps and rotates
what they could read (refuge/cases/actions.py). Only team members act (`access_case`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES, access_case, access_team_member
from refuge.cases.actions.team import do_add_team_member, do_remove_team_member, do_set_lead
from refuge.cases.models import Case
from refuge.cases.queries import compartments_held_only_by
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_team import TeamAddForm
from refuge.workspace.submit import submit
from refuge.workspace.views.cases import act_on_case, case_metadata, case_page, case_post, case_url, case_url_of


def team_users(case: Case) -> QuerySet[User]:
    return User.objects.filter(case_teams__case=case).order_by("username")


def team_candidates(case: Case) -> QuerySet[User]:
    """Members who could join the team: same organisation, active, a case role, not on it yet."""
    return (
        User.objects.filter(organisation_id=case.organisation_id, is_active=True, role__in=CASE_ROLES)
        .exclude(case_teams__case=case)
        .order_by("username")
    )


@case_post
def case_team_add_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TeamAddForm(request.POST, prefix="team", candidates=team_candidates(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_team_member(actor=user, keyring=request.keyring, case=case, member=data["member"], lead=data["lead"])

    return act_on_case(
        request, case_id, "team_form", build, act, _("The case is shared with the new team member."), "team"
    )


def _team_page(request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """A refused change of lead is said above the team card; a key refusal shows the case as for any act."""
    if refusal.code in {LOCKED, UNREADABLE, CONFLICT}:
        return case_page(request, refusal, case_id)
    messages.error(request, refusal.message)
    return redirect(case_url_of(case_id, "team"))


@require_POST
@staff_view(page=_team_page)
@sensitive_post_parameters()
def case_team_lead_view(request: StaffRequest, case_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """Make a member of the team its lead: one button per member on the team card, nothing typed."""
    case = access_case(request.member, case_id).case
    row = access_team_member(case, member_id)
    do_set_lead(actor=request.member, keyring=request.keyring, case=case, member=row.user)
    messages.success(request, _("%(member)s leads the case now.") % {"member": row.user.username})
    return redirect(case_url(case, "team"))


# --- taking someone off the team ----------------------------------------------------------------


def _removal_context(
    request: StaffRequest, case_id: uuid.UUID, member_id: uuid.UUID, form: forms.Form
) -> dict[str, Any]:
    case = access_case(request.member, case_id).case
    row = access_team_member(case, member_id)
    return {
        **case_metadata(case),
        "row": row,
        "form": form,
        "self_removal": row.user_id == request.member.pk,
        "only_theirs": compartments_held_only_by(case, row.user),
    }


def _removal_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, member_id: uuid.UUID, **_rest: Any
) -> HttpResponse:
    """A removal that could not be made: the confirmation page again, saying why."""
    form = forms.Form(request.POST)
    form.is_valid()
    if refusal.code in {LOCKED, UNREADABLE}:
        form.add_error(None, _("The case's keys could not be opened with yours, so nothing was changed."))
    else:
        form.add_error(None, refusal.message)
    context = _removal_context(request, case_id, member_id, form)
    return render(request, "workspace/cases/team_remove.html", context, status=refusal.status)


@staff_view(page=_removal_page)
def case_team_remove_view(request: StaffRequest, case_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """GET asks for confirmation; POST takes the member off and rotates what they could read."""
    form = forms.Form(request.POST if request.method == "POST" else None)
    context = _removal_context(request, case_id, member_id, form)
    case, row = context["case"], context["row"]
    if request.method != "POST":
        return render(request, "workspace/cases/team_remove.html", context)
    act = lambda data: do_remove_team_member(  # noqa: E731
        actor=request.member, keyring=request.keyring, case=case, member=row.user
    )
    removed = submit(form, act)
    if removed is None:
        return render(request, "workspace/cases/team_remove.html", context, status=400)
    if row.user_id == request.member.pk:
        messages.success(request, _("You have left the team of case %(reference)s.") % {"reference": case.reference})
        return redirect("workspace:case_list")
    done = _("%(member)s is no longer on the team.") % {"member": row.user.username}
    pending = removed.value.pending
    if pending:
        done += " " + ngettext(
            "%(count)d key they held is not yours to open: a member who holds it must rotate it from this page.",
            "%(count)d keys they held are not yours to open: a member who holds them must rotate them from this page.",
            len(pending),
        ) % {"count": len(pending)}
    messages.success(request, done)
    return redirect(case_url(case, "team"))
