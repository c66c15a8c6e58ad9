"""The empty duress version of the retention page (refuge/workspace/duress.py).

An organisation with no rule yet: nothing due, nothing held.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import User
from refuge.retention.access import may_manage_retention
from refuge.retention.models import Subject
from refuge.retention.queries import PLAN_DAYS, Plan
from refuge.workspace.duress import EmptyPage, register_empty_page
from refuge.workspace.forms_retention import RetentionRulesForm


def _retention(request: HttpRequest, user: User) -> HttpResponse:
    plan = Plan(days=PLAN_DAYS, counts={subject.value: 0 for subject in Subject}, items=[], total=0)
    context = {
        "form": RetentionRulesForm(),
        "plan": plan,
        "counts": [(subject.label, 0) for subject in Subject],
        "holds": [],
    }
    return render(request, "workspace/retention/page.html", context)


def register() -> None:
    register_empty_page(EmptyPage("workspace:retention", _retention, may_manage_retention))
