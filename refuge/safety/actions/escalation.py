"""Coordinators keep the organisation's escalation checklist, which every alarm opens as tasks."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.core.errors import UserError
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.models import EscalationStep

MAX_STEPS = 20
MAX_STEP_MINUTES = 7 * 24 * 60


def do_add_escalation_step(*, actor: User, title: str, minutes: int, owner: str) -> EscalationStep:
    """Append a step ("call the safe contact", 15 minutes, the case team)."""
    title = title.strip()
    if not title:
        raise UserError("step_title", _("Say what is to be done."), field="title")
    if not 1 <= minutes <= MAX_STEP_MINUTES:
        raise UserError("step_minutes", _("A deadline of 1 to 10080 minutes."), field="minutes")
    with transaction.atomic():
        steps = EscalationStep.objects.select_for_update().filter(organisation_id=actor.organisation_id)
        if steps.count() >= MAX_STEPS:
            raise UserError("step_count", _("A checklist has at most 20 steps."))
        position = (steps.aggregate(last=Max("position"))["last"] or 0) + 1
        step = EscalationStep.objects.create(
            organisation_id=actor.organisation_id, position=position, title=title, minutes=minutes, owner=owner
        )
        record(
            SafetyEvent.ESCALATION_STEP_ADDED,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="escalation_step",
            object_id=step.pk,
        )
    return step


def do_remove_escalation_step(*, actor: User, step: EscalationStep) -> None:
    """Remove a step; alarms already raised keep the tasks it opened."""
    with transaction.atomic():
        EscalationStep.objects.filter(pk=step.pk).delete()
        record(
            SafetyEvent.ESCALATION_STEP_REMOVED,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="escalation_step",
            object_id=step.pk,
        )
