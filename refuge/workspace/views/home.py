"""The home page: what needs me today."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from refuge.accounts.models import Role, User
from refuge.accounts.queries import open_alerts
from refuge.cases import home as today_queries
from refuge.cases.access import CASE_ROLES
from refuge.keyring.keyring import Keyring
from refuge.keyring.queries import keys_due_for_rotation
from refuge.workspace.decorators import staff_view


@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    context: dict[str, object] = {"empty": False}
    if user.role in {Role.COORDINATOR, Role.ADMINISTRATOR}:
        context["alerts"] = list(open_alerts(user.organisation)[:20])
    if user.role == Role.COORDINATOR:
        context["keys_due"] = keys_due_for_rotation(user.organisation).count()
    if user.role in CASE_ROLES:
        context |= _today(user, cast(Keyring, request.keyring))  # type: ignore[attr-defined]
    return render(request, "workspace/home.html", context)


def _today(user: User, keyring: Keyring) -> dict[str, object]:
    """Each section of "what needs me today"; only the titles of the tasks shown are decrypted."""
    today = timezone.localdate()
    sections: dict[str, object] = {
        "today": today,
        "whole_organisation": user.role == Role.COORDINATOR,
        "emergencies": today_queries.emergency_cases(user),
        "lost_contact": today_queries.lost_contact_cases(user),
        "awaiting_reply": today_queries.awaiting_reply_cases(user),
        "requests_awaiting": today_queries.requests_awaiting_reply(user),
        "tasks": today_queries.task_titles(today_queries.my_tasks(user, today), keyring),
        "appointments": today_queries.task_titles(today_queries.upcoming_appointments(user, today), keyring),
        "overdue_stays": today_queries.overdue_stays(user, today),
    }
    sections["anything"] = any(value for key, value in sections.items() if key not in {"today", "whole_organisation"})
    return sections
