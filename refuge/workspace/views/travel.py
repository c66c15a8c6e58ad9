"""Travel and arrival of a case (its team only): legs, the departure check, arrival, closing as relocated.

The stage moves are made by the records (refuge/applications/travel.py), never typed here.
The departure check's hints (granted visas and their dates, current shelter stays) are gathered
here, where the workspace may read both applications and shelter.
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

from refuge.applications import travel
from refuge.applications.reads import case_documents, open_travel_page
from refuge.cases.access import access_case
from refuge.cases.models import Person
from refuge.shelter.queries import current_placement
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms_travel import ArrivalForm, DepartureForm, LegForm
from refuge.workspace.submit import submit
from refuge.workspace.views.team import team_users


def travel_url(case_id: uuid.UUID) -> str:
    return reverse("workspace:travel", args=[case_id])


def render_travel(request: StaffRequest, case_id: uuid.UUID, *, status: int = 200, **bound: forms.Form) -> HttpResponse:
    view = open_travel_page(request.member, request.keyring, case_id)
    case = view.case
    documents = [(document.id, document.name) for document in view.documents]
    # Who of the case still stays in a shelter: the departure check's hint (no shelter is decrypted).
    staying = [
        person.pseudonym for person in Person.objects.filter(case=case) if current_placement(person.pk) is not None
    ]
    context: dict[str, Any] = {
        "case": case,
        "page": view.travel,
        "documents": dict(documents),
        "visas": view.visas,
        "address_person": view.address_person,
        "address": view.address,
        "staying": staying,
        "leg_form": LegForm(documents=documents),
        "departure_form": DepartureForm(),
        "arrival_form": ArrivalForm(team=team_users(case)),
    } | bound
    return render(request, "workspace/travel/page.html", context, status=status)


def travel_page(request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    messages.error(request, refusal.message)
    return redirect(travel_url(case_id))


@staff_view(page=travel_page)
def travel_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    return render_travel(request, case_id)


def _post(view: Any) -> Any:
    return require_POST(staff_view(page=travel_page)(sensitive_post_parameters()(view)))


@_post
def travel_leg_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    documents = [(document.id, document.name) for document in case_documents(request.keyring, case)]
    form = LegForm(request.POST, documents=documents)

    def act(data: dict[str, Any]) -> Any:
        leg = travel.Leg(
            departs_on=data["departs_on"].isoformat(),
            origin=data["origin"],
            destination=data["destination"],
            transport=data["transport"],
            transit=data["transit"].splitlines(),
            exit_risk=data["exit_risk"],
            accompanied_by=data["accompanied_by"],
            tickets=list(data["tickets"]),
        )
        return travel.do_add_travel_leg(actor=request.member, keyring=request.keyring, case=case, leg=leg)

    if submit(form, act) is None:
        return render_travel(request, case.pk, status=400, leg_form=form)
    messages.success(request, _("The leg is added to the journey."))
    return redirect(travel_url(case.pk))


@_post
def travel_departure_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    form = DepartureForm(request.POST)

    def act(data: dict[str, Any]) -> Any:
        departure = travel.Departure(
            departed_on=data["departed_on"].isoformat(),
            passport_valid=data["passport_valid"],
            visa_valid=data["visa_valid"],
            exit_risk_reviewed=data["exit_risk_reviewed"],
            shelter_ended=data["shelter_ended"],
        )
        return travel.do_record_departure(actor=request.member, keyring=request.keyring, case=case, departure=departure)

    if submit(form, act) is None:
        return render_travel(request, case.pk, status=400, departure_form=form)
    messages.success(request, _("The departure is recorded: the case is now in travel."))
    return redirect(travel_url(case.pk))


@_post
def travel_arrival_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    form = ArrivalForm(request.POST, team=team_users(case))

    def act(data: dict[str, Any]) -> Any:
        arrival = travel.Arrival(
            arrived_on=data["arrived_on"].isoformat(),
            status_at_destination=data["status_at_destination"],
            receiving_partner=data["receiving_partner"],
        )
        return travel.do_record_arrival(
            actor=request.member,
            keyring=request.keyring,
            case=case,
            arrival=arrival,
            first_address=data["first_address"],
            owner=data["owner"],
        )

    if submit(form, act) is None:
        return render_travel(request, case.pk, status=400, arrival_form=form)
    messages.success(request, _("The arrival is recorded, with follow-ups at 30, 90 and 180 days."))
    return redirect(travel_url(case.pk))


@_post
def travel_close_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    travel.do_close_relocated(actor=request.member, keyring=request.keyring, case=case)
    messages.success(request, _("The case is closed: relocated."))
    return redirect(travel_url(case.pk))
