"""What the check-ins page shows, opened in one call: the schedule's rule and every check-in, decrypted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.cases.access import access_case
from refuge.cases.models import Case
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import decrypt_column
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.models import CheckIn, CheckInSchedule
from refuge.safety.rules import Rule

MAX_SHOWN = 200


@dataclass(frozen=True)
class ShownCheckIn:
    at: datetime
    message: str
    signal: str


@dataclass(frozen=True)
class CheckInsPage:
    case: Case
    schedule: CheckInSchedule | None
    rule: Rule | None
    check_ins: list[ShownCheckIn]


def open_check_ins_page(member: User, keyring: Keyring, case_id: object) -> CheckInsPage:
    """For a team member: the rule and the check-ins, read under the request key (the read is audited)."""
    case = access_case(member, str(case_id)).case
    if case.request is None:
        return CheckInsPage(case=case, schedule=None, rule=None, check_ins=[])
    key = case.request.key
    secret = keyring.secret_for(key)
    schedule = CheckInSchedule.objects.filter(case=case).select_related("key").first()
    rule = Rule.from_bytes(decrypt_column(schedule, "rule", secret, schedule.key)) if schedule else None
    rows = CheckIn.objects.filter(request=case.request).select_related("key").order_by("-received_hour")[:MAX_SHOWN]
    shown = []
    for row in rows:
        body = json.loads(decrypt_column(row, "body", secret, row.key))
        shown.append(ShownCheckIn(datetime.fromisoformat(body["at"]), body["message"], body["signal"]))
    shown.sort(key=lambda item: item.at, reverse=True)
    with transaction.atomic():
        record(
            SafetyEvent.CHECK_INS_READ,
            actor_id=member.pk,
            organisation_id=case.organisation_id,
            object_type="case",
            object_id=case.pk,
        )
    return CheckInsPage(case=case, schedule=schedule, rule=rule, check_ins=shown)
