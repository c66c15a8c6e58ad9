"""People of a case, their compartments and their stays in shelters.

Team members only: every view reaches the case through `access_case` (content) and
the person through `access_person`, so a coordinator off the team, a caseworker of
other cases, another organisation and a made-up id all get the same 404.
A compartment is shown only to members holding its own key; the others are told
who to ask, and nothing of its content reaches their page.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases import actions
from refuge.cases.access import access_case, access_person, compartment_holders
from refuge.cases.compartments import FIELDS, RELATIONS
from refuge.cases.models import Case, Compartment, CompartmentKind, Person
from refuge.cases.queries import read_compartment, read_person_details
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.shelter import actions as shelter_actions
from refuge.shelter.access import access_placement, can_manage_shelters
from refuge.shelter.queries import current_placement, placeable_with_occupancy
from refuge.workspace.decorators import member, staff_view
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

log = logging.getLogger(__name__)


def _keyring(request: HttpRequest) -> Keyring:
    return cast(Keyring, request.keyring)  # type: ignore[attr-defined]


def _reach(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> tuple[User, Case, Person]:
    """The member, the case (team members only) and one of its people; 404 otherwise."""
    user = member(request)
    case = access_case(user, case_id).case
    person = access_person(user, case, person_id)
    person.case = case  # the same row, with its key already loaded
    return user, case, person


def _unreadable(request: HttpRequest, case: Case, person: Person | None = None) -> HttpResponse:
    """Nothing shown half-read: a key the member lacks, or data altered in the database."""
    return render(request, "workspace/people/unreadable.html", {"case": case, "person": person}, status=403)


# --- adding and editing people ------------------------------------------------------------------


@staff_view()
def person_add_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    case = access_case(user, case_id).case
    form = PersonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.do_add_person(actor=user, keyring=_keyring(request), case=case, **form.cleaned_data)
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            return _unreadable(request, case)
        else:
            messages.success(request, _("%(pseudonym)s is added to the case.") % {"pseudonym": person.pseudonym})
            return redirect("workspace:person_detail", case.pk, person.pk)
    return render(
        request, "workspace/people/add.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


@staff_view()
def person_edit_view(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    user, case, person = _reach(request, case_id, person_id)
    status = 200
    try:
        details = read_person_details(person, _keyring(request).secret_for(case.key))
    except (KeyNotHeld, CryptoError):
        return _unreadable(request, case, person)
    form = PersonEditForm(initial={"role": person.role, "details": details, "version": person.version})
    if request.method != "POST":
        actions.do_record_case_read(actor=user, case=case)
    else:
        posted = PersonEditForm(request.POST)
        if posted.is_valid():
            try:
                actions.do_edit_person(actor=user, keyring=_keyring(request), person=person, **posted.cleaned_data)
            except UserError as error:
                if error.code == "conflict":
                    # Show what is saved now, and say why the typed change was not kept.
                    messages.error(request, str(error.message))
                    status = 409
                else:
                    add_user_error(posted, error)
                    form, status = posted, 400
            else:
                messages.success(request, _("The changes are saved."))
                return redirect("workspace:person_detail", case.pk, person.pk)
        else:
            form, status = posted, 400
    return render(request, "workspace/people/edit.html", {"case": case, "person": person, "form": form}, status=status)


# --- one person ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompartmentRow:
    kind: str
    label: str
    compartment: Compartment | None
    held: bool
    holders: list[str]


def _compartment_rows(user: User, person: Person) -> list[CompartmentRow]:
    """Each compartment kind: whether it exists, whether the member holds it, and who does."""
    existing = {c.kind: c for c in Compartment.objects.filter(person=person).select_related("key")}
    holder_ids = {kind: compartment_holders(compartment) for kind, compartment in existing.items()}
    everyone = set().union(*holder_ids.values()) if holder_ids else set()
    names = dict(User.objects.filter(pk__in=everyone).values_list("pk", "username"))
    rows = []
    for kind, label in CompartmentKind.choices:
        ids = holder_ids.get(kind, set())
        rows.append(
            CompartmentRow(
                kind=kind,
                label=str(label),
                compartment=existing.get(kind),
                held=user.pk in ids,
                holders=sorted(names[i] for i in ids if i in names),
            )
        )
    return rows


def _render_person(
    request: HttpRequest, case: Case, person: Person, *, place_form: PlaceForm | None = None, status: int = 200
) -> HttpResponse:
    user = member(request)
    try:
        details = read_person_details(person, _keyring(request).secret_for(case.key))
    except (KeyNotHeld, CryptoError):
        log.error("person %s did not decrypt", person.pk)
        return _unreadable(request, case, person)
    actions.do_record_case_read(actor=user, case=case)
    placement = current_placement(person.pk)
    context: dict[str, Any] = {
        "case": case,
        "person": person,
        "details": details,
        "compartments": _compartment_rows(user, person),
        "placement": placement,
        "overdue": bool(placement and placement.planned_until and placement.planned_until < timezone.localdate()),
        "can_open_shelter": bool(placement) and can_manage_shelters(user),
    }
    if placement is None:
        context["place_form"] = _either(place_form, PlaceForm(shelters=placeable_with_occupancy(user)))
    return render(request, "workspace/people/detail.html", context, status=status)


@staff_view()
def person_detail_view(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    _user, case, person = _reach(request, case_id, person_id)
    return _render_person(request, case, person)


@require_POST
@staff_view()
def person_place_view(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    user, case, person = _reach(request, case_id, person_id)
    form = PlaceForm(request.POST, shelters=placeable_with_occupancy(user))
    if form.is_valid():
        try:
            shelter_actions.do_place_person(actor=user, keyring=_keyring(request), person=person, **form.cleaned_data)
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            return _unreadable(request, case, person)
        else:
            messages.success(
                request,
                _("%(pseudonym)s is placed in %(shelter)s.")
                % {"pseudonym": person.pseudonym, "shelter": form.cleaned_data["shelter"].code_name},
            )
            return redirect("workspace:person_detail", case.pk, person.pk)
    return _render_person(request, case, person, place_form=form, status=400)


@staff_view()
def placement_end_view(request: HttpRequest, placement_id: uuid.UUID) -> HttpResponse:
    """End a stay: the case's team, or a coordinator from the shelter register."""
    user = member(request)
    placement = access_placement(user, placement_id)
    form = EndStayForm(request.POST if request.method == "POST" else None)
    on_team = placement.case.team.filter(user=user).exists()
    if request.method == "POST" and form.is_valid():
        try:
            shelter_actions.do_end_placement(
                actor=user, keyring=_keyring(request), placement=placement, ended_on=form.cleaned_data["ended_on"]
            )
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            return _unreadable(request, placement.case)
        else:
            messages.success(request, _("The stay has ended and the place is free again."))
            if on_team:
                return redirect("workspace:person_detail", placement.case_id, placement.person_id)
            return redirect("workspace:shelter_detail", placement.shelter_id)
    context = {"placement": placement, "form": form, "on_team": on_team}
    return render(request, "workspace/people/end_stay.html", context, status=400 if form.errors else 200)


