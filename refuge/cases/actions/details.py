"""The case's own fields: stage, title, summary, priority, pathway, budget, lost contact, and the audited read of the case."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import (
    add_event,
    audit_act,
    check_on_team,
    check_version,
    checked_priority,
    lock_case,
    refresh_from,
    save_versioned,
    today,
    touch,
)
from refuge.cases.models import PRIORITY_DUE_DAYS, Case, ClosingReason, Currency, EventKind, Priority, Stage
from refuge.cases.money import BUDGET_OUT_OF_RANGE, max_minor, minor_digits
from refuge.cases.stages import RECORDED, can_move
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import encrypt_column
from refuge.relocation.models import Pathway

MAX_SUMMARY_CHARS = 50_000


def do_change_stage(
    *, actor: User, keyring: Keyring, case: Case, stage: str, version: int, closing_reason: str = ""
) -> None:
    """Move a case along the stage table by hand; closing needs a reason; travel and arrived are refused,
    and so is closing as relocated before the arrival is recorded."""
    check_on_team(actor, case)
    with transaction.atomic():
        locked = lock_case(case)
        check_version(locked, version)
        _check_move(locked, stage, closing_reason)
        if stage == Stage.CLOSED and closing_reason == ClosingReason.RELOCATED and locked.stage != Stage.ARRIVED:
            # `closed (relocated)` follows the arrival record (issue #12); only that record moves a case to
            # arrived (cases.stages.RECORDED), so a case elsewhere has no arrival recorded.
            raise UserError(
                "relocated_before_arrival",
                _("A case is closed as relocated once its arrival is recorded: record it on the case's travel page."),
                field="closing_reason",
            )
        if stage in RECORDED:
            # Only the departure and arrival records say someone left or arrived (cases.stages.RECORDED).
            raise UserError(
                "recorded_stage",
                _("A case moves to travel or arrived when its departure or arrival is recorded on its travel page."),
                field="stage",
            )
        _move_stage(actor, keyring, locked, stage, closing_reason)
    refresh_from(case, locked)


def change_stage_on_record(*, actor: User, keyring: Keyring, case: Case, stage: str, closing_reason: str = "") -> None:
    """The stage move a travel record makes (departure, arrival, closing as relocated), in the record's transaction."""
    check_on_team(actor, case)
    with transaction.atomic():
        locked = lock_case(case)
        _check_move(locked, stage, closing_reason)
        _move_stage(actor, keyring, locked, stage, closing_reason)
    refresh_from(case, locked)


def _check_move(locked: Case, stage: str, closing_reason: str) -> None:
    if stage not in Stage.values or not can_move(locked.stage, stage):
        raise UserError("bad_stage", _("A case cannot move from this stage to that one."), field="stage")
    if stage == Stage.CLOSED and closing_reason not in ClosingReason.values:
        raise UserError("closing_reason", _("Choose why the case is closed."), field="closing_reason")


def _move_stage(actor: User, keyring: Keyring, locked: Case, stage: str, closing_reason: str) -> None:
    secret = keyring.secret_for(locked.key)
    before = locked.stage
    locked.stage = stage
    locked.stage_changed_on = today()
    locked.closing_reason = closing_reason if stage == Stage.CLOSED else ""
    locked.closed_on = today() if stage == Stage.CLOSED else None
    save_versioned(locked, ["stage", "stage_changed_on", "closing_reason", "closed_on"])
    add_event(locked, secret, EventKind.STAGE, actor, {"from": before, "to": stage, "reason": closing_reason})
    audit_act(AuditEvent.CASE_STAGE_CHANGED, actor, "case", locked.pk)


def do_edit_case(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    version: int,
    priority: str,
    pathway: Pathway | None,
    budget_minor: int | None,
    currency: str,
    summary: str | None,
) -> None:
    """Change a case's priority (and so its due date), pathway, budget (minor units of `currency`,
    refuge.cases.money) and summary (None: keep it)."""
    check_on_team(actor, case)
    priority = checked_priority(priority)
    if currency not in Currency.values:
        raise UserError("bad_currency", _("Choose a currency."), field="currency")
    if budget_minor is not None and (type(budget_minor) is not int or not 0 <= budget_minor <= max_minor(currency)):
        raise UserError("bad_amount", BUDGET_OUT_OF_RANGE, field="budget")
    if summary is not None and len(summary) > MAX_SUMMARY_CHARS:
        raise UserError("too_long", _("The summary is too long: at most 50,000 characters."), field="summary")
    with transaction.atomic():
        locked = lock_case(case)
        check_version(locked, version)
        secret = keyring.secret_for(locked.key)
        changes: dict[str, Any] = {}
        if priority != locked.priority:
            changes["priority"] = [locked.priority, priority]
            locked.priority = priority
            locked.due_on = today() + datetime.timedelta(days=PRIORITY_DUE_DAYS[Priority(priority)])
        if (pathway.pk if pathway else None) != locked.pathway_id:
            changes["pathway"] = pathway.code if pathway else ""
            locked.pathway = pathway
        if budget_minor != locked.budget_minor or currency != locked.currency:
            # "budget_minor": minor units; events written before cases 0011 say "budget", in whole units.
            changes["budget_minor"] = [budget_minor, currency]
            locked.budget_minor, locked.currency = budget_minor, currency
            # For the previous release during an upgrade: whole units (cases 0011).
            locked.budget = None if budget_minor is None else budget_minor // 10 ** minor_digits(currency)
        if summary is not None:
            # Stored as {"text": …}: JSON like the answers a case starts with, so a summary
            # that happens to look like JSON is never mistaken for them.
            text = json.dumps({"text": summary}, ensure_ascii=False)
            encrypt_column(locked, "summary", text, secret, locked.key)
        save_versioned(locked, ["priority", "due_on", "pathway", "budget_minor", "budget", "currency", "summary"])
        kind = EventKind.PRIORITY if set(changes) == {"priority"} else EventKind.EDITED
        add_event(locked, secret, kind, actor, changes)
        audit_act(AuditEvent.CASE_EDITED, actor, "case", locked.pk)
    refresh_from(case, locked)


def do_set_lost_contact(*, actor: User, keyring: Keyring, case: Case, lost: bool) -> None:
    """Raise or clear the lost-contact alarm (never a closing: DOMAIN.md)."""
    check_on_team(actor, case)
    with transaction.atomic():
        locked = lock_case(case)
        if bool(locked.lost_contact_since) == lost:
            return
        secret = keyring.secret_for(locked.key)
        locked.lost_contact_since = today() if lost else None
        locked.save(update_fields=["lost_contact_since"])
        touch(locked)
        add_event(locked, secret, EventKind.LOST_CONTACT if lost else EventKind.CONTACT_BACK, actor, {})
        audit_act(AuditEvent.LOST_CONTACT_RAISED if lost else AuditEvent.LOST_CONTACT_CLEARED, actor, "case", locked.pk)
    case.lost_contact_since = locked.lost_contact_since


def do_record_case_read(*, actor: User, case: Case) -> None:
    """Audit that a member decrypted a case (who read what, never what it said)."""
    with transaction.atomic():
        audit_act(AuditEvent.CASE_READ, actor, "case", case.pk)
