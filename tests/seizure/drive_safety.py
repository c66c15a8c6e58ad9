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

from refuge.accounts.models import Organisation, User
from refuge.cases.actions.team import do_remove_team_member
from refuge.intake.access import access_by_receipt
from refuge.safety.actions.check_ins import do_check_in
from refuge.safety.actions.schedules import ScheduleInput, do_set_schedule
from tests.support.team_case import log_in_coordinator, open_case_with_team

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
    coordinator, coord = log_in_coordinator(
        "canary", password=os.environ["SEIZURE_PASSWORD"], totp_secret=os.environ["SEIZURE_TOTP"]
    )
    team = open_case_with_team(organisation, coordinator, coord, tag="canary", language="ru")
    do_set_schedule(
        actor=team.worker.user,
        keyring=team.worker_keyring,
        case=team.case,
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
    access = access_by_receipt(team.receipt)
    do_check_in(access=access, message=CANARIES["check-in message"])
    do_check_in(access=access, message=CANARIES["duress word"])
    do_check_in(access=access, message="", help_now=True)
    # Bob leaves the team: the request key is rotated, re-encrypting the rule and the check-ins.
    do_remove_team_member(actor=coordinator, keyring=coord, case=team.case, member=team.worker.user)
    User.objects.filter(pk=coordinator.pk).update(totp_last_step=0)
    print(json.dumps({"case": str(team.case.pk)}))  # noqa: T201 - the test reads this line from the output
