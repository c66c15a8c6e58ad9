"""The empty duress version of the case list (refuge/workspace/duress.py): its filters, no case."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES
from refuge.cases.models import Case
from refuge.relocation.models import Pathway
from refuge.shelter.models import Shelter
from refuge.workspace.duress import PAGE_SIZE, EmptyPage, register_empty_page
from refuge.workspace.forms_cases import CaseFilterForm


def _case_list(request: HttpRequest, user: User) -> HttpResponse:
    form = CaseFilterForm(
        request.GET,
        # The member filter offers the member alone, as in an organisation of one.
        members=User.objects.filter(pk=user.pk).only("id", "username", "role"),
        shelters=Shelter.objects.none(),
        # The shared catalogue only: an organisation's private pathways are its own.
        pathways=Pathway.objects.filter(organisation__isnull=True).order_by("country", "name"),
    )
    context: dict[str, object] = {"form": form, "today": timezone.localdate()}
    if not form.is_valid():
        return render(request, "workspace/cases/list.html", {**context, "invalid": True}, status=400)
    page = Paginator(Case.objects.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workspace/cases/list.html", {**context, "page": page, "rows": []})


def register() -> None:
    register_empty_page(EmptyPage("workspace:case_list", _case_list, lambda user: user.role in CASE_ROLES))
