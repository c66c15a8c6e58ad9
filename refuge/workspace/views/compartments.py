"""A person's compartments: each under its own key, shown, changed, given and taken back by its holders,
and the files it holds (a passport scan in the legal identity), under the same key.

Team members only (`reach_person`). A compartment is shown only to members holding its own
key; the others are told who to ask, and nothing of its content, nor of its files' names,
reaches their page. A file of a compartment is downloaded by its holders only: for anyone
else it answers as a file that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import compartment_holders
from refuge.cases.actions.compartment_files import do_add_compartment_file
from refuge.cases.actions.compartments import do_grant_compartment, do_revoke_compartment, do_save_compartment
from refuge.cases.compartments import FIELDS, RELATIONS
from refuge.cases.models import Case, Compartment, CompartmentKind, Person
from refuge.cases.reads import (
    access_compartment_holder,
    access_held_compartment,
    compartment_kind,
    find_compartment,
    holds_compartment,
    open_compartment,
    open_compartment_file,
    reach_person,
)
from refuge.intake.uploads.handler import memory_uploads
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_compartments import (
    BaseContactFormSet,
    CompartmentFileForm,
    ContactFormSet,
    ShareForm,
    VersionForm,
    compartment_form_class,
)
from refuge.workspace.submit import submit
from refuge.workspace.views.documents import attachment
from refuge.workspace.views.people import person_page


@dataclass
class CompartmentPage:
    """What the compartment page shows and the forms it carries (bound when they failed)."""

    case: Case
    person: Person
    kind: str
    form: forms.Form | None = None
    contacts: Any = None
    share_form: ShareForm | None = None
    file_form: CompartmentFileForm | None = None
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
        "files": opened.files,
        "file_form": _either(page.file_form, CompartmentFileForm(prefix="file")),
    }
    return render(request, "workspace/people/compartment.html", context, status=page.status)


def _compartment_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, person_id: uuid.UUID, kind: str, **_rest: Any
) -> HttpResponse:
    if refusal.code != CONFLICT:
        return person_page(request, refusal, case_id, person_id)
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
        return person_page(request, refusal, case_id, person_id)
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


# --- files of a compartment ----------------------------------------------------------------------


@require_POST
@staff_view(page=_compartment_page)
@memory_uploads  # in memory only, bounded: a passport scan never lands unencrypted in /tmp
@sensitive_post_parameters()
def compartment_file_upload_view(
    request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str
) -> HttpResponse:
    """Put a file in a compartment the member holds, encrypted under the compartment's key."""
    case, person = reach_person(request.member, case_id, person_id)
    compartment = access_held_compartment(request.member, person, kind)
    form = CompartmentFileForm(request.POST, request.FILES, prefix="file")
    act = lambda data: do_add_compartment_file(  # noqa: E731
        actor=request.member, keyring=request.keyring, compartment=compartment, upload=data["file"]
    )
    if submit(form, act) is None:
        page = CompartmentPage(case, person, compartment.kind, file_form=form, status=400)
        return _render_compartment(request, page)
    messages.success(request, _("The file is stored in the compartment, encrypted, without its hidden metadata."))
    return redirect(reverse("workspace:compartment", args=[case.pk, person.pk, compartment.kind]) + "#files")


@staff_view(page=_compartment_page)
def compartment_file_view(
    request: StaffRequest, case_id: uuid.UUID, person_id: uuid.UUID, kind: str, file_id: uuid.UUID
) -> HttpResponse:
    """A file of the compartment, for its holders (audited); 404 for every other member."""
    case, person = reach_person(request.member, case_id, person_id)
    opened = open_compartment_file(request.member, request.keyring, person, compartment_kind(kind), file_id)
    return attachment(opened, case.reference)
