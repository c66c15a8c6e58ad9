"""What the workspace lists without decrypting anything: open alarms, a case's schedule and alarms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from refuge.accounts.models import Role, User
from refuge.cases.models import Case, TeamMember
from refuge.safety.models import Alarm, CheckIn, CheckInSchedule, EscalationStep

# What the alarm banner (every workspace page) and the home page's alarms card show of an alarm,
# with the case's reference: read with `.only(*LISTED_COLUMNS)`. Building the statement for every
# column of the alarm and its case cost more than the database took to answer it: about 0.5 ms
# of every page, where most organisations have no open alarm at all.
LISTED_COLUMNS = ("kind", "raised_at", "acknowledged_at", "case__reference")

# The name under which the member loaded for a request carries `any_alarm_open` (refuge/safety/apps.py).
ANY_ALARM_OPEN = "organisation_has_open_alarm"


def any_alarm_open() -> Exists:
    """Whether the member's organisation has an open alarm, asked with the member (through alarm_open_idx)."""
    return Exists(Alarm.objects.filter(organisation_id=OuterRef("organisation_id"), outcome=""))


def open_alarms_for(user: User) -> QuerySet[Alarm]:
    """The open alarms this member answers (the banner on every workspace page)."""
    # The member of a request was loaded with whether any alarm of the organisation is open, in
    # the same statement and anew for every request (refuge/accounts/backends.py): when none is,
    # there is nothing to look up. A member loaded any other way has no answer and looks them up.
    if not getattr(user, ANY_ALARM_OPEN, True):
        return Alarm.objects.none()
    alarms = Alarm.objects.filter(organisation_id=user.organisation_id, outcome="").select_related("case")
    if user.role == Role.COORDINATOR:
        return alarms
    teams = TeamMember.objects.filter(user=user).values("case_id")
    if user.role == Role.INTAKE:
        return alarms.filter(case__isnull=True) | alarms.filter(case_id__in=teams)
    if user.role == Role.CASEWORKER:
        return alarms.filter(case_id__in=teams)
    return alarms.none()


@dataclass(frozen=True)
class CaseSafety:
    """The safety panel's clear facts: the schedule's state and the case's alarms."""

    schedule: CheckInSchedule | None
    alarms: list[Alarm]
    check_ins: int
    can_schedule: bool


# The safety panel's questions (refuge/workspace/panels.py, `CasePanel.asks`): whether the case has a
# schedule, an alarm, a check-in. Asked on every case page, where most cases have none of them, in
# the one statement of every panel's questions, so that only what there is gets read.
CASE_QUESTIONS = {
    "safety_schedule": "EXISTS (SELECT 1 FROM safety_checkinschedule WHERE case_id = %(case)s)",
    "safety_alarms": "EXISTS (SELECT 1 FROM safety_alarm WHERE case_id = %(case)s)",
    "safety_check_ins": "EXISTS (SELECT 1 FROM safety_checkin WHERE request_id = %(request)s)",
}


def case_safety(case: Case, answers: Mapping[str, Any]) -> CaseSafety:
    """The safety panel's facts, reading only what `CASE_QUESTIONS`, answered, says there is."""
    schedule = CheckInSchedule.objects.filter(case=case).first() if answers["safety_schedule"] else None
    alarms = list(Alarm.objects.filter(case=case).prefetch_related("tasks")[:20]) if answers["safety_alarms"] else []
    has_check_ins = answers["safety_check_ins"] and case.request_id
    count = CheckIn.objects.filter(request_id=case.request_id).count() if has_check_ins else 0
    return CaseSafety(schedule=schedule, alarms=alarms, check_ins=count, can_schedule=case.request_id is not None)


def escalation_steps(user: User) -> QuerySet[EscalationStep]:
    return EscalationStep.objects.filter(organisation_id=user.organisation_id).order_by("position")
