"""Every act on a case from its page: one form each, one action, back to the case.

The access rule is `access_case` (members of the team); each view validates its form,
calls one action from refuge/cases/actions/, and shows the case again with the form's
errors, or redirects to the part of the page it changed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import access_case, access_task, access_team_member
from refuge.cases.actions.details import do_change_stage, do_edit_case, do_set_lost_contact
from refuge.cases.actions.expenses import do_add_expense
from refuge.cases.actions.messages import do_message_requester
from refuge.cases.actions.notes import do_add_note
from refuge.cases.actions.tasks import do_add_task, do_complete_task
from refuge.cases.actions.team import do_add_team_member, do_remove_team_member, do_rotate_pending_keys, do_set_lead
from refuge.cases.models import Case
from refuge.cases.queries import compartments_held_only_by
from refuge.cases.reads import CaseSummary, open_case_summary, read_case_summary
from refuge.cases.stages import allowed_next
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_cases import (
    CaseEditForm,
    ExpenseForm,
    LostContactForm,
    MessageForm,
    NoteForm,
    StageForm,
    TaskForm,
    TeamAddForm,
)
from refuge.workspace.submit import submit
from refuge.workspace.views.cases import (
    case_metadata,
    case_page,
    case_post,
    case_url,
    case_url_of,
    edit_pathways,
    render_case,
    summary_shown,
    team_candidates,
    team_users,
)

log = logging.getLogger(__name__)

# --- acting on a case ----------------------------------------------------------------------------

Act = Callable[[User, Case, dict[str, Any]], Any]
Build = Callable[[Case], forms.Form]


def act_on_case(
    request: StaffRequest, case_id: uuid.UUID, form_name: str, build: Build, act: Act, done: str | None, anchor: str
) -> HttpResponse:
    """Validate one form of the case page, run its action, or show the page again with the errors.

    A key the member lacks, altered data and a conflict are shown by `case_page` (the boundary)."""
    user = request.member
    case = access_case(user, case_id).case
    form = build(case)
    if submit(form, lambda data: act(user, case, data)) is not None:
        if done:
            messages.success(request, done)
        return redirect(case_url(case, anchor))
    # Forms further down the page get a note at the top that links to their errors.
    failed = "" if form_name in {"action_form", "contact_form"} else anchor
    return render_case(request, case.pk, status=400, failed=failed, **{form_name: form})


@case_post
def case_stage_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return StageForm(request.POST, prefix="stage", allowed=allowed_next(case.stage))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_change_stage(
            actor=user,
            keyring=request.keyring,
            case=case,
            stage=data["stage"],
            version=data["version"],
            closing_reason=data["closing_reason"],
        )

    return act_on_case(request, case_id, "stage_form", build, act, _("The stage is changed."), "stage")


@case_post
def case_lost_contact_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    raising = request.POST.get("contact-lost") == "yes"

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_set_lost_contact(actor=user, keyring=request.keyring, case=case, lost=data["lost"])

    if raising:
        done = _(
            "The lost-contact alarm is raised. Follow the escalation plan: try every safe channel, then the lawyer."
        )
    else:
        done = _("The lost-contact alarm is cleared.")
    build: Build = lambda case: LostContactForm(request.POST, prefix="contact")  # noqa: E731
    return act_on_case(request, case_id, "contact_form", build, act, done, "top")


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


@case_post
def case_note_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_note(actor=user, keyring=request.keyring, case=case, body=data["body"])

    build: Build = lambda case: NoteForm(request.POST, prefix="note")  # noqa: E731
    return act_on_case(request, case_id, "note_form", build, act, _("The note is added."), "notes")


@case_post
def case_task_add_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TaskForm(request.POST, prefix="task", team=team_users(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_task(
            actor=user,
            keyring=request.keyring,
            case=case,
            title=data["title"],
            due_on=data["due_on"],
            owner=data["owner"],
            kind=data["kind"],
        )

    return act_on_case(request, case_id, "task_form", build, act, _("The task is added."), "tasks")


@case_post
def case_expense_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_expense(
            actor=user,
            keyring=request.keyring,
            case=case,
            category=data["category"],
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            spent_on=data["spent_on"],
            note=data["note"],
        )

    build: Build = lambda case: ExpenseForm(request.POST, prefix="expense")  # noqa: E731
    return act_on_case(request, case_id, "expense_form", build, act, _("The expense is recorded."), "expenses")


@case_post
def case_message_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_message_requester(actor=user, keyring=request.keyring, case=case, body=data["body"])

    done = _("Your message is sent. The requester reads it the next time they open their request.")
    build: Build = lambda case: MessageForm(request.POST, prefix="message")  # noqa: E731
    return act_on_case(request, case_id, "message_form", build, act, done, "conversation")


@case_post
def case_rotate_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        rotated = do_rotate_pending_keys(actor=user, keyring=request.keyring, case=case)
        if rotated:
            messages.info(
                request,
                ngettext("%(count)d key was rotated.", "%(count)d keys were rotated.", rotated) % {"count": rotated},
            )
        else:
            messages.warning(
                request,
                _("No key could be rotated by you: the keys still waiting are held by other members of the team."),
            )

    build: Build = lambda case: forms.Form(request.POST, prefix="action")  # noqa: E731
    return act_on_case(request, case_id, "action_form", build, act, None, "top")


@case_post
def case_task_done_view(request: StaffRequest, case_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        task = access_task(case, task_id)
        do_complete_task(actor=user, keyring=request.keyring, task=task)

    build: Build = lambda case: forms.Form(request.POST, prefix="action")  # noqa: E731
    return act_on_case(request, case_id, "action_form", build, act, _("The task is marked done."), "tasks")


# --- editing the case's own fields ------------------------------------------------------------


def _edit_page(request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """The boundary's page for a refused edit: the case as it is now, saying why nothing changed."""
    opened = open_case_summary(request.member, request.keyring, case_id)
    if refusal.code == CONFLICT:
        typed = request.POST.get("summary", "").strip()
        return _render_edit(request, opened, status=refusal.status, conflict=refusal.message, typed=typed)
    if refusal.code not in {LOCKED, UNREADABLE}:
        messages.error(request, refusal.message)
    # Nothing was written; the page says why (a key not held, or altered data).
    return _render_edit(request, opened, status=refusal.status)


