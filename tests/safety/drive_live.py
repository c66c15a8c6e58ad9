"""Set up the live alarm test (tests/safety/test_alarm_delivery_live.py) in a production-settings process.

A case accepted for the coordinator and a caseworker, the organisation's mailbox, and a
schedule every hour with one minute's grace, through the real actions; prints the case id
and the moment its first check-in counts as missed, as one JSON line.
"""

from __future__ import annotations

import json
import os

from refuge.accounts.actions.credentials import do_set_notification_email
from refuge.accounts.models import Organisation, User
from refuge.safety.actions.schedules import ScheduleInput, do_set_schedule
from tests.support.team_case import log_in_coordinator, open_case_with_team

MAILBOX = "team@live.example"


def main() -> None:
    organisation = Organisation.objects.get(slug="live")
    coordinator, coord = log_in_coordinator(
        "live", password=os.environ["LIVE_PASSWORD"], totp_secret=os.environ["LIVE_TOTP"]
    )
    do_set_notification_email(actor=coordinator, email=MAILBOX)
    team = open_case_with_team(organisation, coordinator, coord, tag="live", language="en")
    schedule = do_set_schedule(
        actor=team.worker.user,
        keyring=team.worker_keyring,
        case=team.case,
        data=ScheduleInput(
            every_hours=1, times=(), zone="UTC", grace_minutes=1, starts_at=None, ends_at=None, duress_word=""
        ),
    )
    User.objects.filter(pk=coordinator.pk).update(totp_last_step=0)
    assert schedule.alarm_at is not None
    print(json.dumps({"case": str(team.case.pk), "alarm_at": schedule.alarm_at.timestamp()}))  # noqa: T201