# --- compartments -------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in CompartmentKind.values:
        raise Http404
    return kind


def _compartment(person: Person, kind: str) -> Compartment | None:
    compartment = Compartment.objects.select_related("key").filter(person=person, kind=kind).first()
    if compartment is not None:
        compartment.person = person
    return compartment


@dataclass
class CompartmentPage:
    """What the compartment page shows and the forms it carries (bound when they failed)."""

    case: Case
    person: Person
    kind: str
    compartment: Compartment | None
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


def _render_compartment(request: HttpRequest, page: CompartmentPage) -> HttpResponse:
    user = member(request)
    compartment = page.compartment
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
    holder_ids = compartment_holders(compartment)
    holders = list(User.objects.filter(pk__in=holder_ids).order_by("username"))
    context |= {"held": user.pk in holder_ids, "holders": holders}
    if user.pk not in holder_ids:
        # Need-to-know: not a word of the content, only who to ask.
        return render(request, "workspace/people/compartment.html", context, status=page.status)
    try:
        content = read_compartment(compartment, _keyring(request))
    except (KeyNotHeld, CryptoError):
        log.error("compartment %s did not decrypt", compartment.pk)
        return _unreadable(request, page.case, page.person)
    actions.do_record_compartment_read(actor=user, compartment=compartment)
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


