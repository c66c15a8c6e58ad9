"""The empty duress versions of the safety pages (refuge/workspace/duress.py).

The escalation checklist of an organisation that has not written one, and the lock page as
every member has it. No alarm shows anywhere under duress (templatetags/safety_banner.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import Role, User
from refuge.workspace.duress import EmptyPage, register_empty_page
from refuge.workspace.forms_safety import EscalationStepForm, LockConfirmForm


def _escalation(request: HttpRequest, user: User) -> HttpResponse:
    # An organisation that has not written its checklist yet.
    return render(request, "workspace/safety/escalation.html", {"steps": [], "form": EscalationStepForm()})


def _lock(request: HttpRequest, user: User) -> HttpResponse:
    # The page as every member has it; its buttons answer a duress session as any form does
    # (the missing page): the account is locked already, by the duress login itself.
    context = {"lock_form": LockConfirmForm(prefix="me"), "emergency_form": LockConfirmForm(prefix="all")}
    return render(request, "workspace/safety/lock.html", context)


def register() -> None:
    register_empty_page(EmptyPage("workspace:escalation", _escalation, lambda user: user.role == Role.COORDINATOR))
    register_empty_page(EmptyPage("workspace:lock", _lock))
