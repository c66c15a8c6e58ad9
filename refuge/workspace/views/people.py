"""People of a case, their compartments and their stays in shelters.

Team members only: every view reaches the case through `access_case` (content) and
the person through `access_person`, so a coordinator off the team, a caseworker of
other cases, another organisation and a made-up id all get the same 404.
A compartment is shown only to members holding its own key; the others are told
who to ask, and nothing of its content reaches their page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import access_case, compartment_holders, is_team_member
from refuge.cases.actions.compartments import do_grant_compartment, do_revoke_compartment, do_save_compartment
from refuge.cases.actions.people import do_add_person, do_edit_person
from refuge.cases.compartments import FIELDS, RELATIONS
from refuge.cases.models import Case, Compartment, CompartmentKind, Person
from refuge.cases.reads import (
    PersonPage,
    access_compartment_holder,
    access_held_compartment,
    compartment_kind,
    find_compartment,
    holds_compartment,
    open_compartment,
    open_person_details,
    open_person_page,
    reach_person,
)
from refuge.shelter import actions as shelter_actions
from refuge.shelter.access import access_placement
from refuge.shelter.queries import placeable_with_occupancy
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_people import (
    BaseContactFormSet,
    ContactFormSet,
    EndStayForm,
    PersonEditForm,
    PersonForm,
    PlaceForm,
    ShareForm,
    VersionForm,
    compartment_form_class,
)
from refuge.workspace.panels import PersonView, compose_person_panels
from refuge.workspace.submit import submit


def _unreadable(request: StaffRequest, case: Case, person: Person | None, status: int) -> HttpResponse:
    """Nothing shown half-read: a key the member lacks, or data altered in the database."""
    return render(request, "workspace/people/unreadable.html", {"case": case, "person": person}, status=status)


def _person_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, person_id: uuid.UUID | None = None, **_rest: Any
) -> HttpResponse:
    """The boundary's page for the people of a case: what could not be opened, and nothing of it."""
    if person_id is None:
        return _unreadable(request, access_case(request.member, case_id).case, None, refusal.status)
    case, person = reach_person(request.member, case_id, person_id)
    return _unreadable(request, case, person, refusal.status)


# --- adding and editing people ------------------------------------------------------------------


@staff_view(page=_person_page)
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
        return _person_page(request, refusal, case_id, person_id)
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


@staff_view(page=_person_page)
def person_detail_view(request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    return _render_person(request, open_person_page(request.member, request.keyring, case_id, person_id))


@require_POST
@staff_view(page=_person_page)
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


# --- compartments -------------------------------------------------------------------------------


@dataclass
class CompartmentPage:
    """What the compartment page shows and the forms it carries (bound when they failed)."""

    case: Case
    person: Person
    kind: str
    form: forms.Form | None = None
    contacts: Any = None
    share_form: ShareForm | None = None
    status: int = 200


def _share_candidates(case: Case, compartment: Compartment) -> Any:
    return (
        User.objects.filter(case_teams__case=case, is_active=True)
        .exclude(pk__in=compartment_holders(compartment))
        .order_by("username")
    )


def _blank_forms(kind: str, content: dict[str, Any], version: int) -> tuple[forms.Form, Any]:
    """The edit form (and the contact list for the contact graph) filled with what is stored now."""
    if kind == CompartmentKind.CONTACTS:
        return VersionForm(initial={"version": version}), ContactFormSet(
            initial=content.get("contacts", []), prefix="contacts"
        )
    return compartment_form_class(kind)(initial={**content, "version": version}), None


def _contact_rows(content: dict[str, Any]) -> list[tuple[str, str, str]]:
    entries = content.get("contacts")
    if not isinstance(entries, list):
        return []
    return [
        (
            str(e.get("name", "")),
            str(RELATIONS.get(e.get("relation", ""), e.get("relation", ""))),
            str(e.get("details", "")),
        )
        for e in entries
        if isinstance(e, dict)
    ]


def _either(bound: Any, fresh: Any) -> Any:
    """The form that failed (to show its errors and typed values), else a fresh one."""
    return fresh if bound is None else bound


def _render_compartment(request: StaffRequest, page: CompartmentPage) -> HttpResponse:
    opened = open_compartment(request.member, request.keyring, page.person, page.kind)
    compartment = opened.compartment
    context: dict[str, Any] = {
        "case": page.case,
        "person": page.person,
        "kind": page.kind,
        "kind_label": CompartmentKind(page.kind).label,
        "compartment": compartment,
        "schema": FIELDS[page.kind],
    }
    if compartment is None:
        form, contacts = _blank_forms(page.kind, {}, 0)
        context |= {"held": True, "form": _either(page.form, form), "contacts": _either(page.contacts, contacts)}
        return render(request, "workspace/people/compartment.html", context, status=page.status)
    context |= {"held": opened.held, "holders": opened.holders}
    if opened.content is None:
        # Need-to-know: not a word of the content, only who to ask.
        return render(request, "workspace/people/compartment.html", context, status=page.status)
    content = opened.content
    form, contacts = _blank_forms(page.kind, content, compartment.version)
    context |= {
        "content": content,
        "shown": [(field, content.get(field.name, "")) for field in FIELDS[page.kind]],
        "contact_rows": _contact_rows(content),
        "form": _either(page.form, form),
        "contacts": _either(page.contacts, contacts),
        "share_form": _either(page.share_form, ShareForm(candidates=_share_candidates(page.case, compartment))),
    }
    return render(request, "workspace/people/compartment.html", context, status=page.status)


def _compartment_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, person_id: uuid.UUID, kind: str, **_rest: Any
) -> HttpResponse:
    if refusal.code != CONFLICT:
        return _person_page(request, refusal, case_id, person_id)
    # Someone saved first: what is saved now, and why the typed change was not kept.
    messages.error(request, refusal.message)
    case, person = reach_person(request.member, case_id, person_id)
    return _render_compartment(request, CompartmentPage(case, person, compartment_kind(kind), status=refusal.status))


