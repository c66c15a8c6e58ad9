"""What needs a member today: the queries behind the workspace home page.

Each list is bounded (`LIMIT`) and answered with one query through an index, so the
page costs about the same with 100 or 100,000 cases: cases by (organisation,
priority, due_on), tasks by (owner, done_on, due_on), and "on my team" as one probe of
(user, case) per row. Overdue shelter stays are the shelter app's own section
(`refuge.shelter.queries.overdue_stays`, stays by (organisation, ended_on, planned_until)),
built on `sees_whole_organisation` and `on_my_team` from here.
Lists decrypt nothing; the only text decrypted is the title of each task shown,
under its case key, for a member on that case's team (`task_titles`).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from refuge.accounts.models import Role, User
from refuge.cases.compartments import generated_task_title
from refuge.cases.models import Case, Priority, Task, TaskKind, TeamMember
from refuge.crypto import CryptoError
from refuge.intake.access import can_read_requests
from refuge.intake.models import HelpRequest
from refuge.intake.queries import inbox
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.records import decrypt_text

log = logging.getLogger(__name__)

LIMIT = 20
TASK_HORIZON_DAYS = 7
APPOINTMENT_HORIZON_DAYS = 14


def sees_whole_organisation(user: User) -> bool:
    # Coordinators supervise every case of their organisation (metadata only).
    return user.role == Role.COORDINATOR


def on_my_team(user: User, case_field: str = "pk") -> Exists:
    """True for rows whose case has the user on its team: one index probe per row, (user, case)."""
    return Exists(TeamMember.objects.filter(user=user, case_id=OuterRef(case_field)))


def _cases_in_scope(user: User) -> QuerySet[Case]:
    # Open cases only (case_open_idx); the encrypted summary is never needed here.
    cases = Case.objects.filter(organisation_id=user.organisation_id, still_open=True).defer("summary")
    if sees_whole_organisation(user):
        return cases
    # Driven from the member's own team rows ((user, case) index): a few hundred at most,
    # where probing every emergency case of the organisation would be thousands.
    return cases.filter(pk__in=TeamMember.objects.filter(user=user).values("case_id"))


def emergency_cases(user: User) -> list[Case]:
    """Open emergency cases (coordinators: of the organisation; others: of their teams), earliest due first."""
    # Ordered by due_on alone, so the (organisation, priority, due_on) index gives the
    # order and the scan stops at LIMIT rows.
    cases = _cases_in_scope(user).filter(priority=Priority.EMERGENCY)
    return list(cases.order_by("due_on")[:LIMIT])


def lost_contact_cases(user: User) -> list[Case]:
    """Open cases whose person stopped answering: an alarm, never a closing (DOMAIN.md)."""
    # Driven from the lost-contact partial index (few rows), each probed for the team.
    cases = Case.objects.filter(
        organisation_id=user.organisation_id, lost_contact_since__isnull=False, still_open=True
    ).defer("summary")
    if not sees_whole_organisation(user):
        cases = cases.filter(on_my_team(user))
    return list(cases.order_by("lost_contact_since")[:LIMIT])


def awaiting_reply_cases(user: User) -> list[Case]:
    """Cases of the member's teams where the requester wrote and nobody has answered yet."""
    # Driven from the requests waiting for an answer (request_awaiting_idx, a few rows),
    # each probed for its case and for the member on its team.
    waiting = HelpRequest.objects.filter(organisation_id=user.organisation_id, awaiting_team=True)
    cases = Case.objects.filter(on_my_team(user), request_id__in=waiting.values("pk"), still_open=True).defer(
        "summary", "request__content"
    )
    return list(cases.select_related("request").order_by("request__last_activity_at")[:LIMIT])


def requests_awaiting_reply(user: User) -> int:
    """Open requests in the inbox waiting for a first or next answer from intake."""
    if not can_read_requests(user):
        return 0
    return inbox(user.organisation).filter(awaiting_team=True).count()


def _my_open_tasks(user: User, kind: str) -> QuerySet[Task]:
    # (owner, done_on, due_on) index: owner = user, done_on IS NULL, then due_on in order.
    # A member taken off a team keeps no access to its tasks: the team check is per row.
    return Task.objects.filter(
        on_my_team(user, "case_id"), owner=user, done_on__isnull=True, due_on__isnull=False, kind=kind
    )


def my_tasks(user: User, today: datetime.date) -> list[Task]:
    """The member's open tasks that are overdue or due within a week, earliest first."""
    horizon = today + datetime.timedelta(days=TASK_HORIZON_DAYS)
    tasks = _my_open_tasks(user, TaskKind.TASK).filter(due_on__lte=horizon)
    return list(tasks.select_related("case", "key").order_by("due_on")[:LIMIT])


def upcoming_appointments(user: User, today: datetime.date) -> list[Task]:
    """The member's appointments from today to two weeks ahead, soonest first."""
    horizon = today + datetime.timedelta(days=APPOINTMENT_HORIZON_DAYS)
    tasks = _my_open_tasks(user, TaskKind.APPOINTMENT).filter(due_on__gte=today, due_on__lte=horizon)
    return list(tasks.select_related("case", "key").order_by("due_on")[:LIMIT])


@dataclass(frozen=True)
class ShownTask:
    task: Task
    # None when the title could not be opened (key not held, or altered data).
    title: str | None


def task_titles(tasks: list[Task], keyring: Keyring) -> list[ShownTask]:
    """Decrypt the titles of the tasks shown, and nothing else."""
    try:
        keyring.open_many([task.key for task in tasks])
    except CryptoError:
        log.error("a task key's wrap did not open; it may have been tampered with")
    shown = []
    for task in tasks:
        title: str | None = generated_task_title(task.source, task.due_on)
        if title is not None:
            shown.append(ShownTask(task, title))
            continue
        try:
            title = decrypt_text(task, "title", keyring.secret_for(task.key), task.key)
        except KeyNotHeld:
            title = None
        except CryptoError:
            log.error("task %s did not decrypt; it may have been tampered with", task.pk)
            title = None
        shown.append(ShownTask(task, title))
    return shown
