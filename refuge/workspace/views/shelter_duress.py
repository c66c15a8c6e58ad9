"""The empty duress versions of the shelter pages (refuge/workspace/duress.py): no safe house."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES
from refuge.shelter.access import can_manage_shelters
from refuge.workspace.duress import EmptyPage, register_empty_page
from refuge.workspace.forms_shelters import ShelterForm


def _shelter_list(request: HttpRequest, user: User) -> HttpResponse:
    context = {"shelters": [], "manager": can_manage_shelters(user)}
    return render(request, "workspace/shelters/list.html", context)


def _shelter_new(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/shelters/new.html", {"form": ShelterForm()})


def register() -> None:
    register_empty_page(EmptyPage("workspace:shelter_list", _shelter_list, lambda user: user.role in CASE_ROLES))
    register_empty_page(EmptyPage("workspace:shelter_new", _shelter_new, can_manage_shelters))
