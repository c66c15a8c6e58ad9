"""Every retention write: setting a rule, holding and releasing a record, and shredding what is due."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext as _

from refuge.accounts.models import Organisation, User
from refuge.applications.tally import forget_case
from refuge.audit.actions import record
from refuge.cases.models import Case, CaseDocument, Stage
from refuge.core.errors import UserError
from refuge.intake.models import HelpRequest
from refuge.retention.audit_events import OperationsEvent
from refuge.retention.models import LegalHold, RetentionRule, Subject
from refuge.retention.queries import DueItem, attached_to_cases, due_items
from refuge.retention.shred import shred_rows

# Ten years: a longer rule is a typo, not a policy.
MAX_DAYS = 3653


def _actor_id(actor: User | None, organisation: Organisation) -> uuid.UUID | None:
    if actor is not None and actor.organisation_id != organisation.id:
        raise ValueError("the actor is not a member of this organisation")
    return actor.id if actor is not None else None


def do_set_rule(*, actor: User | None, organisation: Organisation, subject: str, days: int | None) -> None:
    """Keep `subject` records for `days` days (None: no rule, kept until deleted by hand)."""
    _check_rule(subject, days)
    with transaction.atomic():
        _write_rule(actor, organisation, subject, days)


def do_set_rules(*, actor: User, organisation: Organisation, rules: dict[str, int | None]) -> list[str]:
    """Set several rules at once (the coordinator's page): all or none; one audit entry per rule changed.

    Returns the subjects whose rule changed. `rules` maps a subject to its days (None: no rule).
    """
    for subject, days in rules.items():
        _check_rule(subject, days)
    with transaction.atomic(durable=True):
        current = dict(
            RetentionRule.objects.select_for_update().filter(organisation=organisation).values_list("subject", "days")
        )
        changed = [subject for subject, days in rules.items() if current.get(subject) != days]
        for subject in changed:
            _write_rule(actor, organisation, subject, rules[subject])
    return changed


def _check_rule(subject: str, days: int | None) -> None:
    if subject not in Subject.values:
        raise UserError("retention_subject", _("There is no such kind of record."))
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise UserError("retention_days", _("Choose between 0 and 3653 days (ten years)."), field=subject)


def _write_rule(actor: User | None, organisation: Organisation, subject: str, days: int | None) -> None:
    if days is None:
        RetentionRule.objects.filter(organisation=organisation, subject=subject).delete()
    else:
        RetentionRule.objects.update_or_create(organisation=organisation, subject=subject, defaults={"days": days})
    # Which subject changed is in the rule's row; the entry says only that a rule changed.
    record(
        OperationsEvent.RULE_SET,
        actor_id=_actor_id(actor, organisation),
        organisation_id=organisation.id,
        object_type="organisation",
        object_id=organisation.id,
    )


def do_set_legal_hold(*, actor: User | None, record_: Case | HelpRequest, today: datetime.date) -> None:
    """Exempt a case or request from every rule until the hold is lifted."""
    organisation = record_.organisation
    is_case = isinstance(record_, Case)
    with transaction.atomic():
        # The page read the record before this transaction; the retention job may have shredded
        # it since. Locked here (PostgreSQL; SQLite's transaction is IMMEDIATE), it stays until commit.
        if not type(record_).objects.select_for_update().filter(pk=record_.pk).exists():
            raise UserError("gone", _("This record no longer exists: it was shredded or deleted meanwhile."))
        LegalHold.objects.get_or_create(
            organisation=organisation,
            case=record_ if is_case else None,
            request=None if is_case else record_,
            defaults={"held_since": today},
        )
        record(
            OperationsEvent.LEGAL_HOLD_SET,
            actor_id=_actor_id(actor, organisation),
            organisation_id=organisation.id,
            object_type="case" if is_case else "request",
            object_id=record_.pk,
        )


def do_lift_legal_hold(*, actor: User | None, record_: Case | HelpRequest) -> None:
    """End a legal hold: the rules apply to the record again at the job's next run."""
    organisation = record_.organisation
    is_case = isinstance(record_, Case)
    with transaction.atomic():
        LegalHold.objects.filter(**({"case": record_} if is_case else {"request": record_})).delete()
        record(
            OperationsEvent.LEGAL_HOLD_LIFTED,
            actor_id=_actor_id(actor, organisation),
            organisation_id=organisation.id,
            object_type="case" if is_case else "request",
            object_id=record_.pk,
        )


@dataclass
class ShredReport:
    by_subject: Counter[str] = field(default_factory=Counter)
    keys: int = 0

    def summary(self) -> str:
        """Counts only: it is stored in clear as the job's result."""
        parts = [f"{count} {subject}" for subject, count in sorted(self.by_subject.items())]
        return f"shredded {', '.join(parts) or 'nothing'}; {self.keys} keys destroyed"


_MODELS = {"case": Case, "request": HelpRequest, "document": CaseDocument}


def _locked_if_still_due(item: DueItem) -> Case | HelpRequest | CaseDocument | None:
    """The record, if nothing changed since the list was read: no hold set since, not reopened, not in or attached to a case.

    Locked first, then checked by statements of their own. On PostgreSQL a statement that
    waited for a row lock rechecks its conditions on the locked row only, not in its
    subqueries: a hold committed while the shred waited would go unseen, and be deleted with
    the record. A statement begun after the lock sees every transaction committed before it.
    The acts that make a record not due lock it too (a hold, a reopening, an attachment).
    """
    ended = (Stage.CLOSED, Stage.DECLINED)
    if item.kind == "case":
        case = Case.objects.select_for_update(of=("self",)).filter(pk=item.id, stage__in=ended).first()
        return case if case is not None and not _case_held(case.pk) else None
    if item.kind == "document":
        document = CaseDocument.objects.select_for_update(of=("self",)).filter(pk=item.id).first()
        if document is None:
            return None
        case = Case.objects.select_for_update(of=("self",)).filter(pk=document.case_id, stage__in=ended).first()
        return document if case is not None and not _case_held(case.pk) else None
    request = HelpRequest.objects.select_for_update(of=("self",)).filter(pk=item.id).first()
    if request is None:
        return None
    kept = (
        Case.objects.filter(request_id=request.pk).exists()
        or LegalHold.objects.filter(request_id=request.pk).exists()
        or attached_to_cases().filter(request_id=request.pk).exists()
    )
    return None if kept else request


def _case_held(case_id: uuid.UUID) -> bool:
    return LegalHold.objects.filter(case_id=case_id).exists()


def _shred_one(organisation: Organisation, item: DueItem) -> int | None:
    """One record in its own transaction; None if it is no longer due."""
    with transaction.atomic():
        row = _locked_if_still_due(item)
        if row is None:
            return None
        records: list[Case | HelpRequest | CaseDocument] = [row]
        if isinstance(row, Case) and row.request_id is not None:
            # The request the case was opened from holds the requester's own words and files.
            records.append(HelpRequest.objects.select_for_update().get(pk=row.request_id))
        if isinstance(row, Case):
            forget_case(row.pk)  # its applications leave the advisor's counts with it
        keys = shred_rows(list(records))
        # No content, no reference: the id of a record that no longer exists.
        record(
            OperationsEvent.SHREDDED,
            actor_id=None,
            organisation_id=organisation.id,
            object_type=item.kind,
            object_id=item.id,
        )
        return keys


def shred_due(*, today: datetime.date) -> ShredReport:
    """Crypto-shred every record due under its organisation's rules, except those on legal hold."""
    report = ShredReport()
    for organisation in Organisation.objects.order_by("created_on", "id"):
        for item in due_items(organisation, today=today):
            keys = _shred_one(organisation, item)
            if keys is not None:
                report.by_subject[item.subject] += 1
                report.keys += keys
    if report.by_subject and connection.vendor == "sqlite":
        # secure_delete has zeroed the freed pages in the database file; the write-ahead
        # log still holds the pages as they were before, until it is checkpointed and reset.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return report
