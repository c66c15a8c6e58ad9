"""The case page's expenses panel: recording an expense, and what was spent against the budget.

Amounts are stored in minor units of their currency (refuge/cases/money.py); currencies are
never added together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.actions.expenses import do_add_expense
from refuge.cases.models import Case, ExpenseCategory
from refuge.cases.money import format_amount
from refuge.cases.queries import Shown
from refuge.workspace.decorators import StaffRequest
from refuge.workspace.forms_expenses import ExpenseForm
from refuge.workspace.views.cases import Build, act_on_case, case_post


@case_post
def case_expense_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_expense(
            actor=user,
            keyring=request.keyring,
            case=case,
            category=data["category"],
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            spent_on=data["spent_on"],
            note=data["note"],
        )

    build: Build = lambda case: ExpenseForm(request.POST, prefix="expense")  # noqa: E731
    return act_on_case(request, case_id, "expense_form", build, act, _("The expense is recorded."), "expenses")


# --- what was spent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spent:
    """What was spent in one currency, per category; amounts formatted for the reader."""

    currency: str
    by_category: list[tuple[str, str]]
    total: str


@dataclass(frozen=True)
class Spending:
    per_currency: list[Spent]  # the budget's currency first; currencies are never added together
    budget: str | None  # formatted, in the case's currency
    remaining: str | None  # what is left of the budget in its own currency
    over: str | None  # how much over budget, None if not


def spending(case: Case, expenses: list[Shown]) -> Spending:
    totals: dict[str, dict[str, int]] = {}
    for shown in expenses:
        per_category = totals.setdefault(shown.row.currency, {})
        per_category[shown.row.category] = per_category.get(shown.row.category, 0) + shown.row.amount_minor
    currencies = sorted(totals, key=lambda code: (code != case.currency, code))
    per_currency = [_spent(code, totals[code]) for code in currencies]
    budget_minor = case.budget_minor
    if budget_minor is None:
        return Spending(per_currency, None, None, None)
    left = budget_minor - sum(totals.get(case.currency, {}).values())
    shown_budget = format_amount(budget_minor, case.currency)
    if left < 0:
        return Spending(per_currency, shown_budget, None, format_amount(-left, case.currency))
    return Spending(per_currency, shown_budget, format_amount(left, case.currency), None)


def _spent(currency: str, per_category: dict[str, int]) -> Spent:
    labels = dict(ExpenseCategory.choices)
    ordered = [value for value in ExpenseCategory.values if value in per_category]
    ordered += [value for value in per_category if value not in ExpenseCategory.values]
    by_category = [(str(labels.get(value, value)), format_amount(per_category[value], currency)) for value in ordered]
    return Spent(currency, by_category, format_amount(sum(per_category.values()), currency))
