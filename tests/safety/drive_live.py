"""Set up the live alarm test (tests/safety/test_alarm_delivery_live.py) in a production-settings process.

A case accepted for the coordinator and a caseworker, the organisation's mailbox, and a
schedule every hour with one minute's grace, through the real actions; prints the case id
and the moment its first check-in counts as missed, as one JSON line.
"""

from __future__ import annotations

import json
import os

from refuge.accounts import totp
from refuge.accounts.actions.credentials import do_set_notification_email
from refuge.accounts.actions.members import do_create_member
from refuge.accounts.grants import do_approve_grants_owed_to
from refuge.accounts.login import check_login
from refuge.accounts.models import Organisation, Role, User
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Priority
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.safety.actions.schedules import ScheduleInput, do_set_schedule

MAILBOX = "team@live.example"


def main() -> None:
    organisation = Organisation.objects.get(slug="live")
    login = check_login(
        organisation_slug="live",
        username="coord",
        password=os.environ["LIVE_PASSWORD"],
        code=totp.code_at(os.environ["LIVE_TOTP"]),
    )
    assert login.private_key is not None
    coordinator, coord = login.user, Keyring(login.user, login.private_key)
    do_set_notification_email(actor=coordinator, email=MAILBOX)
    intake = do_create_member(
        actor=None, organisation=organisation, username="ivan", role=Role.INTAKE, password="ivan-live-pass"
    )
    worker = do_create_member(
        actor=None, organisation=organisation, username="bob", role=Role.CASEWORKER, password="bob-live-pass"
    )
    do_approve_grants_owed_to(actor=coordinator, keyring=coord, members=[intake.user])
    submission = do_submit_request(
        organisation=organisation, answers={"what_happened": "hiding"}, urgency="now", language="en"
    )
    case = do_accept_request(
        actor=intake.user,
        keyring=Keyring(intake.user, intake.private_key),
        request=submission.request,
        team=[coordinator, worker.user],
        priority=Priority.URGENT,
    )
    schedule = do_set_schedule(
        actor=worker.user,
        keyring=Keyring(worker.user, worker.private_key),
        case=case,
        data=ScheduleInput(
            every_hours=1, times=(), zone="UTC", grace_minutes=1, starts_at=None, ends_at=None, duress_word=""
        ),
    )
    User.objects.filter(pk=coordinator.pk).update(totp_last_step=0)
    assert schedule.alarm_at is not None
    print(json.dumps({"case": str(case.pk), "alarm_at": schedule.alarm_at.timestamp()}))  # noqa: T201