@staff_view(page=_edit_page)
@sensitive_post_parameters()
def case_edit_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    if request.method == "POST":
        return _save_edit(request, case_id)
    return _render_edit(request, open_case_summary(request.member, request.keyring, case_id))


def _edit_initial(case: Case, summary: Any) -> dict[str, Any]:
    return {
        "version": case.version,
        "priority": case.priority,
        "pathway": case.pathway_id,
        "budget": case.budget,
        "currency": case.currency,
        "summary": "" if isinstance(summary, dict) else summary_shown(summary, case).text,
    }


def _render_edit(
    request: StaffRequest, opened: CaseSummary, form: CaseEditForm | None = None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    case = opened.case
    context: dict[str, Any] = {**case_metadata(case), **extra}
    if opened.locked or opened.unreadable:
        flags = {"locked": opened.locked, "unreadable": opened.unreadable}
        return render(request, "workspace/cases/edit.html", context | flags, status=status)
    summary = opened.summary
    structured = isinstance(summary, dict)
    if form is None:
        form = CaseEditForm(initial=_edit_initial(case, summary), pathways=edit_pathways(case))
    form.explain_summary(structured=structured)
    context |= {"form": form, "summary": summary_shown(summary, case) if structured else None}
    return render(request, "workspace/cases/edit.html", context, status=status)


def _save_edit(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    user, keyring = request.member, request.keyring
    case = access_case(user, case_id).case
    form = CaseEditForm(request.POST, pathways=edit_pathways(case))

    def save(data: dict[str, Any]) -> None:
        summary: str | None = data["summary"]
        if not (summary or "").strip() and isinstance(read_case_summary(user, keyring, case), dict):
            # Left empty while the summary is still the requester's answers: they stay as they are.
            summary = None
        do_edit_case(
            actor=user,
            keyring=keyring,
            case=case,
            version=data["version"],
            priority=data["priority"],
            pathway=data["pathway"],
            budget=data["budget"],
            currency=data["currency"],
            summary=summary,
        )

    if submit(form, save) is None:
        return _render_edit(request, open_case_summary(user, keyring, case_id), form, status=400)
    messages.success(request, _("The case is saved."))
    return redirect(case_url(case))


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