@staff_view(page=_compartment_page)
def compartment_view(request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str) -> HttpResponse:
    case, person = reach_person(request.member, case_id, person_id)
    page = CompartmentPage(case, person, compartment_kind(kind))
    if request.method != "POST":
        return _render_compartment(request, page)
    compartment = find_compartment(person, page.kind)
    if compartment is not None and not holds_compartment(request.member, compartment):
        page.status = 403
        return _render_compartment(request, page)
    contacts: Any = None
    if page.kind == CompartmentKind.CONTACTS:
        form: forms.Form = VersionForm(request.POST)
        contacts = ContactFormSet(request.POST, prefix="contacts")
    else:
        form = compartment_form_class(page.kind)(request.POST)

    def save(cleaned: dict[str, Any]) -> None:
        data = dict(cleaned)
        version = data.pop("version")
        if contacts is not None:
            data = {"contacts": cast(BaseContactFormSet, contacts).entries()}
        do_save_compartment(
            actor=request.member, keyring=request.keyring, person=person, kind=page.kind, data=data, version=version
        )

    if submit(form, save, *([contacts] if contacts is not None else [])) is not None:
        messages.success(request, _("The compartment is saved."))
        return redirect("workspace:compartment", case.pk, person.pk, page.kind)
    page.form, page.contacts, page.status = form, contacts, 400
    return _render_compartment(request, page)


@require_POST
@staff_view(page=_compartment_page)
def compartment_share_view(request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str) -> HttpResponse:
    case, person = reach_person(request.member, case_id, person_id)
    compartment = access_held_compartment(request.member, person, kind)
    form = ShareForm(request.POST, candidates=_share_candidates(case, compartment))
    act = lambda data: do_grant_compartment(  # noqa: E731
        actor=request.member, keyring=request.keyring, compartment=compartment, member=data["member"]
    )
    if submit(form, act) is None:
        page = CompartmentPage(case, person, compartment.kind, share_form=form, status=400)
        return _render_compartment(request, page)
    chosen = form.cleaned_data["member"]
    messages.success(request, _("%(name)s now holds this compartment.") % {"name": chosen.username})
    return redirect("workspace:compartment", case.pk, person.pk, compartment.kind)


def _unshare_context(
    request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str, member_id: uuid.UUID
) -> dict[str, Any]:
    case, person = reach_person(request.member, case_id, person_id)
    compartment = access_held_compartment(request.member, person, kind)
    return {
        "case": case,
        "person": person,
        "kind": compartment.kind,
        "kind_label": CompartmentKind(compartment.kind).label,
        "compartment": compartment,
        "holder": access_compartment_holder(compartment, member_id),
    }


def _unshare_page(
    request: StaffRequest,
    refusal: Refusal,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    kind: str,
    member_id: uuid.UUID,
    **_rest: Any,
) -> HttpResponse:
    if refusal.code in {LOCKED, UNREADABLE}:
        return _person_page(request, refusal, case_id, person_id)
    context = _unshare_context(request, case_id, person_id, kind, member_id) | {"error": refusal.message}
    return render(request, "workspace/people/unshare.html", context, status=refusal.status)


@staff_view(page=_unshare_page)
def compartment_unshare_view(
    request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str, member_id: uuid.UUID
) -> HttpResponse:
    context = _unshare_context(request, case_id, person_id, kind, member_id)
    if request.method != "POST":
        return render(request, "workspace/people/unshare.html", context)
    holder = context["holder"]
    do_revoke_compartment(
        actor=request.member, keyring=request.keyring, compartment=context["compartment"], member=holder
    )
    messages.success(
        request, _("%(name)s no longer holds this compartment. Its key was replaced.") % {"name": holder.username}
    )
    return redirect("workspace:compartment", context["case"].pk, context["person"].pk, context["kind"])
