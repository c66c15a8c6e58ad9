"""Expenses, in minor units of their currency."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import MAX_TITLE_CHARS, add_event, audit_act, bounded_text, check_on_team, today, touch
from refuge.cases.models import Case, Currency, EventKind, Expense, ExpenseCategory
from refuge.cases.money import OUT_OF_RANGE, max_minor
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import encrypt_column


def do_add_expense(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    category: str,
    amount_minor: int,
    currency: str,
    spent_on: datetime.date,
    note: str = "",
) -> Expense:
    """Record money spent: an amount in minor units of its own currency (refuge.cases.money)."""
    check_on_team(actor, case)
    if category not in ExpenseCategory.values:
        raise UserError("bad_category", _("Choose a category."), field="category")
    if currency not in Currency.values:
        raise UserError("bad_currency", _("Choose a currency."), field="currency")
    if type(amount_minor) is not int or not 0 < amount_minor <= max_minor(currency):
        raise UserError("bad_amount", OUT_OF_RANGE, field="amount")
    if spent_on > today():
        raise UserError("future_date", _("The date cannot be in the future."), field="spent_on")
    note = bounded_text(note, MAX_TITLE_CHARS, "note")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        expense = Expense(
            case=case,
            key=case.key,
            category=category,
            amount_minor=amount_minor,
            currency=currency,
            spent_on=spent_on,
            recorded_by=actor,
        )
        encrypt_column(expense, "note", note, secret, case.key)
        expense.save(force_insert=True)
        touch(case)
        detail = {"category": category, "amount_minor": amount_minor, "currency": currency}
        add_event(case, secret, EventKind.EXPENSE, actor, detail)
        audit_act(AuditEvent.EXPENSE_RECORDED, actor, "case", case.pk)
    return expense
