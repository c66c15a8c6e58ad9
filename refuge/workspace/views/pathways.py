"""The pathway catalogue: browse it; coordinators add, edit and retire pathways and keep notes.

Every member who works on cases reads the shared catalogue and their organisation's private
pathways (`access_pathway`: another organisation's private pathway is a 404 like a missing
one). Only coordinators change anything; the shared catalogue itself is changed by
`refuge pathways import` alone, since every organisation of the installation shares it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.relocation import actions
from refuge.relocation.access import PATHWAY_READERS, access_pathway, access_pathway_to_manage, can_manage_pathways
from refuge.relocation.queries import catalogue_for, entry_of
from refuge.relocation.requirements import requirement_labels
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_pathways import PathwayForm, PathwayNoteForm
from refuge.workspace.submit import submit


def _details(data: dict[str, Any]) -> actions.PathwayDetails:
    return actions.PathwayDetails(**{name: data[name] for name in PathwayForm.base_fields})


@staff_view()
def pathway_list_view(request: StaffRequest) -> HttpResponse:
    if request.member.role not in PATHWAY_READERS:
        raise Http404
    entries = [
        (entry, requirement_labels(entry.pathway.hard_requirements))
        for entry in catalogue_for(request.member.organisation_id)
    ]
    return render(
        request, "workspace/pathways/list.html", {"entries": entries, "manager": can_manage_pathways(request.member)}
    )


def _detail(
    request: StaffRequest, pathway_id: int, *, note_form: PathwayNoteForm | None = None, status: int = 200
) -> HttpResponse:
    pathway = access_pathway(request.member, pathway_id)
    entry = entry_of(request.member.organisation_id, pathway)
    context = {
        "entry": entry,
        "pathway": pathway,
        "requirements": requirement_labels(pathway.hard_requirements),
        "manager": can_manage_pathways(request.member),
        "own": pathway.organisation_id == request.member.organisation_id,
        "note_form": note_form or PathwayNoteForm(initial={"note": entry.note}, prefix="note"),
    }
    return render(request, "workspace/pathways/detail.html", context, status=status)


def pathway_page(request: StaffRequest, kwargs: dict[str, Any]) -> HttpResponse:
    return _detail(request, kwargs["pathway_id"], status=400)


@staff_view(page=pathway_page)
def pathway_detail_view(request: StaffRequest, pathway_id: int) -> HttpResponse:
    return _detail(request, pathway_id)


@staff_view()
def pathway_new_view(request: StaffRequest) -> HttpResponse:
    if not can_manage_pathways(request.member):
        raise Http404
    form = PathwayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        done = submit(form, lambda data: actions.do_add_pathway(actor=request.member, details=_details(data)))
        if done is not None:
            messages.success(request, _("The pathway is added to your organisation's catalogue."))
            return redirect("workspace:pathway_detail", done.value.pk)
    return render(request, "workspace/pathways/form.html", {"form": form}, status=400 if form.errors else 200)


@staff_view()
def pathway_edit_view(request: StaffRequest, pathway_id: int) -> HttpResponse:
    pathway = access_pathway_to_manage(request.member, pathway_id)
    if pathway.organisation_id != request.member.organisation_id:
        raise Http404  # the shared catalogue is the import's; a coordinator keeps notes on it
    if request.method == "POST":
        form = PathwayForm(request.POST)
        act = lambda data: actions.do_edit_pathway(actor=request.member, pathway=pathway, details=_details(data))  # noqa: E731
        if submit(form, act) is not None:
            messages.success(request, _("The pathway is saved."))
            return redirect("workspace:pathway_detail", pathway.pk)
    else:
        form = PathwayForm(initial=PathwayForm.initial_of(pathway))
    context = {"form": form, "pathway": pathway}
    return render(request, "workspace/pathways/form.html", context, status=400 if form.errors else 200)


@require_POST
@staff_view(page=pathway_page)
def pathway_note_view(request: StaffRequest, pathway_id: int) -> HttpResponse:
    pathway = access_pathway_to_manage(request.member, pathway_id)
    form = PathwayNoteForm(request.POST, prefix="note")
    act = lambda data: actions.do_set_pathway_note(actor=request.member, pathway=pathway, note=data["note"])  # noqa: E731
    if submit(form, act) is None:
        return _detail(request, pathway.pk, note_form=form, status=400)
    messages.success(request, _("Your notes are saved."))
    return redirect("workspace:pathway_detail", pathway.pk)


@require_POST
@staff_view(page=pathway_page)
def pathway_retire_view(request: StaffRequest, pathway_id: int) -> HttpResponse:
    pathway = access_pathway_to_manage(request.member, pathway_id)
    retired = request.POST.get("retired") != "0"
    actions.do_retire_pathway(actor=request.member, pathway=pathway, retired=retired)
    messages.success(request, _("The pathway is retired.") if retired else _("The pathway is offered again."))
    return redirect("workspace:pathway_detail", pathway.pk)
