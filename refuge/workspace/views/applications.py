"""Applications of a case's people: one page each (the folder, status history, appointments) and the advisor.

Reached through the case (`access_case`: its team only, the same 404 for everyone else) and
`access_application`. Pages are opened by refuge/applications/reads.py, which decrypts and
records the read; views here parse, call one action and redirect.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.applications import actions
from refuge.applications.access import access_application, access_case_person
from refuge.applications.advisor import Candidate, Facts, advise
from refuge.applications.details import Decision
from refuge.applications.models import Status
from refuge.applications.queries import history_by_pathway
from refuge.applications.reads import ApplicationPage, open_application_page, ready_documents
from refuge.cases.access import access_case
from refuge.relocation.requirements import Requirement
from refuge.workspace.decorators import CONFLICT, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_applications import (
    AdvisorForm,
    AppointmentForm,
    FolderForm,
    StartApplicationForm,
    StatusForm,
    offered_pathways,
)
from refuge.workspace.submit import submit
from refuge.workspace.views.cases import case_page
from refuge.workspace.views.team import team_users


def application_url(case_id: uuid.UUID, application_id: uuid.UUID) -> str:
    return reverse("workspace:application_detail", args=[case_id, application_id])


def _forms(page: ApplicationPage) -> dict[str, forms.Form]:
    documents = [(document.id, document.name) for document in page.documents]
    folder = FolderForm(
        details=page.details, documents=documents, initial={**vars(page.details), "version": page.application.version}
    )
    return {
        "folder_form": folder,
        "status_form": StatusForm(allowed=page.next_statuses),
        "appointment_form": AppointmentForm(team=team_users(page.case)),
    }


def render_application(
    request: StaffRequest, case_id: uuid.UUID, application_id: uuid.UUID, *, status: int = 200, **bound: Any
) -> HttpResponse:
    page = open_application_page(request.member, request.keyring, case_id, application_id)
    context = {"page": page, "case": page.case, "application": page.application, "details": page.details}
    context |= _forms(page) | bound
    return render(request, "workspace/applications/detail.html", context, status=status)


def application_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, application_id: uuid.UUID
) -> HttpResponse:
    """The boundary's page for an act on an application: the application as it is now, saying why."""
    if refusal.code == CONFLICT:
        # Someone saved first: the application as it is now, with fresh forms, and why.
        return render_application(request, case_id, application_id, status=refusal.status, conflict=refusal.message)
    messages.error(request, refusal.message)
    return redirect(application_url(case_id, application_id))


def application_post(view: Any) -> Any:
    return require_POST(staff_view(page=application_page)(sensitive_post_parameters()(view)))


@staff_view(page=application_page)
def application_detail_view(request: StaffRequest, case_id: uuid.UUID, application_id: uuid.UUID) -> HttpResponse:
    return render_application(request, case_id, application_id)


@staff_view(page=case_page)
@sensitive_post_parameters()
def application_start_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    """GET: the start form on its own page; POST: start the application (a refusal is shown there again)."""
    case = access_case(request.member, case_id).case
    form = StartApplicationForm(request.POST if request.method == "POST" else None, case=case)

    def act(data: dict[str, Any]) -> Any:
        return actions.do_start_application(
            actor=request.member, keyring=request.keyring, case=case, person=data["person"], pathway=data["pathway"]
        )

    done = submit(form, act) if request.method == "POST" else None
    if done is None:
        status = 400 if request.method == "POST" else 200
        return render(request, "workspace/applications/start.html", {"case": case, "form": form}, status=status)
    messages.success(request, _("The application is started; its checklist comes from the pathway."))
    return redirect(application_url(case.pk, done.value.pk))


