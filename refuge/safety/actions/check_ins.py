"""The requester checks in, with the duress word or "help now" (refuge/requester/views/check_in.py).

Threat: whoever watches the requester's screen, or holds their phone afterwards. A check-in
with the duress word does exactly what a normal one does — the same row, the same schedule
step, the same answer — and in the same transaction raises an alarm that only the team
sees. Whether a word was a duress word is never written in clear: the check-in's encrypted
body says so, for the team. The word is checked with the same slow hash for every check-in,
whether the request has a schedule, a word, or neither, so the time of the answer tells
nothing either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.audit.actions import record_requester_act
from refuge.cases.models import Case
from refuge.core.errors import UserError
from refuge.intake.actions.common import hour_of
from refuge.intake.models import HelpRequest
from refuge.keyring.records import decrypt_column, encrypt_column
from refuge.safety import clock
from refuge.safety.actions.alarms import raise_alarm
from refuge.safety.actions.schedules import alarm_at
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.models import AlarmKind, CheckIn, CheckInSchedule
from refuge.safety.rules import Rule, due_after_check_in
from refuge.safety.words import is_duress_word

MAX_CHECK_IN_CHARS = 500
MAX_CHECK_INS_PER_HOUR = 12
# What a requester without a schedule (or whose schedule ended) is shown as the next check-in:
# the page must read the same either way, and a check-in a day later is welcome from anyone.
UNSCHEDULED_NEXT = timedelta(hours=24)


class Requester(Protocol):
    """A requester who proved their receipt (by typing it, or by their portal session)."""

    @property
    def request(self) -> HelpRequest: ...

    @property
    def secret(self) -> bytes: ...


class Signal:
    NONE = ""
    DURESS = "duress"
    HELP = "help"


@dataclass(frozen=True)
class CheckInAnswer:
    """What the requester is shown: when it was received, and when the next one is due."""

    received_at: datetime
    next_due_at: datetime


def do_check_in(*, access: Requester, message: str, help_now: bool = False) -> CheckInAnswer:
    """A check-in from the portal; the duress word or "help now" also raises an alarm."""
    message = (message or "").strip()
    if len(message) > MAX_CHECK_IN_CHARS:
        raise UserError("check_in_long", _("A check-in message has at most 500 characters."), field="message")
    request = access.request
    found = CheckInSchedule.objects.select_related("key").filter(request=request, active=True).first()
    # The slow hash runs for every check-in, scheduled or not, message or not.
    duress = is_duress_word(message, _bytes(found, "word_salt"), _bytes(found, "word_digest"))
    # One reading of the safety clock (refuge/safety/clock.py) for the time, the hour counted
    # and the schedule's step: an hour turning between two readings would let a 13th in.
    now = clock.now()
    hour = hour_of(now)
    with transaction.atomic():
        if CheckIn.objects.filter(request=request, received_hour__gte=hour).count() >= MAX_CHECK_INS_PER_HOUR:
            raise UserError(
                "check_in_busy", _("You have checked in many times this hour. Your check-ins were received.")
            )
        signal = Signal.HELP if help_now else Signal.DURESS if duress else Signal.NONE
        check_in = CheckIn(
            organisation_id=request.organisation_id, request=request, key=request.key, received_hour=hour
        )
        # The duress word itself is not kept: the team knows it, and the signal says enough.
        body = {"at": now.isoformat(timespec="seconds"), "message": "" if duress else message, "signal": signal}
        encrypt_column(check_in, "body", json.dumps(body).encode(), access.secret, request.key)
        check_in.save(force_insert=True)
        next_due = _step_schedule(found, access.secret, now)
        if signal:
            raise_alarm(
                request_id=request.pk,
                case_id=Case.objects.filter(request=request).values_list("pk", flat=True).first(),
                organisation_id=request.organisation_id,
                kind=AlarmKind.SIGNAL,
                schedule=found,
                check_in=check_in,
            )
        record_requester_act(
            SafetyEvent.CHECK_IN_RECEIVED,
            organisation_id=request.organisation_id,
            object_type="request",
            object_id=request.pk,
        )
    return CheckInAnswer(received_at=now, next_due_at=next_due or now + UNSCHEDULED_NEXT)


def _bytes(schedule: CheckInSchedule | None, column: str) -> bytes | None:
    return None if schedule is None else bytes(getattr(schedule, column))


def _step_schedule(found: CheckInSchedule | None, secret: bytes, now: datetime) -> datetime | None:
    """The check-in counts for what is owed: the next one is computed from the rule."""
    if found is None:
        return None
    schedule = CheckInSchedule.objects.select_for_update().select_related("key").get(pk=found.pk)
    if not schedule.active:
        return None
    rule = Rule.from_bytes(decrypt_column(schedule, "rule", secret, schedule.key))
    due = due_after_check_in(rule, now)
    schedule.next_due_at, schedule.alarm_at, schedule.missed_at = due, alarm_at(due, schedule.grace_minutes), None
    schedule.save(update_fields=["next_due_at", "alarm_at", "missed_at"])
    return due
