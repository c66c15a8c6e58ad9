"""Every act on a case from its page: one form each, one action, back to the case.

The access rule is `access_case` (members of the team); each view validates its form,
calls one action from refuge/cases/actions.py, and shows the case again with the form's
errors, or redirects to the part of the page it changed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

from refuge.accounts.models import User
from refuge.cases import actions
from refuge.cases.access import access_case
from refuge.cases.models import (
    Case,
    Task,
    TeamMember,
)
from refuge.cases.queries import (
    compartments_held_only_by,
    read_summary,
)
from refuge.cases.stages import allowed_next
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld
from refuge.workspace.decorators import member, staff_view
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
from refuge.workspace.views.cases import (
    case_metadata,
    case_post,
    case_url,
    edit_pathways,
    keyring_of,
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
    request: HttpRequest, case_id: uuid.UUID, form_name: str, build: Build, act: Act, done: str | None, anchor: str
) -> HttpResponse:
    """Validate one form of the case page, run its action, or show the page again with the errors."""
    user = member(request)
    case = access_case(user, case_id).case
    form = build(case)
    if form.is_valid():
        try:
            act(user, case, form.cleaned_data)
        except UserError as error:
            if error.code == "conflict":
                return _conflict(request, case_id, error)
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            # Nothing was written; the page says why (a key not held, or altered data).
            return render_case(request, case, status=403)
        else:
            if done:
                messages.success(request, done)
            return redirect(case_url(case, anchor))
    # Forms further down the page get a note at the top that links to their errors.
    failed = "" if form_name in {"action_form", "contact_form"} else anchor
    return render_case(request, case, status=400, failed=failed, **{form_name: form})


def _conflict(request: HttpRequest, case_id: uuid.UUID, error: UserError) -> HttpResponse:
    """Someone saved first: show the case as it is now, with fresh forms, and say so."""
    case = access_case(member(request), case_id).case
    return render_case(request, case, status=409, conflict=str(error.message))


@case_post
def case_stage_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return StageForm(request.POST, prefix="stage", allowed=allowed_next(case.stage))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_change_stage(
            actor=user,
            keyring=keyring_of(request),
            case=case,
            stage=data["stage"],
            version=data["version"],
            closing_reason=data["closing_reason"],
        )

    return act_on_case(request, case_id, "stage_form", build, act, _("The stage is changed."), "stage")


@case_post
def case_lost_contact_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    raising = request.POST.get("contact-lost") == "yes"

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_set_lost_contact(actor=user, keyring=keyring_of(request), case=case, lost=data["lost"])

    if raising:
        done = _(
            "The lost-contact alarm is raised. Follow the escalation plan: try every safe channel, then the lawyer."
        )
    else:
        done = _("The lost-contact alarm is cleared.")
    build: Build = lambda case: LostContactForm(request.POST, prefix="contact")  # noqa: E731
    return act_on_case(request, case_id, "contact_form", build, act, done, "top")


@case_post
def case_team_add_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TeamAddForm(request.POST, prefix="team", candidates=team_candidates(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_team_member(
            actor=user, keyring=keyring_of(request), case=case, member=data["member"], lead=data["lead"]
        )

    return act_on_case(
        request, case_id, "team_form", build, act, _("The case is shared with the new team member."), "team"
    )


@case_post
def case_team_lead_view(request: HttpRequest, case_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """Make a member of the team its lead: one button per member on the team card, nothing typed."""
    user = member(request)
    case = access_case(user, case_id).case
    row = TeamMember.objects.filter(case=case, user_id=member_id).select_related("user").first()
    if row is None:
        raise Http404
    try:
        actions.do_set_lead(actor=user, keyring=keyring_of(request), case=case, member=row.user)
    except UserError as error:
        messages.error(request, str(error.message))
    except (KeyNotHeld, CryptoError):
        return render_case(request, case, status=403)
    else:
        messages.success(request, _("%(member)s leads the case now.") % {"member": row.user.username})
    return redirect(case_url(case, "team"))


@case_post
def case_note_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_note(actor=user, keyring=keyring_of(request), case=case, body=data["body"])

    build: Build = lambda case: NoteForm(request.POST, prefix="note")  # noqa: E731
    return act_on_case(request, case_id, "note_form", build, act, _("The note is added."), "notes")


@case_post
def case_task_add_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TaskForm(request.POST, prefix="task", team=team_users(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_task(
            actor=user,
            keyring=keyring_of(request),
            case=case,
            title=data["title"],
            due_on=data["due_on"],
            owner=data["owner"],
            kind=data["kind"],
        )

    return act_on_case(request, case_id, "task_form", build, act, _("The task is added."), "tasks")


@case_post
def case_expense_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_expense(
            actor=user,
            keyring=keyring_of(request),
            case=case,
            category=data["category"],
            amount=data["amount"],
            spent_on=data["spent_on"],
            note=data["note"],
        )

    build: Build = lambda case: ExpenseForm(request.POST, prefix="expense")  # noqa: E731
    return act_on_case(request, case_id, "expense_form", build, act, _("The expense is recorded."), "expenses")


@case_post
def case_message_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_message_requester(actor=user, keyring=keyring_of(request), case=case, body=data["body"])

    done = _("Your message is sent. The requester reads it the next time they open their request.")
    build: Build = lambda case: MessageForm(request.POST, prefix="message")  # noqa: E731
    return act_on_case(request, case_id, "message_form", build, act, done, "conversation")


@case_post
def case_rotate_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        rotated = actions.do_rotate_pending_keys(actor=user, keyring=keyring_of(request), case=case)
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
def case_task_done_view(request: HttpRequest, case_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        task = Task.objects.filter(pk=task_id, case=case).first()
        if task is None:
            raise Http404
        task.case = case
        actions.do_complete_task(actor=user, keyring=keyring_of(request), task=task)

    build: Build = lambda case: forms.Form(request.POST, prefix="action")  # noqa: E731
    return act_on_case(request, case_id, "action_form", build, act, _("The task is marked done."), "tasks")


# --- editing the case's own fields ------------------------------------------------------------


@staff_view()
@sensitive_post_parameters()
def case_edit_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    case = access_case(user, case_id).case
    if request.method == "POST":
        return _save_edit(request, case)
    return _render_edit(request, case)


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
    request: HttpRequest, case: Case, form: CaseEditForm | None = None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {**case_metadata(case), **extra}
    try:
        summary = _read_summary_audited(request, case)
    except KeyNotHeld:
        return render(request, "workspace/cases/edit.html", {**context, "locked": True}, status=status)
    except CryptoError:
        log.error("case %s did not decrypt; it may have been tampered with", case.pk)
        return render(request, "workspace/cases/edit.html", {**context, "unreadable": True}, status=status)
    structured = isinstance(summary, dict)
    if form is None:
        form = CaseEditForm(initial=_edit_initial(case, summary), pathways=edit_pathways(case))
    form.explain_summary(structured=structured)
    context |= {"form": form, "summary": summary_shown(summary, case) if structured else None}
    return render(request, "workspace/cases/edit.html", context, status=status)


def _read_summary_audited(request: HttpRequest, case: Case) -> Any:
    secret = keyring_of(request).secret_for(case.key)
    actions.do_record_case_read(actor=member(request), case=case)
    return read_summary(case, secret)


def _save_edit(request: HttpRequest, case: Case) -> HttpResponse:
    user, keyring = member(request), keyring_of(request)
    form = CaseEditForm(request.POST, pathways=edit_pathways(case))
    if not form.is_valid():
        return _render_edit(request, case, form, status=400)
    data = form.cleaned_data
    summary: str | None = data["summary"]
    try:
        if not (summary or "").strip() and isinstance(_read_summary_audited(request, case), dict):
            # Left empty while the summary is still the requester's answers: they stay as they are.
            summary = None
        actions.do_edit_case(
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
    except UserError as error:
        if error.code == "conflict":
            fresh = access_case(user, case.pk).case
            return _render_edit(request, fresh, status=409, conflict=str(error.message), typed=data["summary"])
        add_user_error(form, error)
        return _render_edit(request, case, form, status=400)
    except (KeyNotHeld, CryptoError):
        # Nothing was written; the page says why (a key not held, or altered data).
        return _render_edit(request, case, status=403)
    messages.success(request, _("The case is saved."))
    return redirect(case_url(case))


# --- taking someone off the team ----------------------------------------------------------------


@staff_view()
def case_team_remove_view(request: HttpRequest, case_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """GET asks for confirmation; POST takes the member off and rotates what they could read."""
    user = member(request)
    case = access_case(user, case_id).case
    row = TeamMember.objects.filter(case=case, user_id=member_id).select_related("user").first()
    if row is None:
        raise Http404
    form = forms.Form(request.POST if request.method == "POST" else None)
    context = {
        **case_metadata(case),
        "row": row,
        "form": form,
        "self_removal": row.user_id == user.pk,
        "only_theirs": compartments_held_only_by(case, row.user),
    }
    if request.method != "POST":
        return render(request, "workspace/cases/team_remove.html", context)
    try:
        removal = actions.do_remove_team_member(actor=user, keyring=keyring_of(request), case=case, member=row.user)
    except UserError as error:
        add_user_error(form, error)
        return render(request, "workspace/cases/team_remove.html", context, status=400)
    except (KeyNotHeld, CryptoError):
        form.add_error(None, _("The case's keys could not be opened with yours, so nothing was changed."))
        return render(request, "workspace/cases/team_remove.html", context, status=403)
    if row.user_id == user.pk:
        messages.success(request, _("You have left the team of case %(reference)s.") % {"reference": case.reference})
        return redirect("workspace:case_list")
    done = _("%(member)s is no longer on the team.") % {"member": row.user.username}
    if removal.pending:
        done += " " + ngettext(
            "%(count)d key they held is not yours to open: a member who holds it must rotate it from this page.",
            "%(count)d keys they held are not yours to open: a member who holds them must rotate them from this page.",
            len(removal.pending),
        ) % {"count": len(removal.pending)}
    messages.success(request, done)
    return redirect(case_url(case, "team"))