@application_post
def application_folder_view(request: StaffRequest, case_id: uuid.UUID, application_id: uuid.UUID) -> HttpResponse:
    page = open_application_page(request.member, request.keyring, case_id, application_id)
    documents = [(document.id, document.name) for document in page.documents]
    form = FolderForm(request.POST, details=page.details, documents=documents)

    def act(data: dict[str, Any]) -> Any:
        edit = actions.FolderEdit(
            embassy=data["embassy"],
            city=data["city"],
            references=data["references"],
            fees_paid=data["fees_paid"],
            checklist=form.checklist(),
        )
        return actions.do_edit_application(
            actor=request.member,
            keyring=request.keyring,
            application=page.application,
            edit=edit,
            version=data["version"],
        )

    if submit(form, act) is None:
        return render_application(request, case_id, application_id, status=400, folder_form=form)
    messages.success(request, _("The application is saved."))
    return redirect(application_url(case_id, application_id))


@application_post
def application_status_view(request: StaffRequest, case_id: uuid.UUID, application_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    application = access_application(case, application_id)
    # Every status parses; the action refuses one this application cannot move to, next to the field.
    form = StatusForm(request.POST, allowed=list(Status.values))

    def act(data: dict[str, Any]) -> Any:
        decision = Decision(
            visa_type=data["visa_type"],
            valid_from=data["valid_from"].isoformat() if data["valid_from"] else "",
            valid_until=data["valid_until"].isoformat() if data["valid_until"] else "",
            conditions=data["conditions"],
            refusal_reason=data["refusal_reason"],
        )
        return actions.do_change_status(
            actor=request.member,
            keyring=request.keyring,
            application=application,
            status=data["status"],
            on=data["on"],
            note=data["note"],
            decision=decision,
        )

    if submit(form, act) is None:
        return render_application(request, case_id, application_id, status=400, status_form=form)
    messages.success(request, _("The status is recorded."))
    return redirect(application_url(case_id, application_id))


@application_post
def application_appointment_view(request: StaffRequest, case_id: uuid.UUID, application_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    application = access_application(case, application_id)
    form = AppointmentForm(request.POST, team=team_users(case))

    def act(data: dict[str, Any]) -> Any:
        return actions.do_add_appointment(
            actor=request.member,
            keyring=request.keyring,
            application=application,
            on=data["on"],
            what=data["what"],
            owner=data["owner"],
        )

    if submit(form, act) is None:
        return render_application(request, case_id, application_id, status=400, appointment_form=form)
    messages.success(request, _("The appointment is recorded and is a task of the case."))
    return redirect(application_url(case_id, application_id))


# --- the advisor --------------------------------------------------------------------------------------

_ANSWERS = {"yes": True, "no": False, "unknown": None}


def _facts(data: dict[str, Any]) -> Facts:
    countries = frozenset(line.strip() for line in data["family_countries"].splitlines() if line.strip())
    return Facts(
        outside_origin=_ANSWERS[data["outside_origin"]],
        international_passport=_ANSWERS[data["international_passport"]],
        family_tie=_ANSWERS[data["family_tie"]],
        family_countries=countries,
        hrd_status=_ANSWERS[data["hrd_status"]],
        referral_partner=_ANSWERS[data["referral_partner"]],
    )


@staff_view(page=case_page)
@sensitive_post_parameters()
def advisor_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    """The advisor: GET asks about the person; POST ranks the pathways for them (facts never in an address)."""
    case = access_case(request.member, case_id).case
    form = AdvisorForm(request.POST if request.method == "POST" else None, case=case)
    context: dict[str, Any] = {"case": case, "form": form, "requirement_labels": dict(Requirement.choices)}
    if request.method == "POST" and form.is_valid():
        person = access_case_person(case, form.cleaned_data["person"].pk)
        pathways = list(offered_pathways(case))
        candidates = [
            Candidate(p.pk, p.country, p.short_name, tuple(p.hard_requirements), tuple(p.checklist), p.processing_days)
            for p in pathways
        ]
        advice = advise(
            candidates,
            _facts(form.cleaned_data),
            history_by_pathway(case.organisation_id),
            ready_documents(request.keyring, case, person.pk),
        )
        context |= {"advice": advice, "person": person}
    status = 400 if form.errors else 200
    return render(request, "workspace/applications/advisor.html", context, status=status)
