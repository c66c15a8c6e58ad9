"""A case with a team, set up through the real actions in a production-settings process.

Used by the drivers that run inside `refuge manage shell` (tests/safety/drive_live.py,
tests/seizure/drive_safety.py, tests/seizure/drive_cases.py): the coordinator logs in with the
secrets the test hands over, an intake member (Ivan) and a caseworker (Bob) are created, and Ivan
accepts a new request with the coordinator and Bob on its team.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refuge.accounts import totp
from refuge.accounts.actions.base import Enrolment
from refuge.accounts.actions.members import do_create_member
from refuge.accounts.grants import do_approve_grants_owed_to
from refuge.accounts.login import check_login
from refuge.accounts.models import Organisation, Role, User
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case, Priority
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring


@dataclass(frozen=True)
class TeamCase:
    case: Case
    # The requester's receipt: what they check in and read replies with.
    receipt: str
    worker: Enrolment
    worker_keyring: Keyring


def log_in_coordinator(slug: str, *, password: str, totp_secret: str) -> tuple[User, Keyring]:
    """The organisation's coordinator `coord`, logged in with a fresh code, and their keyring."""
    login = check_login(organisation_slug=slug, username="coord", password=password, code=totp.code_at(totp_secret))
    assert login.private_key is not None
    return login.user, Keyring(login.user, login.private_key)


def open_case_with_team(
    organisation: Organisation,
    coordinator: User,
    coord: Keyring,
    *,
    tag: str,
    language: str,
    answers: dict[str, Any] | None = None,
    priority: str = Priority.URGENT,
) -> TeamCase:
    """Ivan (intake) accepts a new request (`answers`, urgency "now") with the coordinator and Bob
    (caseworker) on its team.

    The members' passwords carry `tag` (`ivan-<tag>-pass`), so that each suite's are its own.
    """
    intake = do_create_member(
        actor=None, organisation=organisation, username="ivan", role=Role.INTAKE, password=f"ivan-{tag}-pass"
    )
    worker = do_create_member(
        actor=None, organisation=organisation, username="bob", role=Role.CASEWORKER, password=f"bob-{tag}-pass"
    )
    do_approve_grants_owed_to(actor=coordinator, keyring=coord, members=[intake.user])
    submission = do_submit_request(
        organisation=organisation,
        answers=answers if answers is not None else {"what_happened": "hiding"},
        urgency="now",
        language=language,
    )
    case = do_accept_request(
        actor=intake.user,
        keyring=Keyring(intake.user, intake.private_key),
        request=submission.request,
        team=[coordinator, worker.user],
        priority=priority,
    )
    return TeamCase(case, submission.receipt, worker, Keyring(worker.user, worker.private_key))
