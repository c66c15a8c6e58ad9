"""Editing a case's own fields on a page of their own: priority, pathway, budget, currency and summary.

A stale form (someone saved first) is a conflict: the page shows what is saved now and keeps
what was typed in the summary.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from refuge.cases.access import access_case
from refuge.cases.actions.details import do_edit_case
from refuge.cases.models import Case
from refuge.cases.money import format_amount
from refuge.cases.reads import CaseSummary, open_case_summary, read_case_summary
from refuge.relocation.models import Pathway
from refuge.relocation.queries import pathways_of
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_cases import CaseEditForm
from refuge.workspace.submit import submit
from refuge.workspace.views.cases import case_metadata, case_url, summary_shown


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
        "budget": None if case.budget_minor is None else format_amount(case.budget_minor, case.currency),
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
            budget_minor=data["budget_minor"],
            currency=data["currency"],
            summary=summary,
        )

    if submit(form, save) is None:
        return _render_edit(request, open_case_summary(user, keyring, case_id), form, status=400)
    messages.success(request, _("The case is saved."))
    return redirect(case_url(case))


def edit_pathways(case: Case) -> QuerySet[Pathway]:
    """What the organisation offers (never another's private pathways), and the case's own even if retired."""
    offered = pathways_of(case.organisation_id)
    return (offered | Pathway.objects.filter(cases=case)).order_by("country", "name")
