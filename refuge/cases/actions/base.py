"""What every write to a case shares: the team check, the versioned row lock, text bounds, timeline events and the audit entry."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.cases.access import is_team_member
from refuge.cases.models import Case, CaseEvent, Priority
from refuge.core.errors import UserError, too_long
from refuge.keyring.records import encrypt_column

MAX_TITLE_CHARS = 300

CONFLICT = _(
    "Someone else changed this case while you were editing it. Your changes were not saved: "
    "the page now shows the current version. Make your change again if it is still needed."
)


def today() -> datetime.date:
    return timezone.localdate()


def checked_priority(priority: str) -> str:
    if priority not in Priority.values:
        raise UserError("bad_priority", _("Choose a priority."), field="priority")
    return priority


def check_on_team(actor: User, case: Case) -> None:
    # Views reach cases through access_case; this is the second lock on the door.
    if case.organisation_id != actor.organisation_id or not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."))


def lock_case(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("key", "request__key").get(pk=case.pk)


def check_version(locked: Case, version: int) -> None:
    if locked.version != version:
        raise UserError("conflict", CONFLICT)


def save_versioned(locked: Case, fields: list[str]) -> None:
    locked.version += 1
    locked.last_activity_on = today()
    locked.save(update_fields=[*fields, "version", "last_activity_on"])


def refresh_from(case: Case, locked: Case) -> None:
    """Copy the saved state onto the caller's instance."""
    for name in (
        "stage",
        "stage_changed_on",
        "closing_reason",
        "closed_on",
        "priority",
        "due_on",
        "pathway_id",
        "budget_minor",
        "currency",
        "summary",
        "version",
        "last_activity_on",
    ):
        setattr(case, name, getattr(locked, name))


def touch(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(last_activity_on=today())


def bounded_text(value: str, limit: int, field_name: str, required: Any = None) -> str:
    text = (value or "").strip()
    if required is not None and not text:
        raise UserError("required", required, field=field_name)
    if len(text) > limit:
        raise UserError("too_long", too_long(limit), field=field_name)
    return text


def add_event(case: Case, secret: bytes, kind: str, actor: User | None, detail: dict[str, Any]) -> CaseEvent:
    event = CaseEvent(case=case, key_id=case.key_id, kind=kind, actor=actor, at=timezone.now())
    encrypt_column(event, "detail", json.dumps(detail, ensure_ascii=False), secret, case.key)
    event.save(force_insert=True)
    return event


def audit_act(event: AuditEvent, actor: User, object_type: str, object_id: Any) -> None:
    record(
        event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type=object_type, object_id=object_id
    )
