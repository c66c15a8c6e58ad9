"""Tasks on a case."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import MAX_TITLE_CHARS, add_event, audit_act, bounded_text, check_on_team, today, touch
from refuge.cases.models import Case, EventKind, Task, TaskKind, TeamMember
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import encrypt_column


def do_add_task(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    title: str,
    due_on: datetime.date | None,
    owner: User | None,
    kind: str = TaskKind.TASK,
) -> Task:
    check_on_team(actor, case)
    title = bounded_text(title, MAX_TITLE_CHARS, "title", required=_("Say what needs doing."))
    if kind not in TaskKind.values:
        raise UserError("bad_kind", _("Choose a task or an appointment."), field="kind")
    if owner is not None and not TeamMember.objects.filter(case=case, user=owner).exists():
        raise UserError("owner_not_on_team", _("Tasks go to members of the case's team."), field="owner")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        task = Task(
            case=case,
            organisation_id=case.organisation_id,
            key=case.key,
            kind=kind,
            due_on=due_on,
            owner=owner,
            created_on=today(),
        )
        encrypt_column(task, "title", title, secret, case.key)
        task.save(force_insert=True)
        touch(case)
        add_event(case, secret, EventKind.TASK, actor, {"title": title, "due_on": due_on.isoformat() if due_on else ""})
        audit_act(AuditEvent.TASK_ADDED, actor, "case", case.pk)
    return task


def do_complete_task(*, actor: User, keyring: Keyring, task: Task) -> None:
    case = task.case
    check_on_team(actor, case)
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, done_on__isnull=True).update(done_on=today())
        if not updated:
            raise UserError("task_done", _("This task is already done."))
        touch(case)
        add_event(case, keyring.secret_for(case.key), EventKind.TASK_DONE, actor, {})
        audit_act(AuditEvent.TASK_DONE, actor, "case", case.pk)
    task.done_on = today()
