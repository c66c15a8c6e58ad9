"""The empty duress versions of the pathway catalogue and the outcomes (refuge/workspace/duress.py).

What a new organisation sees: the shared catalogue without notes or private pathways, and
outcome statistics over no application.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import Role, User
from refuge.applications.outcomes import csv_rows
from refuge.cases.access import CASE_ROLES
from refuge.relocation.access import access_shared_pathway, can_manage_pathways
from refuge.relocation.models import Pathway
from refuge.relocation.queries import CatalogueEntry
from refuge.relocation.requirements import requirement_labels
from refuge.workspace.duress import EmptyPage, register_empty_page
from refuge.workspace.forms_outcomes import OutcomeFilterForm
from refuge.workspace.forms_pathways import PathwayForm, PathwayNoteForm


def _case_roles(user: User) -> bool:
    return user.role in CASE_ROLES


def _pathway_list(request: HttpRequest, user: User) -> HttpResponse:
    # What a new organisation sees: the shared catalogue, without notes or private pathways.
    shared = Pathway.objects.filter(organisation__isnull=True, active=True).order_by("country", "name")
    entries = [
        (CatalogueEntry(pathway=p, note="", offered=True), requirement_labels(p.hard_requirements)) for p in shared
    ]
    return render(request, "workspace/pathways/list.html", {"entries": entries, "manager": can_manage_pathways(user)})


def _pathway_detail(request: HttpRequest, user: User) -> HttpResponse:
    # A shared pathway as a new organisation sees it: no notes; a private one does not exist.
    wanted = request.resolver_match.kwargs.get("pathway_id", 0) if request.resolver_match else 0
    pathway = access_shared_pathway(user, wanted)
    context = {
        "entry": CatalogueEntry(pathway=pathway, note="", offered=pathway.active),
        "pathway": pathway,
        "requirements": requirement_labels(pathway.hard_requirements),
        "manager": can_manage_pathways(user),
        "own": False,
        "note_form": PathwayNoteForm(prefix="note"),
    }
    return render(request, "workspace/pathways/detail.html", context)


def _pathway_new(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/pathways/form.html", {"form": PathwayForm()})


def _outcomes(request: HttpRequest, user: User) -> HttpResponse:
    # The member filter offers the member alone, as in an organisation of one.
    form = OutcomeFilterForm(None, viewer=user, members=User.objects.filter(pk=user.pk))
    context = {"form": form, "rows": [], "bars": [], "coordinator": user.role == Role.COORDINATOR, "query": ""}
    return render(request, "workspace/outcomes/page.html", context)


def _outcomes_csv(request: HttpRequest, user: User) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    csv.writer(response, lineterminator="\n").writerows(csv_rows([]))
    return response


def register() -> None:
    register_empty_page(EmptyPage("workspace:pathway_list", _pathway_list, _case_roles))
    register_empty_page(EmptyPage("workspace:pathway_detail", _pathway_detail, _case_roles))
    register_empty_page(EmptyPage("workspace:pathway_new", _pathway_new, can_manage_pathways))
    register_empty_page(EmptyPage("workspace:outcomes", _outcomes, _case_roles))
    register_empty_page(EmptyPage("workspace:outcomes_csv", _outcomes_csv, _case_roles))
