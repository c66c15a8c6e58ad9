"""People of a case and their stays in shelters (their compartments: compartments.py).

Team members only: every view reaches the case through `access_case` (content) and
the person through `access_person`, so a coordinator off the team, a caseworker of
other cases, another organisation and a made-up id all get the same 404.
A compartment is shown only to members holding its own key; the others are told
who to ask, and nothing of its content reaches their page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.cases.access import access_case, is_team_member
from refuge.cases.actions.people import do_add_person, do_edit_person
from refuge.cases.models import Case, Person
from refuge.cases.reads import (
    PersonPage,
    open_person_details,
    open_person_page,
    reach_person,
)
from refuge.shelter import actions as shelter_actions
from refuge.shelter.access import access_placement
from refuge.shelter.queries import placeable_with_occupancy
from refuge.workspace.decorators import CONFLICT, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_people import (
    EndStayForm,
    PersonEditForm,
    PersonForm,
    PlaceForm,
)
from refuge.workspace.panels import PersonView, compose_person_panels
from refuge.workspace.submit import submit


def _unreadable(request: StaffRequest, case: Case, person: Person | None, status: int) -> HttpResponse:
    """Nothing shown half-read: a key the member lacks, or data altered in the database."""
    return render(request, "workspace/people/unreadable.html", {"case": case, "person": person}, status=status)


def person_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, person_id: uuid.UUID | None = None, **_rest: Any
) -> HttpResponse:
    """The boundary's page for the people of a case: what could not be opened, and nothing of it."""
    if person_id is None:
        return _unreadable(request, access_case(request.member, case_id).case, None, refusal.status)
    case, person = reach_person(request.member, case_id, person_id)
    return _unreadable(request, case, person, refusal.status)


# --- adding and editing people ------------------------------------------------------------------


@staff_view(page=person_page)
def person_add_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    form = PersonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        act = lambda data: do_add_person(  # noqa: E731
            actor=request.member, keyring=request.keyring, case=case, **data
        )
        added = submit(form, act)
        if added is not None:
            person = added.value
            messages.success(request, _("%(pseudonym)s is added to the case.") % {"pseudonym": person.pseudonym})
            return redirect("workspace:person_detail", case.pk, person.pk)
    return render(
        request, "workspace/people/add.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


def _person_edit_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, person_id: uuid.UUID, **_rest: Any
) -> HttpResponse:
    if refusal.code != CONFLICT:
        return person_page(request, refusal, case_id, person_id)
    # Show what is saved now, and say why the typed change was not kept.
    messages.error(request, refusal.message)
    case, person = reach_person(request.member, case_id, person_id)
    return _render_person_edit(request, case, person, status=refusal.status)


def _render_person_edit(
    request: StaffRequest, case: Case, person: Person, form: PersonEditForm | None = None, *, status: int = 200
) -> HttpResponse:
    if form is None:
        details = open_person_details(request.member, request.keyring, person)
        form = PersonEditForm(initial={"role": person.role, "details": details, "version": person.version})
    return render(request, "workspace/people/edit.html", {"case": case, "person": person, "form": form}, status=status)


@staff_view(page=_person_edit_page)
def person_edit_view(request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    case, person = reach_person(request.member, case_id, person_id)
    if request.method != "POST":
        return _render_person_edit(request, case, person)
    posted = PersonEditForm(request.POST)
    act = lambda data: do_edit_person(  # noqa: E731
        actor=request.member, keyring=request.keyring, person=person, **data
    )
    if submit(posted, act) is None:
        return _render_person_edit(request, case, person, posted, status=400)
    messages.success(request, _("The changes are saved."))
    return redirect("workspace:person_detail", case.pk, person.pk)


# --- one person ---------------------------------------------------------------------------------


def _render_person(
    request: StaffRequest, page: PersonPage, *, place_form: PlaceForm | None = None, status: int = 200
) -> HttpResponse:
    """The person page, composed of its panels (views/case_panels.py, views/shelter_panels.py)."""
    bound = {"place_form": place_form} if place_form is not None else {}
    context = {"case": page.case, "person": page.person} | compose_person_panels(
        PersonView(request.member, page), bound
    )
    return render(request, "workspace/people/detail.html", context, status=status)


@staff_view(page=person_page)
def person_detail_view(request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    return _render_person(request, open_person_page(request.member, request.keyring, case_id, person_id))


@require_POST
@staff_view(page=person_page)
def person_place_view(request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    case, person = reach_person(request.member, case_id, person_id)
    form = PlaceForm(request.POST, shelters=placeable_with_occupancy(request.member))
    act = lambda data: shelter_actions.do_place_person(  # noqa: E731
        actor=request.member, keyring=request.keyring, person=person, **data
    )
    if submit(form, act) is None:
        page = open_person_page(request.member, request.keyring, case_id, person_id)
        return _render_person(request, page, place_form=form, status=400)
    messages.success(
        request,
        _("%(pseudonym)s is placed in %(shelter)s.")
        % {"pseudonym": person.pseudonym, "shelter": form.cleaned_data["shelter"].code_name},
    )
    return redirect("workspace:person_detail", case.pk, person.pk)


def _stay_page(request: StaffRequest, refusal: Refusal, placement_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    placement = access_placement(request.member, placement_id)
    return _unreadable(request, placement.case, None, refusal.status)


@staff_view(page=_stay_page)
def placement_end_view(request: StaffRequest, placement_id: uuid.UUID) -> HttpResponse:
    """End a stay: the case's team, or a coordinator from the shelter register."""
    placement = access_placement(request.member, placement_id)
    form = EndStayForm(request.POST if request.method == "POST" else None)
    on_team = is_team_member(request.member, placement.case)
    if request.method == "POST":
        act = lambda data: shelter_actions.do_end_placement(  # noqa: E731
            actor=request.member, keyring=request.keyring, placement=placement, ended_on=data["ended_on"]
        )
        if submit(form, act) is not None:
            messages.success(request, _("The stay has ended and the place is free again."))
            if on_team:
                return redirect("workspace:person_detail", placement.case_id, placement.person_id)
            return redirect("workspace:shelter_detail", placement.shelter_id)
    context = {"placement": placement, "form": form, "on_team": on_team}
    return render(request, "workspace/people/end_stay.html", context, status=400 if form.errors else 200)
