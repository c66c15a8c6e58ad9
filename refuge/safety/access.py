"""Who may reach an alarm, its tasks, and the escalation checklist: the same 404 for missing and forbidden."""

from __future__ import annotations

import uuid

from django.http import Http404

from refuge.accounts.models import Role, User
from refuge.cases.access import is_team_member
from refuge.core.lookup import uuid_or_404
from refuge.safety.models import Alarm, AlarmTask, EscalationStep


def may_answer(user: User, alarm: Alarm) -> bool:
    """Coordinators answer every alarm of their organisation; a case's team its own; intake a request's."""
    if not user.is_active or user.organisation_id != alarm.organisation_id:
        return False
    if user.role == Role.COORDINATOR:
        return True
    if alarm.case is None:
        return user.role == Role.INTAKE
    return user.role in {Role.CASEWORKER, Role.INTAKE} and is_team_member(user, alarm.case)


def access_alarm(user: User, alarm_id: uuid.UUID | str) -> Alarm:
    """The alarm if the user answers it; else 404."""
    alarm = (
        Alarm.objects.select_related("case", "acknowledged_by", "outcome_by")
        .filter(pk=uuid_or_404(alarm_id), organisation_id=user.organisation_id)
        .first()
    )
    if alarm is None or not may_answer(user, alarm):
        raise Http404
    return alarm


def access_alarm_task(user: User, alarm: Alarm, task_id: uuid.UUID | str) -> AlarmTask:
    """A task of this alarm (one of another alarm is 404)."""
    task = AlarmTask.objects.filter(pk=uuid_or_404(task_id), alarm=alarm).first()
    if task is None or not may_answer(user, alarm):
        raise Http404
    return task


def access_escalation_checklist(user: User) -> None:
    """The organisation's checklist is its coordinators'; everyone else gets the missing page."""
    if user.role != Role.COORDINATOR or not user.is_active:
        raise Http404


def access_escalation_step(user: User, step_id: uuid.UUID | str) -> EscalationStep:
    """A step of the user's organisation's checklist, for its coordinators."""
    access_escalation_checklist(user)
    step = EscalationStep.objects.filter(pk=uuid_or_404(step_id), organisation_id=user.organisation_id).first()
    if step is None:
        raise Http404
    return step
