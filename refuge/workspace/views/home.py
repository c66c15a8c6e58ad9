"""The home page: what needs me today."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from refuge.accounts.approvals import invitations_awaiting_approval
from refuge.accounts.models import Role, User
from refuge.accounts.queries import open_alerts
from refuge.cases import home as today_queries
from refuge.cases.access import CASE_ROLES
from refuge.keyring.keyring import Keyring
from refuge.keyring.queries import grants_awaiting, grants_to_approve, keys_due_for_rotation
from refuge.shelter.queries import overdue_stays
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.views.grants import shown_grants


@staff_view()
def home(request: StaffRequest) -> HttpResponse:
    user = request.member
    context: dict[str, object] = {"empty": False}
    if user.role in {Role.COORDINATOR, Role.ADMINISTRATOR}:
        context["alerts"] = list(open_alerts(user.organisation)[:20])
    if user.role == Role.COORDINATOR:
        context["keys_due"] = keys_due_for_rotation(user.organisation).count()
        context["invitations_waiting"] = invitations_awaiting_approval(user.organisation).count()
    if user.sees_content:
        # Keys owed to colleagues that this member holds, and this member's own pending access.
        waiting = grants_to_approve(user)
        context["grants_waiting"] = waiting.count()
        context["grants_shown"] = shown_grants(user, list(waiting[:5]))
        context["my_pending_keys"] = grants_awaiting(user).count()
    if user.role in CASE_ROLES:
        context |= _today(user, request.keyring)
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
        "overdue_stays": overdue_stays(user, today),
    }
    sections["anything"] = any(value for key, value in sections.items() if key not in {"today", "whole_organisation"})
    return sections
