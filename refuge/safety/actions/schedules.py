"""A caseworker sets or stops the requester's check-in schedule (one transaction each, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.cases.models import Case
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import decrypt_column, encrypt_column
from refuge.safety import clock
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.models import CheckInSchedule
from refuge.safety.rules import MAX_EVERY_HOURS, MAX_TIMES, Rule, first_due, known_zone
from refuge.safety.words import MAX_WORD_CHARS, new_word_record

MAX_GRACE_MINUTES = 24 * 60


@dataclass(frozen=True)
class ScheduleInput:
    """What the caseworker typed on the case page's safety panel."""

    every_hours: int | None
    times: tuple[time, ...]
    zone: str
    grace_minutes: int
    starts_at: datetime | None
    ends_at: datetime | None
    duress_word: str


def _check(data: ScheduleInput, now: datetime) -> None:
    if (data.every_hours is None) == (not data.times):
        raise UserError(
            "schedule_kind", _("Give either a number of hours or fixed times, not both."), field="every_hours"
        )
    if data.every_hours is not None and not 1 <= data.every_hours <= MAX_EVERY_HOURS:
        raise UserError("schedule_hours", _("Every 1 to 168 hours."), field="every_hours")
    if len(data.times) > MAX_TIMES:
        raise UserError("schedule_times", _("At most 6 times a day."), field="times")
    if not known_zone(data.zone):
        raise UserError("schedule_zone", _("Choose a time zone from the list."), field="zone")
    if not 0 <= data.grace_minutes <= MAX_GRACE_MINUTES:
        raise UserError("schedule_grace", _("A grace period of 0 to 1440 minutes."), field="grace_minutes")
    if data.ends_at is not None and data.ends_at <= max(now, data.starts_at or now):
        raise UserError("schedule_end", _("The end must be after the start and in the future."), field="ends_at")
    if len(data.duress_word) > MAX_WORD_CHARS:
        raise UserError("duress_word_long", _("A duress word of at most 60 characters."), field="duress_word")


def do_set_schedule(*, actor: User, keyring: Keyring, case: Case, data: ScheduleInput) -> CheckInSchedule:
    """Set (or replace) the requester's schedule; the first check-in is owed from now."""
    now = clock.now()
    _check(data, now)
    if case.request is None:
        raise UserError("schedule_no_portal", _("This case has no request, so its person cannot check in."))
    key = case.request.key
    secret = keyring.secret_for(key)
    with transaction.atomic():
        schedule = CheckInSchedule.objects.select_for_update().filter(case=case).first()
        keep_word = schedule is not None and not data.duress_word.strip()
        had_word = keep_word and schedule is not None and _had_word(schedule, secret)
        rule = Rule(
            every_hours=data.every_hours,
            times=tuple(sorted(data.times)),
            zone=data.zone,
            starts_at=data.starts_at or now,
            ends_at=data.ends_at,
            has_word=bool(data.duress_word.strip()) or had_word,
        )
        if schedule is None:
            schedule = CheckInSchedule(
                organisation_id=case.organisation_id,
                case=case,
                request=case.request,
                key=key,
                created_on=timezone.localdate(),
            )
        else:
            schedule.version += 1
        if not keep_word:
            schedule.word_salt, schedule.word_digest = new_word_record(data.duress_word)
        due = first_due(rule, now)
        schedule.grace_minutes = data.grace_minutes
        schedule.next_due_at, schedule.alarm_at = due, alarm_at(due, data.grace_minutes)
        schedule.missed_at = None
        schedule.active = True
        encrypt_column(schedule, "rule", rule.to_bytes(), secret, key)
        schedule.save()
        record(
            SafetyEvent.SCHEDULE_SET,
            actor_id=actor.pk,
            organisation_id=case.organisation_id,
            object_type="case",
            object_id=case.pk,
        )
    return schedule


def _had_word(schedule: CheckInSchedule, secret: bytes) -> bool:
    return Rule.from_bytes(decrypt_column(schedule, "rule", secret, schedule.key)).has_word


def alarm_at(due: datetime | None, grace_minutes: int) -> datetime | None:
    """When a check-in owed at `due` counts as missed."""
    return None if due is None else due + timedelta(minutes=grace_minutes)


def do_stop_schedule(*, actor: User, case: Case) -> None:
    """Stop asking for check-ins (the rule is kept, encrypted, for the record)."""
    with transaction.atomic():
        stopped = CheckInSchedule.objects.filter(case=case, active=True).update(
            active=False, next_due_at=None, alarm_at=None, missed_at=None
        )
        if not stopped:
            raise UserError("schedule_not_active", _("There is no running schedule to stop."))
        record(
            SafetyEvent.SCHEDULE_STOPPED,
            actor_id=actor.pk,
            organisation_id=case.organisation_id,
            object_type="case",
            object_id=case.pk,
        )
