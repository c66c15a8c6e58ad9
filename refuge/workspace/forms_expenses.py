"""The case page's expenses panel: an amount typed in a currency, stored in its minor units."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.cases.actions.base import MAX_TITLE_CHARS
from refuge.cases.models import Currency, ExpenseCategory
from refuge.cases.money import MAX_TYPED_CHARS, parse_amount
from refuge.core.errors import UserError
from refuge.workspace.fields import bounded_text, choice_field, date_field


class ExpenseForm(forms.Form):
    category = choice_field(_("Category"), [("", _("Choose a category")), *ExpenseCategory.choices])
    amount = bounded_text(
        _("Amount"),
        MAX_TYPED_CHARS,
        required=True,
        required_message=_("Enter the amount."),
        help_text=_("For example 1234.50 or 1 234,50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = choice_field(_("Currency"), Currency.choices)
    spent_on = date_field(_("Spent on"), required=True)
    note = bounded_text(_("What it was for"), MAX_TITLE_CHARS, required=False)

    def clean_spent_on(self) -> datetime.date | None:
        spent_on: datetime.date | None = self.cleaned_data.get("spent_on")
        if spent_on is not None and spent_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return spent_on

    def clean(self) -> dict[str, Any]:
        """The amount in minor units of the chosen currency, as `amount_minor`."""
        cleaned = super().clean() or {}
        typed, currency = cleaned.get("amount"), cleaned.get("currency")
        if typed and currency:
            try:
                cleaned["amount_minor"] = parse_amount(typed, currency)
            except UserError as error:
                self.add_error("amount", str(error.message))
        return cleaned