@staff_view()
def compartment_view(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str) -> HttpResponse:
    user, case, person = _reach(request, case_id, person_id)
    page = CompartmentPage(case, person, _kind(kind), _compartment(person, kind))
    if request.method != "POST":
        return _render_compartment(request, page)
    if page.compartment is not None and user.pk not in compartment_holders(page.compartment):
        page.status = 403
        return _render_compartment(request, page)
    if page.kind == CompartmentKind.CONTACTS:
        form: forms.Form = VersionForm(request.POST)
        contacts = ContactFormSet(request.POST, prefix="contacts")
        valid = form.is_valid() and contacts.is_valid()
    else:
        form = compartment_form_class(page.kind)(request.POST)
        contacts = None
        valid = form.is_valid()
    if valid:
        data = dict(form.cleaned_data)
        version = data.pop("version")
        if contacts is not None:
            data = {"contacts": cast(BaseContactFormSet, contacts).entries()}
        try:
            actions.do_save_compartment(
                actor=user, keyring=_keyring(request), person=person, kind=page.kind, data=data, version=version
            )
        except UserError as error:
            if error.code == "conflict":
                messages.error(request, str(error.message))
                page.compartment, page.status = _compartment(person, page.kind), 409
                return _render_compartment(request, page)
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            return _unreadable(request, case, person)
        else:
            messages.success(request, _("The compartment is saved."))
            return redirect("workspace:compartment", case.pk, person.pk, page.kind)
    page.form, page.contacts, page.status = form, contacts, 400
    return _render_compartment(request, page)


def _held_compartment(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str) -> CompartmentPage:
    """A compartment that exists and that the member holds (only holders share and unshare); else 404."""
    user, case, person = _reach(request, case_id, person_id)
    compartment = _compartment(person, _kind(kind))
    if compartment is None or user.pk not in compartment_holders(compartment):
        raise Http404
    return CompartmentPage(case, person, kind, compartment)


@require_POST
@staff_view()
def compartment_share_view(request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str) -> HttpResponse:
    page = _held_compartment(request, case_id, person_id, kind)
    compartment = cast(Compartment, page.compartment)
    form = ShareForm(request.POST, candidates=_share_candidates(page.case, compartment))
    if form.is_valid():
        chosen = form.cleaned_data["member"]
        try:
            actions.do_grant_compartment(
                actor=member(request), keyring=_keyring(request), compartment=compartment, member=chosen
            )
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            return _unreadable(request, page.case, page.person)
        else:
            messages.success(request, _("%(name)s now holds this compartment.") % {"name": chosen.username})
            return redirect("workspace:compartment", page.case.pk, page.person.pk, page.kind)
    page.share_form, page.status = form, 400
    return _render_compartment(request, page)


@staff_view()
def compartment_unshare_view(
    request: HttpRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str, member_id: uuid.UUID
) -> HttpResponse:
    page = _held_compartment(request, case_id, person_id, kind)
    compartment = cast(Compartment, page.compartment)
    holder = User.objects.filter(pk=member_id, pk__in=compartment_holders(compartment)).first()
    if holder is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            actions.do_revoke_compartment(
                actor=member(request), keyring=_keyring(request), compartment=compartment, member=holder
            )
        except UserError as refused:
            error = str(refused.message)
        except (KeyNotHeld, CryptoError):
            return _unreadable(request, page.case, page.person)
        else:
            messages.success(
                request,
                _("%(name)s no longer holds this compartment. Its key was replaced.") % {"name": holder.username},
            )
            return redirect("workspace:compartment", page.case.pk, page.person.pk, page.kind)
    context = {
        "case": page.case,
        "person": page.person,
        "kind": page.kind,
        "kind_label": CompartmentKind(page.kind).label,
        "holder": holder,
        "error": error,
    }
    return render(request, "workspace/people/unshare.html", context, status=400 if error else 200)
