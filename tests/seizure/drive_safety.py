"""Drive every safety feature with canaries, in a production-settings process (see test_seizure_safety.py).

Run as `refuge manage shell -c "from tests.seizure.drive_safety import main; main()"` with
SEIZURE_PASSWORD and SEIZURE_TOTP naming the coordinator's secrets. A schedule whose rule
carries canaries (a rare time zone, an end "when the flight lands"), a duress word, a
check-in with a message, a duress check-in and "help now", all through the real actions;
then a team member leaves, which rotates the request key and re-encrypts all of it.
"""

from __future__ import annotations

import datetime
import json
import os

from refuge.accounts import totp
from refuge.accounts.actions.members import do_create_member
from refuge.accounts.grants import do_approve_grants_owed_to
from refuge.accounts.login import check_login
from refuge.accounts.models import Organisation, Role, User
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.team import do_remove_team_member
from refuge.cases.models import Priority
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.safety.actions.check_ins import do_check_in
from refuge.safety.actions.schedules import ScheduleInput, do_set_schedule

# The flight lands at this minute: the schedule's end says when a person travels.
FLIGHT_LANDS = datetime.datetime(2031, 7, 19, 4, 37, tzinfo=datetime.UTC)
CANARIES = {
    "check-in message": "CANARY-checkin-at-the-dacha-near-Tver-5e2a",
    "duress word": "CANARY-duress-sunflower-91c3",
    # A time zone and local times say where someone hides.
    "time zone": "Asia/Srednekolymsk",
    "schedule end": FLIGHT_LANDS.isoformat(),
}


def main() -> None:
    organisation = Organisation.objects.get(slug="canary")
    login = check_login(
        organisation_slug="canary",
        username="coord",
        password=os.environ["SEIZURE_PASSWORD"],
        code=totp.code_at(os.environ["SEIZURE_TOTP"]),
    )
    assert login.private_key is not None
    coordinator = login.user
    coord = Keyring(coordinator, login.private_key)
    intake = do_create_member(
        actor=None, organisation=organisation, username="ivan", role=Role.INTAKE, password="ivan-canary-pass"
    )
    worker = do_create_member(
        actor=None, organisation=organisation, username="bob", role=Role.CASEWORKER, password="bob-canary-pass"
    )
    do_approve_grants_owed_to(actor=coordinator, keyring=coord, members=[intake.user])
    submission = do_submit_request(
        organisation=organisation, answers={"what_happened": "hiding"}, urgency="now", language="ru"
    )
    case = do_accept_request(
        actor=intake.user,
        keyring=Keyring(intake.user, intake.private_key),
        request=submission.request,
        team=[coordinator, worker.user],
        priority=Priority.URGENT,
    )
    do_set_schedule(
        actor=worker.user,
        keyring=Keyring(worker.user, worker.private_key),
        case=case,
        data=ScheduleInput(
            every_hours=None,
            times=(datetime.time(7, 13), datetime.time(19, 41)),
            zone=CANARIES["time zone"],
            grace_minutes=20,
            starts_at=None,
            ends_at=FLIGHT_LANDS,
            duress_word=CANARIES["duress word"],
        ),
    )
    access = access_by_receipt(submission.receipt)
    do_check_in(access=access, message=CANARIES["check-in message"])
    do_check_in(access=access, message=CANARIES["duress word"])
    do_check_in(access=access, message="", help_now=True)
    # Bob leaves the team: the request key is rotated, re-encrypting the rule and the check-ins.
    do_remove_team_member(actor=coordinator, keyring=coord, case=case, member=worker.user)
    User.objects.filter(pk=coordinator.pk).update(totp_last_step=0)
    print(json.dumps({"case": str(case.pk)}))  # noqa: T201 - the test reads this line from the output
