"""Alarms: raised by a missed check-in or a signal, acknowledged, answered with an outcome.

Raising is a step inside the transaction that decides it (the scheduler's miss, the
requester's check-in), never an act of its own: the alarm, the case's state, the
escalation tasks, the owed mail notice and the audit entry commit together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.accounts.notices import Kind, owe_notice
from refuge.audit.actions import record
from refuge.cases.models import Case, Priority
from refuge.core.errors import UserError
from refuge.safety import clock
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.models import Alarm, AlarmKind, AlarmTask, CheckIn, CheckInSchedule, EscalationStep


def raise_alarm(
    *,
    request_id: uuid.UUID,
    case_id: uuid.UUID | None,
    organisation_id: uuid.UUID,
    kind: str,
    schedule: CheckInSchedule | None = None,
    due_at: datetime | None = None,
    check_in: CheckIn | None = None,
) -> Alarm:
    """Inside the caller's transaction: the alarm, the case marked, the checklist opened, people told."""
    now = clock.now().replace(microsecond=0)
    alarm = Alarm.objects.create(
        organisation_id=organisation_id,
        request_id=request_id,
        case_id=case_id,
        kind=kind,
        schedule=schedule,
        due_at=due_at,
        check_in=check_in,
        raised_at=now,
    )
    # A missed check-in is lost contact; a signal is an emergency (the case's version moves,
    # so a form read before the alarm cannot silently undo it).
    if case_id is None:
        pass  # a request not yet a case: nothing to mark
    elif kind == AlarmKind.MISSED:
        Case.objects.filter(pk=case_id, lost_contact_since__isnull=True).update(
            lost_contact_since=timezone.localdate(now), version=F("version") + 1
        )
    else:
        Case.objects.filter(pk=case_id).exclude(priority=Priority.EMERGENCY).update(
            priority=Priority.EMERGENCY, version=F("version") + 1
        )
    steps = EscalationStep.objects.filter(organisation_id=organisation_id).order_by("position")
    AlarmTask.objects.bulk_create(
        AlarmTask(
            alarm=alarm,
            position=step.position,
            title=step.title,
            owner=step.owner,
            due_at=now + timedelta(minutes=step.minutes),
        )
        for step in steps
    )
    # Counted as "an alert" in the next content-free notice (refuge/accounts/notices.py).
    owe_notice(organisation_id, Kind.ALERT)
    _audit_alarm(SafetyEvent.ALARM_RAISED, None, organisation_id, alarm.pk)
    return alarm


def do_acknowledge_alarm(*, actor: User, alarm: Alarm) -> Alarm:
    """The first member to take the alarm on; the time to first response is kept."""
    now = clock.now().replace(microsecond=0)
    with transaction.atomic():
        taken = Alarm.objects.filter(pk=alarm.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now,
            acknowledged_by=actor,
            first_response_seconds=max(0, int((now - alarm.raised_at).total_seconds())),
        )
        if not taken:
            raise UserError("alarm_acknowledged", _("Someone has already taken this alarm on."))
        _audit_alarm(SafetyEvent.ALARM_ACKNOWLEDGED, actor, alarm.organisation_id, alarm.pk)
    alarm.refresh_from_db()
    return alarm


def do_record_outcome(*, actor: User, alarm: Alarm, outcome: str) -> Alarm:
    """Close the alarm with what happened; contact back clears the case's lost-contact mark."""
    now = clock.now().replace(microsecond=0)
    with transaction.atomic():
        closed = Alarm.objects.filter(pk=alarm.pk, outcome="").update(
            outcome=outcome,
            outcome_at=now,
            outcome_by=actor,
            # An outcome is a response too: an alarm closed without acknowledging is measured.
            acknowledged_at=alarm.acknowledged_at or now,
            acknowledged_by=alarm.acknowledged_by or actor,
            first_response_seconds=alarm.first_response_seconds
            if alarm.first_response_seconds is not None
            else max(0, int((now - alarm.raised_at).total_seconds())),
        )
        if not closed:
            raise UserError("alarm_closed", _("An outcome was already recorded for this alarm."))
        if alarm.case_id is not None and outcome in {"contact_back", "false_alarm"} and not _open_on(alarm.case_id):
            Case.objects.filter(pk=alarm.case_id).update(lost_contact_since=None, version=F("version") + 1)
        _audit_alarm(SafetyEvent.ALARM_OUTCOME, actor, alarm.organisation_id, alarm.pk)
    alarm.refresh_from_db()
    return alarm


def do_finish_alarm_task(*, actor: User, task: AlarmTask) -> None:
    """Tick a step of the checklist off (once)."""
    with transaction.atomic():
        done = AlarmTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=clock.now(), done_by=actor)
        if not done:
            raise UserError("alarm_task_done", _("This step is already done."))
        _audit_alarm(SafetyEvent.ALARM_TASK_DONE, actor, actor.organisation_id, task.alarm_id)


def _audit_alarm(event: SafetyEvent, actor: User | None, organisation_id: uuid.UUID, alarm_id: uuid.UUID) -> None:
    """Record an act on an alarm: who (None: the scheduler), which alarm; never the case or the person."""
    record(
        event,
        actor_id=actor.pk if actor is not None else None,
        organisation_id=organisation_id,
        object_type="alarm",
        object_id=alarm_id,
    )


def _open_on(case_id: uuid.UUID) -> bool:
    return Alarm.objects.filter(case_id=case_id, outcome="").exists()
